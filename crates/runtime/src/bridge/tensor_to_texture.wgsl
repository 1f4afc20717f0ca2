// burn tensor [1, 3, H, W] (f32) -> texels in a buffer of the same size,
// which is then copied raw into the texture. Packing bytes here (rather
// than drawing into an sRGB attachment) keeps 8-bit values exact on every
// driver.

#import bevy_gan_style::texels::{encode_texel, KIND_RGBA16F}
#import bevy_gan_style::tensor_view::{TensorView, tensor_index, texel_index}

@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<storage, read_write> texels: array<u32>;
@group(0) @binding(2) var<uniform> view: TensorView;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= view.image_size.x || id.y >= view.image_size.y {
        return;
    }
    let base = tensor_index(view, id.x, id.y);
    let rgb = vec3<f32>(
        tensor[base],
        tensor[base + view.stride_c],
        tensor[base + 2u * view.stride_c],
    ) * view.scale + view.bias;
    let words = encode_texel(view.kind, rgb);
    let at = texel_index(view, id.x, id.y);
    texels[at] = words.x;
    if view.kind == KIND_RGBA16F {
        texels[at + 1u] = words.y;
    }
}
