//! A compact super-resolution network in the family of ESPCN / FSRCNN and
//! Real-ESRGAN's compact net: a few 3×3 convolutions at the low resolution,
//! a last one with `3·f²` outputs rearranged into an `f`-times larger image
//! (depth to space, "pixel shuffle"), added to a bicubic upsampling of the
//! input. The network only predicts the detail interpolation loses, so a
//! small one starts where bicubic interpolation is and learns from there.
//!
//! Its convolutions are [`ConvStage`]s: on burn's wgpu backend the crate's
//! GPU kernels run them ([`StageBackend`]), elsewhere burn's ops (and
//! autodiff, for training).

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::init::conv_weight;
use super::macs::MacReport;
use super::ops::BlockActivation;
use super::run::StageBackend;
use super::stage::{ConvStage, Precision, Skip, StagePost, stage_macs};

/// Architecture of an [`Upscaler`].
///
/// ```
/// use bevy_gan_style_nn::UpscalerConfig;
/// let config = UpscalerConfig::new();
/// assert_eq!(config.factor, 2);
/// // 3→16, three 16→16 and 16→12 3×3 convolutions per input pixel,
/// // shared by the 4 output pixels it becomes.
/// assert_eq!(config.macs_per_output_pixel(), 2268.0);
/// assert_eq!(config.halo(), 5);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct UpscalerConfig {
    /// How many times larger the output is on each side (2 or 4).
    #[config(default = 2)]
    pub factor: usize,
    /// Feature channels at the low resolution.
    #[config(default = 16)]
    pub channels: usize,
    /// 3×3 convolutions between the first and the last.
    #[config(default = 3)]
    pub blocks: usize,
    /// Channels of a full-size guide picture given beside the low
    /// resolution input (`None`: no guide). The style-aware upscaler is
    /// guided by the frame the style network ran on (3: RGB): the
    /// strokes a style draws follow the edges of the full-size frame,
    /// which the half-size stylization has lost. The guide enters the
    /// first convolution as `channels · f²` planes (space to depth), so
    /// the network still runs at the low resolution.
    pub guide: Option<usize>,
    /// What the predicted detail is added to (`None`: the bicubic
    /// upsampling of the input).
    pub base: Option<UpscaleBase>,
}

/// What an [`Upscaler`]'s predicted detail is added to.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{UpscaleBase, UpscalerConfig};
/// let device = Default::default();
/// let config = UpscalerConfig::new().with_guide(Some(3)).with_base(Some(UpscaleBase::Guide));
/// let net = config.init::<CpuBackend>(&device);
/// let small = Tensor::<CpuBackend, 4>::full([1, 3, 8, 8], 0.9, &device);
/// let student = Tensor::<CpuBackend, 4>::full([1, 3, 16, 16], 0.2, &device);
/// // Untrained, it is (nearly) the guide.
/// let error = net.forward_guided(small, student).sub_scalar(0.2).abs().max().into_scalar();
/// assert!(error < 0.1, "{error}");
/// ```
#[derive(serde::Serialize, serde::Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum UpscaleBase {
    /// The bicubic upsampling of the low-resolution input.
    #[default]
    Bicubic,
    /// The full-size guide (3 planes), when it already is an image of the
    /// kind the output should be: a real-time student's stylization of the
    /// frame, which the network corrects toward the teacher with what the
    /// teacher drew at the low resolution.
    Guide,
}

impl UpscalerConfig {
    /// Creates the network with freshly initialised weights (the last
    /// convolution's scaled down, so that an untrained network is nearly
    /// the bicubic upsampling).
    pub fn init<B: Backend>(&self, device: &B::Device) -> Upscaler<B> {
        let conv = |cin, cout| UpscaleConv {
            weight: conv_weight([cin, cout], 3, device),
            bias: Initializer::Zeros.init([cout], device),
        };
        let out = 3 * self.factor * self.factor;
        let tail = conv(self.channels, out);
        let tail = UpscaleConv {
            weight: tail.weight.map(|w| w.mul_scalar(0.1)),
            ..tail
        };
        Upscaler {
            head: conv(self.input_planes(), self.channels),
            body: (0..self.blocks)
                .map(|_| conv(self.channels, self.channels))
                .collect(),
            tail,
            factor: self.factor,
            guide_base: self.base == Some(UpscaleBase::Guide),
        }
    }

    /// Planes at the low resolution the first convolution reads: the RGB
    /// input and the guide's depth-to-space planes.
    pub fn input_planes(&self) -> usize {
        3 + self.guide.unwrap_or(0) * self.factor * self.factor
    }

    /// Input pixels on each side an output pixel depends on beyond its own
    /// (one per 3×3 convolution): how much context a tile needs.
    pub fn halo(&self) -> usize {
        self.blocks + 2
    }

