//! The feed-forward style transformers as a list of convolution stages:
//! one description of each network that the plain burn ops and the GPU
//! kernels both run (the backend picks: [`super::StageBackend`]).

use burn::prelude::*;
use burn::tensor::ops::ConvOptions;

use super::condition::{map_at, regional_instance_norm};
use super::cpu::conv2d;
use super::macs::MacReport;
use super::ops::{BlockActivation, instance_norm, reflect_pad, upsample_nearest2x};

/// What follows a stage's convolution, before its activation.
#[derive(Debug, Clone)]
pub enum StagePost<B: Backend> {
    /// Nothing.
    None,
    /// A per-channel bias `[C]`.
    Bias(Tensor<B, 1>),
    /// Instance normalisation, then `scale` and `shift` (`[N, C, 1, 1]`).
    Norm {
        /// Per-image, per-channel scale.
        scale: Tensor<B, 4>,
        /// Per-image, per-channel shift.
        shift: Tensor<B, 4>,
        /// Added to the variance before the square root.
        epsilon: f64,
    },
    /// Instance normalisation per region of a style map: style `k`'s
    /// region (weights `map[:, k]`, `map` `[N, K, H, W]` resized to the
    /// stage's output) normalised with its own statistics and scaled and
    /// shifted by row `k` of `scales` and `shifts` (`[K, C]`), mixed by
    /// the map (see [`StyleCondition`](super::StyleCondition)).
    MappedNorm {
        /// Per-style, per-channel scales.
        scales: Tensor<B, 2>,
        /// Per-style, per-channel shifts.
        shifts: Tensor<B, 2>,
        /// Per-pixel weights of the styles.
        map: Tensor<B, 4>,
        /// Added to the variance before the square root.
        epsilon: f64,
    },
}

/// How a stage takes part in a residual connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not at all.
    None,
    /// Its input is kept, to be added to a later stage's output.
    Save,
    /// The kept input is added to its output (after the activation).
    Add,
}

/// One stage: `[nearest ×2 upsampling] → reflection-padded convolution
/// (no bias in the convolution itself) → post → activation [+ skip]`.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{BlockActivation, ConvStage, Skip, StagePost, run_stages_plain};
/// let device = Default::default();
/// let stage = ConvStage {
///     weight: Tensor::<CpuBackend, 4>::ones([2, 3, 3, 3], &device),
///     stride: 1,
///     upsample: false,
///     post: StagePost::Bias(Tensor::from_floats([0.5, -1.0], &device)),
///     activation: BlockActivation::Identity,
///     skip: Skip::None,
/// };
/// let y = run_stages_plain(&[stage], Tensor::ones([1, 3, 8, 8], &device));
/// assert_eq!(y.dims(), [1, 2, 8, 8]);
/// assert_eq!(y.into_data().to_vec::<f32>().unwrap()[0], 27.0 + 0.5);
/// ```
#[derive(Debug, Clone)]
pub struct ConvStage<B: Backend> {
    /// Convolution weight `[out, in, k, k]`, `k` odd.
    pub weight: Tensor<B, 4>,
    /// Convolution stride.
    pub stride: usize,
    /// Upsample the input ×2 (nearest) first.
    pub upsample: bool,
    /// Bias or normalisation after the convolution.
    pub post: StagePost<B>,
    /// Non-linearity after `post`.
    pub activation: BlockActivation,
    /// Residual connection.
    pub skip: Skip,
}

impl<B: Backend> ConvStage<B> {
    /// The stage with burn's ops, on any backend (and differentiable).
    pub fn forward_plain(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let x = if self.upsample {
            upsample_nearest2x(x)
        } else {
            x
        };
        let [_, _, kernel, _] = self.weight.dims();
        let x = reflect_pad(x, kernel / 2);
        let options = ConvOptions::new([self.stride, self.stride], [0, 0], [1, 1], 1);
        let y = match &self.post {
            StagePost::Bias(bias) => conv2d(x, self.weight.clone(), Some(bias.clone()), options),
            _ => conv2d(x, self.weight.clone(), None, options),
        };
        let y = match &self.post {
            StagePost::Norm {
                scale,
                shift,
                epsilon,
            } => instance_norm(y, scale.clone(), shift.clone(), *epsilon),
            StagePost::MappedNorm {
                scales,
                shifts,
                map,
                epsilon,
            } => {
                let [_, _, h, w] = y.dims();
                let map = map_at(map.clone(), h, w);
                regional_instance_norm(y, map, scales.clone(), shifts.clone(), *epsilon)
            }
            _ => y,
        };
        self.activation.apply(y)
    }

    /// Multiply-accumulates of the convolution for an input of
    /// `width × height`.
    ///
    /// ```
    /// # use burn::prelude::*;
    /// # use burn::backend::Flex as CpuBackend;
    /// use bevy_gan_style_nn::{BlockActivation, ConvStage, Skip, StagePost};
    /// let stage = ConvStage {
    ///     weight: Tensor::<CpuBackend, 4>::zeros([32, 3, 9, 9], &Default::default()),
    ///     stride: 2,
    ///     upsample: false,
    ///     post: StagePost::None,
    ///     activation: BlockActivation::Relu,
    ///     skip: Skip::None,
    /// };
    /// // 128 × 84 outputs, 32 · 3 · 81 each.
    /// assert_eq!(stage.macs(256, 168), 128 * 84 * 32 * 3 * 81);
    /// assert_eq!(stage.output_size(256, 168), (128, 84));
    /// ```
    pub fn macs(&self, width: usize, height: usize) -> u64 {
        let [out, cin, k, _] = self.weight.dims();
        let (w, h) = self.output_size(width, height);
        (w * h * out * cin * k * k) as u64
    }

    /// Width and height of the output for an input of `width × height`.
    pub fn output_size(&self, width: usize, height: usize) -> (usize, usize) {
        let up = if self.upsample { 2 } else { 1 };
        let side = |n: usize| (n * up).div_ceil(self.stride);
        (side(width), side(height))
    }
}

/// Arithmetic precision of the GPU kernels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "bevy_reflect", derive(bevy_reflect::Reflect))]
pub enum Precision {
    /// 32-bit floats throughout.
    #[default]
    F32,
    /// Half-precision activations, weights and convolution sums where the
    /// device has `SHADER_F16` (f32 elsewhere, and on the CPU backend).
    F16,
}

/// Runs `stages` with burn's ops only (what [`StageBackend`](super::StageBackend)
/// runs by default; the reference the kernels are tested against).
pub fn run_stages_plain<B: Backend>(stages: &[ConvStage<B>], x: Tensor<B, 4>) -> Tensor<B, 4> {
    let mut saved = None;
    stages.iter().fold(x, |x, stage| {
        if stage.skip == Skip::Save {
            saved = Some(x.clone());
        }
        let y = stage.forward_plain(x);
        match (stage.skip, saved.take()) {
            (Skip::Add, Some(input)) => input + y,
            (_, kept) => {
                saved = kept;
                y
            }
        }
    })
}

/// Multiply-accumulates of `stages` run in order on a `width × height`
/// input, each named by the next of `names`.
pub fn stage_macs<B: Backend>(
    stages: &[ConvStage<B>],
    names: impl IntoIterator<Item = String>,
    width: usize,
    height: usize,
) -> MacReport {
    let mut report = MacReport::default();
    let (mut w, mut h) = (width, height);
    for (stage, name) in stages.iter().zip(names) {
        report.push(name, stage.macs(w, h));
        (w, h) = stage.output_size(w, h);
    }
    report
}
