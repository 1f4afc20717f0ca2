//! Evaluating style networks and texture GANs: content distance, Gram
//! style distance and LPIPS, all on VGG16 features; FID, KID and SIFID;
//! diversity between samples; how visible a tiling's seam is; PSNR, SSIM
//! and the baselines of upscalers.

mod distribution;
mod linalg;
mod lpips;
mod seam;
mod style;
mod texture;
mod upscale;

pub use distribution::{frechet_distance, kernel_distance};
pub use linalg::Features;
pub use lpips::Lpips;
pub use seam::Seam;
pub use style::{STYLE_LAYERS, content_distance, style_distance, style_layer_distances};
pub use texture::{
    POOLED_LAYERS, SIFID_LAYER, TextureJudge, TextureReference, TextureScores, position_features,
};
pub use upscale::{psnr, sharpen_cas, ssim};
