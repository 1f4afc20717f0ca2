// How a compute pass sees a burn tensor [1, 3, H, W] and the texels of an
// image next to it (mirrored by `TensorView` in
// crates/runtime/src/bridge/view.rs).

#define_import_path bevy_gan_style::tensor_view

#import bevy_gan_style::texels::texel_words

struct TensorView {
    // Element offset of the tensor inside the bound buffer (bound whole, so
    // no storage-offset alignment applies), and its element strides.
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    // Width and height of the tensor, and of the image.
    tensor_size: vec2<u32>,
    image_size: vec2<u32>,
    // u32 words per texel row (rows are padded to 256 bytes), and one of
    // the KIND_* constants of texels.wgsl.
    row_words: u32,
    kind: u32,
    // Value mapping v * scale + bias: from [0, 1] onto the network's input
    // range, or from its output range onto [0, 1].
    scale: f32,
    bias: f32,
}

// Index of channel 0 of the tensor element at (x, y).
fn tensor_index(view: TensorView, x: u32, y: u32) -> u32 {
    return view.offset + y * view.stride_h + x * view.stride_w;
}

// Index of the first word of the texel at (x, y).
fn texel_index(view: TensorView, x: u32, y: u32) -> u32 {
    return y * view.row_words + x * texel_words(view.kind);
}

