//! Networks, written once as burn modules generic over the backend and used by
//! inference, training and tests alike.

mod layers;
mod multistyle;
mod weights;

pub use layers::{
    BlockActivation, CondInstanceNorm, CondInstanceNormConfig, ConvBlock, ConvBlockConfig,
    reflect_conv2d, reflect_pad, upsample_nearest2x,
};
pub use multistyle::{MultiStyleConfig, MultiStyleNet};
pub use weights::{WeightsError, load_safetensors};