    /// Multiply-accumulates per output pixel.
    pub fn macs_per_output_pixel(&self) -> f64 {
        let c = self.channels;
        let per_input =
            9 * (self.input_planes() * c + self.blocks * c * c + c * 3 * self.factor * self.factor);
        per_input as f64 / (self.factor * self.factor) as f64
    }

    /// Upper bound, in elements, of the largest activation for a
    /// `width × height` input: a padded feature map, or the output.
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        let f = self.factor;
        let planes = self.channels.max(3 * f * f).max(self.input_planes());
        let features = planes * (width + 2) * (height + 2);
        features.max(3 * width * f * height * f)
    }
}

/// One 3×3 convolution of an [`Upscaler`]; `weight` `[out, in, 3, 3]` and
/// `bias` `[out]` are its safetensors names.
#[derive(Module, Debug)]
pub struct UpscaleConv<B: Backend> {
    /// Weight `[out, in, 3, 3]`.
    pub weight: Param<Tensor<B, 4>>,
    /// Bias `[out]`.
    pub bias: Param<Tensor<B, 1>>,
}

impl<B: Backend> UpscaleConv<B> {
    fn stage(&self, activation: BlockActivation) -> ConvStage<B> {
        ConvStage {
            weight: self.weight.val(),
            stride: 1,
            upsample: false,
            post: StagePost::Bias(self.bias.val()),
            activation,
            skip: Skip::None,
        }
    }
}

/// The upscaling network: RGB in `[0, 1]` at `H × W` to RGB at
/// `f·H × f·W` (not clamped).
///
/// Parameter names (`head.weight`, `body.0.bias`, `tail.weight`, …) are the
/// names in its safetensors files.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::UpscalerConfig;
/// let device = Default::default();
/// let net = UpscalerConfig::new().init::<CpuBackend>(&device);
/// let image = Tensor::<CpuBackend, 4>::full([1, 3, 8, 12], 0.5, &device);
/// let large = net.forward(image);
/// assert_eq!(large.dims(), [1, 3, 16, 24]);
/// // Untrained, it is (nearly) the bicubic upsampling.
/// let error = large.sub_scalar(0.5).abs().max().into_scalar();
/// assert!(error < 0.05, "{error}");
/// ```
#[derive(Module, Debug)]
pub struct Upscaler<B: Backend> {
    /// First convolution, RGB to features (ReLU).
    pub head: UpscaleConv<B>,
    /// Feature convolutions (ReLU).
    pub body: Vec<UpscaleConv<B>>,
    /// Last convolution, features to `3·f²` detail planes.
    pub tail: UpscaleConv<B>,
    /// The upscaling factor.
    #[module(skip)]
    pub factor: usize,
    /// The detail is added to the guide ([`UpscaleBase::Guide`]) rather
    /// than to the bicubic upsampling.
    #[module(skip)]
    pub guide_base: bool,
}

impl<B: StageBackend> Upscaler<B> {
    /// The convolutions as stages (what the backend runs).
    pub fn stages(&self) -> Vec<ConvStage<B>> {
        std::iter::once(self.head.stage(BlockActivation::Relu))
            .chain(self.body.iter().map(|c| c.stage(BlockActivation::Relu)))
            .chain(std::iter::once(self.tail.stage(BlockActivation::Identity)))
            .collect()
    }

    /// Upscales `image` (`[N, 3, H, W]`), the GPU kernels in `precision`.
    /// A guided network ([`UpscalerConfig::guide`]) reads `guide` (`[N, g,
    /// f·H, f·W]`); given none, it reads the bicubic upsampling of `image`
    /// in its place (its RGB planes repeated to the guide's channels: what
    /// it knows without a full-size picture). The detail is added to the
    /// bicubic upsampling, or to the guide ([`UpscaleBase::Guide`]).
    pub fn forward_with(
        &self,
        image: Tensor<B, 4>,
        guide: Option<Tensor<B, 4>>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        let mut base = upsample_bicubic(image.clone(), self.factor);
        let input = match self.guide_planes() {
            0 => image,
            planes => {
                let guide = guide.unwrap_or_else(|| {
                    let channels = planes / (self.factor * self.factor);
                    Tensor::cat(vec![base.clone(); channels.div_ceil(3)], 1).narrow(1, 0, channels)
                });
                if self.guide_base {
                    base = guide.clone();
                }
                Tensor::cat(vec![image, space_to_depth(guide, self.factor)], 1)
            }
        };
        let detail = B::run_stages(&self.stages(), input, precision);
        base + depth_to_space(detail, self.factor)
    }

    /// Upscales `image` (`[N, 3, H, W]`) in f32.
    pub fn forward(&self, image: Tensor<B, 4>) -> Tensor<B, 4> {
        self.forward_with(image, None, Precision::F32)
    }

