// Texels of a Bevy texture (copied raw into a staging buffer) -> burn tensor
// [1, 3, H, W] (f32), written straight into the tensor's storage buffer.
//
// Working on raw texel bytes instead of sampling keeps 8-bit values exact:
// sampling an sRGB texture decodes it in hardware, and some drivers
// (lavapipe among them) decode with small errors.

@group(0) @binding(0) var<storage, read> texels: array<u32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let low = c * 12.92;
    let high = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(high, low, c <= vec3<f32>(0.0031308));
}

fn byte(word: u32, index: u32) -> f32 {
    return f32((word >> (index * 8u)) & 0xffu) / 255.0;
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    let row = id.y * params.row_words;
    var rgb: vec3<f32>;
    if params.kind == 2u {
        let rg = unpack2x16float(texels[row + id.x * 2u]);
        let ba = unpack2x16float(texels[row + id.x * 2u + 1u]);
        rgb = linear_to_srgb(clamp(vec3<f32>(rg, ba.x), vec3<f32>(0.0), vec3<f32>(1.0)));
    } else {
        let word = texels[row + id.x];
        rgb = vec3<f32>(byte(word, 0u), byte(word, 1u), byte(word, 2u));
        if params.kind == 1u {
            rgb = rgb.bgr;
        }
    }
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    for (var c = 0u; c < 3u; c++) {
        tensor[base + c * params.stride_c] = rgb[c] * params.scale + params.bias;
    }
}
