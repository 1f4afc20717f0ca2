//! Moving images between Bevy and burn: on the GPU between textures and
//! tensors ([`TensorBridge`]), and through host memory for tools and the CPU
//! backend ([`image_to_tensor`], [`tensor_to_image`], [`host`]).

mod cpu;
mod gpu;
pub mod host;
pub(crate) mod kernel;

pub use cpu::{image_to_tensor, tensor_to_image};
pub use gpu::{BridgeError, TensorBridge};
