//! What the filter keeps per view between frames ([`ViewFilter`]), this
//! frame's plan for it ([`FramePlan`]), and the components through which
//! the features take part: a frame budget sets the [`FilterRate`], style
//! images and style maps add their inputs to the plan, temporal
//! stabilisation adds [`ComposeHistory`] to the compose pass.

use bevy::math::UVec2;
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_resource::{Buffer, BufferDescriptor, BufferUsages, TextureView};
use bevy::render::renderer::RenderDevice;
use burn::backend::wgpu::WgpuDevice;
use burn::tensor::Tensor;

use crate::bridge::{TensorPassBindings, TexelBuffer, TexelKind};
use crate::device::GpuBackend;
use crate::model::{StyleModel, StyleVector, StyleWeights};
use bevy_gan_style_nn::LayerStyles;

/// The internal resolution scale and run interval of a camera's filter,
/// when something other than the camera chooses them (a
/// [`FrameBudget`](super::FrameBudget)). Without it, the camera's own
/// `resolution_scale`, every frame.
#[derive(Component, ExtractComponent, Clone, Copy, Debug, PartialEq)]
pub struct FilterRate {
    /// Internal resolution scale (kept within the camera's bounds).
    pub scale: f32,
    /// The network runs every `interval` frames at most.
    pub interval: u32,
}

/// The buffers of one view, re-created only when its size or format
/// changes.
pub(crate) struct ViewBuffers {
    /// The rendered frame, copied raw from the view target.
    pub frame: TexelBuffer,
    /// The composed frame, copied back into the view target.
    pub output: TexelBuffer,
    /// Stylized colour (RGBA8) of the previous and of the current frame.
    pub history: [Buffer; 2],
}

impl ViewBuffers {
    fn new(device: &RenderDevice, size: UVec2, kind: TexelKind) -> Self {
        let history = || {
            device.create_buffer(&BufferDescriptor {
                label: Some("gan_style camera history"),
                size: u64::from(size.x) * u64::from(size.y) * 4,
                usage: BufferUsages::STORAGE,
                mapped_at_creation: false,
            })
        };
        Self {
            frame: TexelBuffer::new(device, "gan_style camera frame", size, kind),
            output: TexelBuffer::new(device, "gan_style camera output", size, kind),
            history: [history(), history()],
        }
    }

    /// Bytes held.
    pub fn bytes(&self) -> u64 {
        self.frame.buffer().size()
            + self.output.buffer().size()
            + self.history.iter().map(|buffer| buffer.size()).sum::<u64>()
    }
}

/// What produced a view's last network output.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct Produced {
    pub model: AssetId<StyleModel>,
    /// The build of the model's network (a hot reload makes a new one).
    pub revision: u64,
    pub net_size: UVec2,
    /// The range of its values (the model's output range).
    pub output_range: (f32, f32),
}

/// Style rows kept per view: the dense weights uploaded, and their tensor.
const KEPT_ROWS: usize = 8;

/// Render-world state of a filtered view, on its view entity; removed
/// when the view is not filtered for a frame.
#[derive(Component)]
pub(crate) struct ViewFilter {
    pub buffers: ViewBuffers,
    /// Which buffer of `buffers.history` holds the previous frame.
    pub previous: usize,
    /// Frame in which this view was last planned.
    pub last_frame: u64,
    /// The last network output, reused by frames that skip the network,
    /// and what produced it.
    pub output: Option<(Tensor<GpuBackend, 4>, Produced)>,
    pub frames_since_run: u32,
    /// [`Restylize`](super::Restylize) requests seen when the network last ran.
    pub requests: u32,
    /// Recently used style rows (dense weights) and their tensors.
    uploaded: Vec<(Vec<f32>, Tensor<GpuBackend, 2>)>,
    /// A failure was already reported for this view.
    pub warned: bool,
    /// The input pass's uniform and bind group, kept between frames.
    pub input_bindings: TensorPassBindings,
}

impl ViewFilter {
    pub fn new(device: &RenderDevice, size: UVec2, kind: TexelKind) -> Self {
        Self {
            buffers: ViewBuffers::new(device, size, kind),
            previous: 0,
            last_frame: 0,
            output: None,
            frames_since_run: 0,
            requests: 0,
            uploaded: Vec::new(),
            warned: false,
            input_bindings: TensorPassBindings::default(),
        }
    }

    /// The `[1, D]` style row for dense `weights`, uploaded only when new.
    pub fn style_row(&mut self, weights: Vec<f32>, device: &WgpuDevice) -> Tensor<GpuBackend, 2> {
        if let Some((_, tensor)) = self.uploaded.iter().find(|(kept, _)| *kept == weights) {
            return tensor.clone();
        }
        let tensor = Tensor::<GpuBackend, 1>::from_floats(weights.as_slice(), device)
            .reshape([1, weights.len()]);
        if self.uploaded.len() == KEPT_ROWS {
            self.uploaded.remove(0);
        }
        self.uploaded.push((weights, tensor.clone()));
        tensor
    }
}

