// Texels of a Bevy texture (copied raw into a staging buffer) -> burn tensor
// [1, 3, H, W] (f32), written straight into the tensor's storage buffer.
//
// Working on raw texel bytes instead of sampling keeps 8-bit values exact:
// sampling an sRGB texture decodes it in hardware, and some drivers
// (lavapipe among them) decode with small errors.

@group(0) @binding(0) var<storage, read> texels: array<u32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    let at = id.y * params.row_words + id.x * texel_words(params.kind);
    let rgb = decode_texel(params.kind, texels[at], texels[at + 1u]);
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    for (var c = 0u; c < 3u; c++) {
        tensor[base + c * params.stride_c] = rgb[c] * params.scale + params.bias;
    }
}
