//! Why a texture and a tensor cannot be bridged.

use thiserror::Error;

/// Why a texture and a tensor cannot be bridged.
#[derive(Debug, Error)]
pub enum BridgeError {
    /// The texture format is not one the bridge handles.
    #[error(
        "texture format {0:?} is not supported (use Rgba8UnormSrgb, Rgba8Unorm, Bgra8UnormSrgb, Bgra8Unorm or Rgba16Float)"
    )]
    Format(wgpu::TextureFormat),
    /// The texture lacks a usage the bridge needs.
    #[error("the texture needs {0:?} usage")]
    Usage(wgpu::TextureUsages),
    /// Tensor and texture sizes differ.
    #[error(
        "tensor of shape {tensor:?} does not match a {width}×{height} texture (expected [1, 3, {height}, {width}])"
    )]
    Shape {
        /// Tensor shape.
        tensor: Vec<usize>,
        /// Texture width.
        width: u32,
        /// Texture height.
        height: u32,
    },
    /// The bridge's pipelines are not compiled yet (they are queued when the
    /// renderer starts; try again in a later frame).
    #[error("the bridge's pipelines are not ready yet")]
    NotReady,
    /// Networks run on the CPU in this app: there is no GPU tensor to bridge.
    #[error("networks run on burn's CPU backend in this app (no renderer)")]
    NoGpu,
    /// burn's runtime reported an error.
    #[error("burn runtime error: {0}")]
    Runtime(String),
}
