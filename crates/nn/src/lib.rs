//! Networks, written once as burn modules generic over the backend and used by
//! inference, training and tests alike.

mod arbitrary;
mod circular;
mod color;
mod condition;
mod cpu;
mod cpu_stage;
mod inception;
mod init;
mod johnson;
// The fused GPU kernels are how `StageBackend` runs on burn's wgpu backend;
// their parts are public only for the per-layer benchmark (`testing`).
#[cfg(feature = "testing")]
pub mod kernels;
#[cfg(not(feature = "testing"))]
mod kernels;
mod layers;
mod macs;
mod mobilenet;
mod multistyle;
mod ops;
mod perceptual;
mod psgan;
mod run;
mod stage;
mod upscale;
mod vgg;
mod weights;

pub use arbitrary::{
    ArbitraryStyleConfig, ArbitraryStyleNet, ArbitraryTransformer, Contract, Expand, ResidualBlock,
    StyleVectorConv, import_arbitrary_weights,
};
pub use circular::{
    CircularConv2d, CircularConv2dConfig, circular_pad, circular_upsample_bilinear2x,
};
pub use color::{ColorPreservation, chroma, luma, preserve_color};
pub use condition::{LayerStyles, StyleCondition, two_style_map};
pub use cpu::{conv2d, conv2d_module, max_pool2x2};
pub use inception::{INCEPTION_FEATURES, INCEPTION_SIZE, InceptionV3};
pub use init::{conv_transpose_weight, conv_weight, drawn};
pub use johnson::{JohnsonConfig, JohnsonLayer, JohnsonNet, LayerKind, import_ml5_weights};
pub use kernels::half_precision_available;
pub use layers::{CondInstanceNorm, CondInstanceNormConfig, ConvBlock, ConvBlockConfig};
pub use macs::{LayerMacs, MacReport, conv_macs};
pub use mobilenet::{InvertedResidual, MOBILENET_FEATURES, MobileNetV2};
pub use multistyle::{ConvShape, MultiStyleConfig, MultiStyleNet};
pub use ops::{
    BlockActivation, channel_mean_var, instance_norm, pointwise_conv, reflect_conv2d, reflect_pad,
    same_pad, upsample_nearest2x,
};
pub use perceptual::{content_loss, gram, style_grams, style_loss, total_variation};
pub use psgan::{
    Draw, PsganConfig, PsganGenerator, PsganLatent, SplitMix64, TEXTURE_RANGE, Upsample, pixel_norm,
};
pub use run::{StageBackend, StagedNet, StyleTransformer};
pub use stage::{ConvStage, Precision, Skip, StagePost, run_stages_plain, stage_macs};
pub use upscale::{
    UpscaleBase, UpscaleConv, Upscaler, UpscalerConfig, depth_to_space, space_to_depth,
    upsample_bicubic, upsample_bilinear,
};
pub use vgg::{Vgg16, VggTap};
pub use weights::{WeightsError, load_safetensors, to_f32_safetensors};
