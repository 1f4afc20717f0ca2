// burn tensor [1, 3, H, W] (f32) -> texels in a staging buffer, which is then
// copied raw into the Bevy texture. Packing bytes here (rather than drawing
// into an sRGB attachment) keeps 8-bit values exact on every driver.

@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<storage, read_write> texels: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    var rgb = vec3<f32>(
        tensor[base],
        tensor[base + params.stride_c],
        tensor[base + 2u * params.stride_c],
    );
    rgb = clamp(rgb * params.scale + params.bias, vec3<f32>(0.0), vec3<f32>(1.0));
    let row = id.y * params.row_words;
    if params.kind == 2u {
        let linear = srgb_to_linear(rgb);
        texels[row + id.x * 2u] = pack2x16float(linear.rg);
        texels[row + id.x * 2u + 1u] = pack2x16float(vec2<f32>(linear.b, 1.0));
    } else {
        if params.kind == 1u {
            rgb = rgb.bgr;
        }
        let q = vec3<u32>(round(rgb * 255.0));
        texels[row + id.x] = q.x | (q.y << 8u) | (q.z << 16u) | (255u << 24u);
    }
}
