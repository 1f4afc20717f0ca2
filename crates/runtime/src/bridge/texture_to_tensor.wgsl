// Texels of an image (copied raw from a texture into a buffer) -> burn
// tensor [1, 3, H, W] (f32), written straight into the tensor's storage.
// When the tensor is smaller than the image, each tensor pixel averages the
// image pixels it covers (a box filter); at equal sizes that is one texel,
// copied exactly.
//
// Working on raw texel bytes instead of sampling keeps 8-bit values exact:
// sampling an sRGB texture decodes it in hardware, and some drivers
// (lavapipe among them) decode with small errors.

#import bevy_gan_style::texels::decode_texel
#import bevy_gan_style::tensor_view::{TensorView, tensor_index, texel_index}

@group(0) @binding(0) var<storage, read> texels: array<u32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> view: TensorView;

fn image_color(x: u32, y: u32) -> vec3<f32> {
    let at = texel_index(view, x, y);
    return decode_texel(view.kind, texels[at], texels[at + 1u]);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let size = view.tensor_size;
    if id.x >= size.x || id.y >= size.y {
        return;
    }
    let image = view.image_size;
    let x0 = id.x * image.x / size.x;
    let x1 = max(x0 + 1u, (id.x + 1u) * image.x / size.x);
    let y0 = id.y * image.y / size.y;
    let y1 = max(y0 + 1u, (id.y + 1u) * image.y / size.y);
    var sum = vec3<f32>(0.0);
    for (var y = y0; y < y1; y++) {
        for (var x = x0; x < x1; x++) {
            sum += image_color(x, y);
        }
    }
    let rgb = sum / f32((x1 - x0) * (y1 - y0));
    let base = tensor_index(view, id.x, id.y);
    for (var c = 0u; c < 3u; c++) {
        tensor[base + c * view.stride_c] = rgb[c] * view.scale + view.bias;
    }
}