/// What the filter does for a view this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Run the network.
    Run,
    /// Compose with the last output.
    Reuse,
    /// Leave the frame as rendered.
    Unfiltered,
}

/// Style vectors of a camera's style images, for arbitrary-style networks,
/// with Magenta's strength.
pub(crate) struct PlanVectors {
    pub vectors: Vec<StyleVector<GpuBackend>>,
    pub strength: f32,
}

/// A style map for this frame's run: the styles of its channels after the
/// camera's own, and the map tensor the network reads (filled on the GPU
/// before the network runs, for maps made there).
pub(crate) struct PlanMap {
    pub styles: Vec<StyleWeights>,
    pub tensor: Tensor<GpuBackend, 4>,
}

/// The style a network run uses: the conditions of each part of the
/// network, and for arbitrary-style models Magenta's strength when below 1
/// (the frame's own style vector is then mixed into every style row).
pub(crate) struct RunStyle {
    pub styles: LayerStyles<GpuBackend>,
    pub strength: Option<f32>,
}

/// This frame's network run: its input, the style it ran with and its
/// output, for the features that look at them after it.
pub(crate) struct NetworkRun {
    pub input: Tensor<GpuBackend, 4>,
    pub styles: LayerStyles<GpuBackend>,
    pub output: Tensor<GpuBackend, 4>,
}

/// This frame's plan for a filtered view (on its view entity until
/// `RenderSystems::Cleanup`): made by the core, completed by the features
/// (style vectors, style maps, forced runs), resolved into a style, carried
/// out by the record systems.
#[derive(Component)]
pub(crate) struct FramePlan {
    /// The view's top-left texel in its target (the viewport's position;
    /// the view's size is its buffers').
    pub origin: UVec2,
    /// The network's (internal) size.
    pub net_size: UVec2,
    /// The view was filtered in the previous frame, at this size and format.
    pub history_valid: bool,
    pub step: Step,
    /// The last output fits this frame (same model build and size).
    pub reusable: bool,
    /// The network is warmed up at this size (else the plan shows an older
    /// output while it is).
    pub ready: bool,
    /// Style vectors (arbitrary-style networks), from the style images.
    pub vectors: Option<PlanVectors>,
    /// A style map, from the camera's regional styles.
    pub map: Option<PlanMap>,
    /// Temporal stabilisation's part of the compose pass.
    pub history: Option<ComposeHistory>,
    /// The resolved style of a run.
    pub style: Option<RunStyle>,
    /// The network's input, once recorded.
    pub input: Option<Tensor<GpuBackend, 4>>,
    /// The run, once done.
    pub ran: Option<NetworkRun>,
}

impl FramePlan {
    /// A plan to run the network at `net_size`.
    pub fn new(net_size: UVec2, history_valid: bool, reusable: bool) -> Self {
        Self {
            origin: UVec2::ZERO,
            net_size,
            history_valid,
            step: Step::Run,
            reusable,
            ready: true,
            vectors: None,
            map: None,
            history: None,
            style: None,
            input: None,
            ran: None,
        }
    }

    /// Whether the network runs this frame.
    pub fn runs(&self) -> bool {
        self.step == Step::Run
    }

    /// Runs the network this frame whatever the schedule (a feature that
    /// reads from the run asks for it).
    pub fn force_run(&mut self) {
        if self.step == Step::Reuse {
            self.step = Step::Run;
        }
    }

    /// An input a run needs is not ready yet: reuse the last output if it
    /// fits, else leave the frame unfiltered.
    pub fn hold(&mut self) {
        if self.step == Step::Run {
            self.step = if self.reusable {
                Step::Reuse
            } else {
                Step::Unfiltered
            };
        }
    }
}

/// What temporal stabilisation adds to a view's compose pass: its settings,
/// the prepass textures it reads, where the warping error and fill mask go,
/// and the last run's colour statistics (for amortized frames).
pub(crate) struct ComposeHistory {
    pub history_weight: f32,
    pub depth_tolerance: f32,
    pub amortize: bool,
    pub motion: TextureView,
    pub depth: TextureView,
    pub previous_depth: TextureView,
    pub probe: Option<Buffer>,
    pub mask: Option<Buffer>,
    pub colours: Option<Tensor<GpuBackend, 4>>,
}

/// Network size for a view: `scale` of it, in multiples of 4, at least 8.
pub(crate) fn network_size(view: UVec2, scale: f32) -> UVec2 {
    let side = |v: u32| ((((v as f32 * scale) / 4.0).round() as u32) * 4).max(8);
    UVec2::new(side(view.x), side(view.y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_sizes_are_multiples_of_four_and_at_least_eight() {
        assert_eq!(
            network_size(UVec2::new(1280, 720), 0.5),
            UVec2::new(640, 360)
        );
        // 90 × 70 → 92 × 72 (rounded to the nearest multiple of 4).
        assert_eq!(network_size(UVec2::new(90, 70), 1.0), UVec2::new(92, 72));
        assert_eq!(network_size(UVec2::new(100, 60), 0.05), UVec2::new(8, 8));
        assert_eq!(network_size(UVec2::new(129, 97), 0.25), UVec2::new(32, 24));
    }
}
