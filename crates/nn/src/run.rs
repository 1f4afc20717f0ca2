//! Running networks: each backend says how it runs convolution stages
//! ([`StageBackend`]: burn's ops, or on burn's wgpu backend the crate's own
//! GPU kernels), and each style transformer says what its stages are
//! ([`StagedNet`]); every way of calling a network ([`StyleTransformer`])
//! follows from those two.

use std::sync::atomic::{AtomicBool, Ordering};

use burn::backend::Flex;
use burn::backend::wgpu::WgpuRuntime;
use burn::prelude::*;
use burn_cubecl::CubeBackend;

use super::condition::{LayerStyles, StyleCondition};
use super::cpu_stage;
use super::kernels;
use super::macs::MacReport;
use super::stage::{ConvStage, Precision, run_stages_plain, stage_macs};

/// A burn backend the networks run on, with its way of running a list of
/// convolution stages: burn's ops by default; on burn's CPU backend
/// (`Flex`) the crate's CPU stages (padding and upsampling folded into an
/// im2col + GEMM convolution, norm, activation and residual in one pass);
/// on burn's wgpu backend (f32, i32, u32) the crate's fused GPU kernels,
/// where burn's own ops take about twenty kernels per stage. Implemented
/// for `Flex`, the wgpu backend and, with the `autodiff` feature,
/// `Autodiff` of any of them (training runs burn's ops, which record the
/// graph).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{MultiStyleConfig, Precision, StageBackend, StagedNet, run_stages_plain};
/// let device = Default::default();
/// let net = MultiStyleConfig::new(2, [8, 8, 8], 1, [8, 8]).init::<CpuBackend>(&device);
/// let stages = net.stages_for(Tensor::from_floats([[1.0, 0.0]], &device));
/// let x = Tensor::<CpuBackend, 4>::ones([1, 3, 16, 16], &device);
/// let y = CpuBackend::run_stages(&stages, x.clone(), Precision::F32);
/// // The CPU stages agree with burn's ops within float rounding.
/// let difference = (y - run_stages_plain(&stages, x)).abs().max().into_scalar();
/// assert!(difference < 1e-4);
/// ```
pub trait StageBackend: Backend {
    /// Runs `stages` in order on `x` (`[N, C, H, W]`), with the residual
    /// connections they mark, in `precision` where the backend has a
    /// choice.
    fn run_stages(
        stages: &[ConvStage<Self>],
        x: Tensor<Self, 4>,
        precision: Precision,
    ) -> Tensor<Self, 4> {
        let _ = precision;
        run_stages_plain(stages, x)
    }
}

impl StageBackend for Flex {
    fn run_stages(stages: &[ConvStage<Self>], x: Tensor<Self, 4>, _: Precision) -> Tensor<Self, 4> {
        cpu_stage::run_stages(stages, x)
    }
}

#[cfg(feature = "autodiff")]
impl<B: StageBackend, C: burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy>
    StageBackend for burn::backend::Autodiff<B, C>
{
}

/// Set once a batch has fallen off the GPU kernels, so that it is said once.
static BATCH_WARNED: AtomicBool = AtomicBool::new(false);

impl StageBackend for CubeBackend<WgpuRuntime, f32, i32, u32> {
    /// The crate's kernels for a batch of one; burn's ops for larger
    /// batches, which the kernels do not take (logged once: burn's ops are
    /// many times slower on the GPU).
    fn run_stages(
        stages: &[ConvStage<Self>],
        x: Tensor<Self, 4>,
        precision: Precision,
    ) -> Tensor<Self, 4> {
        let [batch, ..] = x.dims();
        if batch == 1 {
            return kernels::run_fused(stages, x, precision);
        }
        if !BATCH_WARNED.swap(true, Ordering::Relaxed) {
            log::warn!(
                "bevy_gan_style: a batch of {batch} runs on burn's ops, not the crate's GPU \
                 kernels (batch 1 only), many times slower"
            );
        }
        run_stages_plain(stages, x)
    }
}

/// Ways of calling a style transformer: an image in, the stylized image
/// out, with one style (a `[N, S]` row of style weights or style vectors)
/// or a style condition per part of the network ([`LayerStyles`]: per-pixel
/// style maps, layer-wise mixing). Implementors define
/// [`forward_layered`](Self::forward_layered) (for networks made of
/// convolution stages: [`StagedNet::run`]).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{MultiStyleConfig, StyleTransformer};
/// let device = Default::default();
/// let net = MultiStyleConfig::new(2, [8, 8, 8], 1, [8, 8]).init::<CpuBackend>(&device);
/// let image = Tensor::<CpuBackend, 4>::ones([1, 3, 16, 16], &device);
/// let styled = net.forward(image, Tensor::from_floats([[0.5, 0.5]], &device));
/// assert_eq!(styled.dims(), [1, 3, 16, 16]);
/// ```
pub trait StyleTransformer<B: StageBackend> {
    /// Stylises `image` (`[N, 3, H, W]`) with a style condition per part
    /// of the network, the GPU kernels in `precision`.
    fn forward_layered(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4>;

    /// Stylises `image` with the style rows `style` everywhere, the GPU
    /// kernels in `precision`.
    fn forward_with(
        &self,
        image: Tensor<B, 4>,
        style: Tensor<B, 2>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        self.forward_layered(
            image,
            &LayerStyles::uniform(StyleCondition::Global(style)),
            precision,
        )
    }

    /// Stylises `image` with the style rows `style` everywhere, in f32.
    fn forward(&self, image: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        self.forward_with(image, style, Precision::F32)
    }
}

/// A style transformer written as convolution stages (see [`ConvStage`]):
/// the one description of the network that burn's ops and the GPU kernels
/// both run. Implementors say what the stages are for a style condition,
/// what they are called and how wide a style row is; running the network,
/// one layer's activations and the MAC count follow.
pub trait StagedNet<B: StageBackend> {
    /// The network as convolution stages for `styles`.
    fn stages(&self, styles: &LayerStyles<B>) -> Vec<ConvStage<B>>;

    /// The stages' names (module paths), in order.
    fn stage_names(&self) -> Vec<String>;

    /// Width of a style row (styles held, or the style vector's size).
    fn style_width(&self) -> usize;

    /// The device the network's weights are on.
    fn device(&self) -> B::Device;

    /// The stages for the style rows `style` everywhere.
    fn stages_for(&self, style: Tensor<B, 2>) -> Vec<ConvStage<B>> {
        self.stages(&LayerStyles::uniform(StyleCondition::Global(style)))
    }

    /// Stylises `image` with `styles`: the stages run by the backend (what
    /// these networks' [`StyleTransformer::forward_layered`] is).
    fn run(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        B::run_stages(&self.stages(styles), image, precision)
    }

    /// The output of stage `layer` (an index into
    /// [`stage_names`](Self::stage_names), after its norm, activation and
    /// residual sum) when stylising `image` with `styles`: `[N, C, H', W']`,
    /// or `None` for an index out of range. Runs the stages up to it.
    fn activation(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
        layer: usize,
    ) -> Option<Tensor<B, 4>> {
        let stages = self.stages(styles);
        Some(B::run_stages(stages.get(..=layer)?, image, precision))
    }

    /// Multiply-accumulates per stage for a `width × height` input (see
    /// [`MacReport`]).
    fn macs(&self, width: usize, height: usize) -> MacReport {
        let style = Tensor::zeros([1, self.style_width()], &self.device());
        stage_macs(&self.stages_for(style), self.stage_names(), width, height)
    }
}
