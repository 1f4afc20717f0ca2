//! The uniform every tensor ↔ texel pass is addressed with: one Rust
//! mirror of `TensorView` in `shaders/tensor_view.wgsl`.

use bevy::math::UVec2;
use bevy::render::render_resource::ShaderType;

use super::tensor::BoundTensor;
use super::texels::TexelBuffer;

/// How a compute pass sees a `[1, 3, H, W]` tensor (offset and strides in
/// its bound buffer, size) and an image's texels next to it (size, row
/// pitch, texel kind), with the value mapping between them
/// (`v · scale + bias`).
///
/// ```
/// use bevy::math::UVec2;
/// use bevy_gan_style_runtime::bridge::{TensorView, TexelKind};
/// // A network taking [-1, 1] reads a [0, 1] colour c as 2c − 1.
/// let (scale, bias) = TensorView::into_range((-1.0, 1.0));
/// assert_eq!((scale, bias), (2.0, -1.0));
/// // And writes its output back with the inverse mapping.
/// assert_eq!(TensorView::from_range((-1.0, 1.0)), (0.5, 0.5));
/// ```
#[derive(ShaderType, Clone, Copy, Debug, Default, PartialEq)]
pub struct TensorView {
    /// Element offset of the tensor in its bound buffer.
    pub offset: u32,
    /// Element stride of the channel dimension.
    pub stride_c: u32,
    /// Element stride of rows.
    pub stride_h: u32,
    /// Element stride of columns.
    pub stride_w: u32,
    /// Tensor width and height.
    pub tensor_size: UVec2,
    /// Image width and height.
    pub image_size: UVec2,
    /// `u32` words per (padded) texel row.
    pub row_words: u32,
    /// [`TexelKind`](super::TexelKind) as its `u32`.
    pub kind: u32,
    /// Value mapping: `v · scale + bias`.
    pub scale: f32,
    /// See `scale`.
    pub bias: f32,
}

impl TensorView {
    /// A view of `tensor` and `texels` with the value mapping `(scale, bias)`.
    pub fn new(tensor: &BoundTensor, texels: &TexelBuffer, (scale, bias): (f32, f32)) -> Self {
        let [_, stride_c, stride_h, stride_w] = tensor.strides();
        Self {
            offset: tensor.offset(),
            stride_c,
            stride_h,
            stride_w,
            tensor_size: tensor.size(),
            image_size: texels.size(),
            row_words: texels.row_bytes() / 4,
            kind: texels.kind() as u32,
            scale,
            bias,
        }
    }

    /// The mapping of colours in `[0, 1]` onto a network's input `range`.
    pub fn into_range(range: (f32, f32)) -> (f32, f32) {
        (range.1 - range.0, range.0)
    }

    /// The mapping of a network's output `range` onto colours in `[0, 1]`.
    pub fn from_range(range: (f32, f32)) -> (f32, f32) {
        let scale = 1.0 / (range.1 - range.0);
        (scale, -range.0 * scale)
    }
}
