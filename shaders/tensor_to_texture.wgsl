// burn tensor [1, 3, H, W] (f32) -> texels in a staging buffer, which is then
// copied raw into the Bevy texture. Packing bytes here (rather than drawing
// into an sRGB attachment) keeps 8-bit values exact on every driver.

@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<storage, read_write> texels: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    let rgb = vec3<f32>(
        tensor[base],
        tensor[base + params.stride_c],
        tensor[base + 2u * params.stride_c],
    ) * params.scale + params.bias;
    let words = encode_texel(params.kind, rgb);
    let at = id.y * params.row_words + id.x * texel_words(params.kind);
    texels[at] = words.x;
    if params.kind == KIND_RGBA16F {
        texels[at + 1u] = words.y;
    }
}
