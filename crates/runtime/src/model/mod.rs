//! Models as Bevy assets: a RON card next to safetensors weights, for style
//! networks ([`StyleModel`]), texture generators ([`TextureModel`]) and
//! upscalers ([`UpscaleModel`]);
//! their loaders, weight import and export, crash-safe file writes, and the
//! networks built from them on the render device ([`GpuNet`]).

mod error;
mod export;
mod files;
mod gpu_net;
mod layer_mix;
mod loader;
mod net;
mod style_card;
mod style_codes;
mod style_image;
mod style_model;
mod style_vector;
mod style_weights;
mod texture_card;
mod texture_model;
mod upscale_card;
mod upscale_model;

pub use error::ModelError;
pub use export::{export_model, export_texture_model, export_upscale_model};
pub use files::{save_image, write_atomic};
pub use gpu_net::{GpuNet, GpuNetPlugin, WarmNets};
pub use layer_mix::{LayerMix, MapStyles};
pub use loader::{CardModel, CardModelLoader, MAX_CARD_BYTES, MAX_WEIGHTS_BYTES};
pub use net::StyleNet;
pub use style_card::{StyleArchitecture, StyleModelCard};
pub use style_codes::StyleCodes;
pub use style_image::{STYLE_IMAGE_SIZE, style_image_input, style_tensor_input};
pub use style_model::{StyleModel, StyleModelLoader};
pub use style_vector::StyleVector;
pub use style_weights::{StyleError, StyleWeights};
pub use texture_card::TextureModelCard;
pub use texture_model::{MAX_TEXTURE_SIDE, TextureModel, TextureModelLoader};
pub use upscale_card::UpscaleModelCard;
pub use upscale_model::{UpscaleModel, UpscaleModelLoader};