    /// Upscales `image` (`[N, 3, H, W]`) in f32, guided by `guide` (`[N,
    /// g, f·H, f·W]`, the full-size picture).
    ///
    /// ```
    /// # use burn::prelude::*;
    /// # use burn::backend::Flex as CpuBackend;
    /// use bevy_gan_style_nn::UpscalerConfig;
    /// let device = Default::default();
    /// let net = UpscalerConfig::new().with_guide(Some(3)).init::<CpuBackend>(&device);
    /// let small = Tensor::<CpuBackend, 4>::full([1, 3, 8, 12], 0.5, &device);
    /// let frame = Tensor::<CpuBackend, 4>::full([1, 3, 16, 24], 0.2, &device);
    /// assert_eq!(net.forward_guided(small, frame).dims(), [1, 3, 16, 24]);
    /// ```
    pub fn forward_guided(&self, image: Tensor<B, 4>, guide: Tensor<B, 4>) -> Tensor<B, 4> {
        self.forward_with(image, Some(guide), Precision::F32)
    }

    /// Multiply-accumulates per convolution for a `width × height` input.
    pub fn macs(&self, width: usize, height: usize) -> MacReport {
        let names = std::iter::once("head".to_string())
            .chain((0..self.body.len()).map(|i| format!("body.{i}")))
            .chain(std::iter::once("tail".to_string()));
        stage_macs(&self.stages(), names, width, height)
    }
}

impl<B: Backend> Upscaler<B> {
    /// Input planes of the guide (`g · f²`; 0 for an unguided network),
    /// read from the first convolution's weight.
    pub fn guide_planes(&self) -> usize {
        let [_, planes, ..] = self.head.weight.dims();
        planes - 3
    }
}

/// Bicubic upsampling by `factor` (half-pixel centres, `a = -0.75`, edges
/// repeated): the base the network adds its detail to.
pub fn upsample_bicubic<B: Backend>(x: Tensor<B, 4>, factor: usize) -> Tensor<B, 4> {
    let [_, _, h, w] = x.dims();
    interpolate(
        x,
        [h * factor, w * factor],
        InterpolateOptions::new(InterpolateMode::Bicubic).with_align_corners(false),
    )
}

/// Bilinear upsampling by `factor` with half-pixel centres (what a GPU
/// sampler does).
pub fn upsample_bilinear<B: Backend>(x: Tensor<B, 4>, factor: usize) -> Tensor<B, 4> {
    let [_, _, h, w] = x.dims();
    interpolate(
        x,
        [h * factor, w * factor],
        InterpolateOptions::new(InterpolateMode::Bilinear).with_align_corners(false),
    )
}

/// Depth to space ("pixel shuffle"): `[N, C·f², H, W]` to `[N, C, f·H,
/// f·W]`, channel `c·f² + i·f + j` becoming the pixel at offset `(i, j)` of
/// each `f × f` block (PyTorch's `pixel_shuffle` order).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::depth_to_space;
/// let x = Tensor::<CpuBackend, 1>::from_floats([1.0, 2.0, 3.0, 4.0], &Default::default())
///     .reshape([1, 4, 1, 1]);
/// let y = depth_to_space(x, 2);
/// assert_eq!(y.dims(), [1, 1, 2, 2]);
/// assert_eq!(y.into_data().to_vec::<f32>().unwrap(), [1.0, 2.0, 3.0, 4.0]);
/// ```
pub fn depth_to_space<B: Backend>(x: Tensor<B, 4>, factor: usize) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let out = c / (factor * factor);
    x.reshape([n, out, factor, factor, h, w])
        .permute([0, 1, 4, 2, 5, 3])
        .reshape([n, out, h * factor, w * factor])
}

/// Space to depth, the inverse of [`depth_to_space`]: `[N, C, f·H, f·W]`
/// to `[N, C·f², H, W]`.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{depth_to_space, space_to_depth};
/// let x = Tensor::<CpuBackend, 4>::random([1, 3, 4, 6],
///     burn::tensor::Distribution::Default, &Default::default());
/// let planes = space_to_depth(x.clone(), 2);
/// assert_eq!(planes.dims(), [1, 12, 2, 3]);
/// assert_eq!(depth_to_space(planes, 2).into_data(), x.into_data());
/// ```
pub fn space_to_depth<B: Backend>(x: Tensor<B, 4>, factor: usize) -> Tensor<B, 4> {
    let [n, c, h, w] = x.dims();
    let (h, w) = (h / factor, w / factor);
    x.reshape([n, c, h, factor, w, factor])
        .permute([0, 1, 3, 5, 2, 4])
        .reshape([n, c * factor * factor, h, w])
}
