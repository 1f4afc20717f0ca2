//! What each filtered view keeps between frames, and this frame's plan for
//! it, decided in `RenderSystems::Prepare`: the buffers (re)made for the
//! view's size, the resolved style, and whether the network runs.

use std::sync::Arc;

use bevy::math::UVec2;
use bevy::prelude::*;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::{Buffer, BufferDescriptor, BufferUsages, PipelineCache};
use bevy::render::renderer::RenderDevice;
use bevy::render::texture::GpuImage;
use bevy::render::view::ViewTarget;
use burn::backend::wgpu::WgpuDevice;
use burn::tensor::{Tensor, TensorData};

use super::component::StyleSchedule;
use super::extract::{ExtractedMapSource, ExtractedStyleTransfer, GpuMapSource};
use super::map_pass::MapPipeline;
use super::pipeline::ComposePipeline;
use super::style_images::{PreparedStyleImages, StyleVectors};
use super::style_map::{MaskPixels, PreparedStyleMasks};
use crate::bridge::{TensorBridge, TexelBuffer, TexelKind};
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::{CardModel, GpuNet, MapStyles, StyleError, StyleModel, StyleNet, StyleVector};
use bevy_gan_style_nn::{LayerStyles, two_style_map};

/// Frames rendered so far (advanced in `RenderSystems::Cleanup`): tells
/// whether a view's history is from the previous frame.
#[derive(Resource, Default)]
pub(crate) struct FilterFrame(pub u64);

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
}

/// What produced a view's last network output.
#[derive(Clone, Copy, PartialEq)]
pub(crate) struct Produced {
    pub model: AssetId<StyleModel>,
    /// The build of the model's network (a hot reload makes a new one).
    pub revision: u64,
    pub net_size: UVec2,
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
    last_frame: u64,
    /// The last network output, reused by frames that skip the network,
    /// and what produced it.
    pub output: Option<(Tensor<GpuBackend, 4>, Produced)>,
    /// Colour statistics of the last run (amortizing cameras).
    pub colours: Option<Tensor<GpuBackend, 4>>,
    pub frames_since_run: u32,
    /// [`Restylize`](super::Restylize) requests seen when the network last ran.
    pub requests: u32,
    /// [`FeatureMapProbe`](super::FeatureMapProbe) requests served.
    pub feature_requests: u32,
    /// Recently used style rows (dense weights) and their tensors.
    uploaded: Vec<(Vec<f32>, Tensor<GpuBackend, 2>)>,
    /// The [`StyleMap`](super::StyleMap) mask last uploaded, and its tensor.
    mask: Option<(Arc<MaskPixels>, Tensor<GpuBackend, 4>)>,
    /// A failure was already reported for this view.
    pub warned: bool,
    /// Timestamp queries of the filter's cost (begin, end), where the
    /// device can write timestamps inside encoders.
    cost_queries: Option<Option<wgpu::QuerySet>>,
}

impl ViewFilter {
    fn new(device: &RenderDevice, size: UVec2, kind: TexelKind) -> Self {
        Self {
            buffers: ViewBuffers::new(device, size, kind),
            previous: 0,
            last_frame: 0,
            output: None,
            colours: None,
            frames_since_run: 0,
            requests: 0,
            feature_requests: 0,
            uploaded: Vec::new(),
            mask: None,
            warned: false,
            cost_queries: None,
        }
    }

    /// The view's two timestamp queries, made on first use; `None` when
    /// the device has no timestamps inside encoders.
    pub fn cost_queries(&mut self, device: &RenderDevice) -> Option<wgpu::QuerySet> {
        self.cost_queries
            .get_or_insert_with(|| {
                let needed = wgpu::Features::TIMESTAMP_QUERY
                    | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
                device.features().contains(needed).then(|| {
                    device
                        .wgpu_device()
                        .create_query_set(&wgpu::QuerySetDescriptor {
                            label: Some("gan_style camera cost"),
                            ty: wgpu::QueryType::Timestamp,
                            count: 2,
                        })
                })
            })
            .clone()
    }

    /// The `[1, D]` style row for dense `weights`, uploaded only when new.
    fn style_row(&mut self, weights: Vec<f32>, device: &WgpuDevice) -> Tensor<GpuBackend, 2> {
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

    /// The `[1, 1, H, W]` tensor of a mask, uploaded only when it changed.
    fn mask_tensor(
        &mut self,
        pixels: &Arc<MaskPixels>,
        device: &WgpuDevice,
    ) -> Tensor<GpuBackend, 4> {
        match &self.mask {
            Some((kept, tensor)) if Arc::ptr_eq(kept, pixels) => tensor.clone(),
            _ => {
                let shape = [1, 1, pixels.height as usize, pixels.width as usize];
                let tensor =
                    Tensor::from_data(TensorData::new(pixels.values.clone(), shape), device);
                self.mask = Some((pixels.clone(), tensor.clone()));
                tensor
            }
        }
    }
}

/// The style a network run uses: the conditions of each part of the
/// network, and for arbitrary-style models Magenta's strength when below 1
/// (the frame's own style vector is then mixed into every style row).
pub(crate) struct RunStyle {
    pub styles: LayerStyles<GpuBackend>,
    pub strength: Option<f32>,
    /// A style map the filter makes on the GPU before the network runs.
    pub gpu_map: Option<GpuMap>,
}

/// A style map made on the GPU in the frame it is used: the tensor the
/// network's conditions hold, to be filled from `source`.
pub(crate) struct GpuMap {
    pub tensor: Tensor<GpuBackend, 4>,
    pub source: GpuMapSource,
}

/// This frame's plan for a filtered view (on its view entity until
/// `RenderSystems::Cleanup`).
#[derive(Component)]
pub(crate) struct FramePlan {
    /// The network's (internal) size.
    pub net_size: UVec2,
    /// Run the network with this style, or reuse the last output.
    pub run: Option<RunStyle>,
    /// The view was filtered in the previous frame, at this size and format.
    pub history_valid: bool,
}

/// Network size for a view: `scale` of it, in multiples of 4, at least 8.
pub(crate) fn network_size(view: UVec2, scale: f32) -> UVec2 {
    let side = |v: u32| ((((v as f32 * scale) / 4.0).round() as u32) * 4).max(8);
    UVec2::new(side(view.x), side(view.y))
}

/// The style input of one view this frame, before the run decision.
enum FrameStyle {
    /// A model with `count` stored styles.
    Stored { count: usize },
    /// Style images' vectors, with Magenta's strength.
    Vector {
        images: Vec<StyleVector<GpuBackend>>,
        strength: f32,
    },
    /// Style images or the style map's mask still being prepared: keep
    /// showing the last output.
    Waiting,
}

/// Checks every style selection of the camera against `count` styles (or
/// style images), so that a bad one skips the filter with a warning.
fn check_selections(settings: &ExtractedStyleTransfer, count: usize) -> Result<(), StyleError> {
    let layers = &settings.layers;
    let main = &settings.style;
    let region = settings.region.iter().flat_map(|map| &map.styles);
    [
        layers.encoder_or(main),
        layers.residual_or(main),
        layers.decoder_or(main),
    ]
    .into_iter()
    .chain(region)
    .try_for_each(|weights| weights.to_dense(count).map(drop))
}

/// The passes the filter records besides burn's kernels.
type Pipelines<'w> = (
    TensorBridge<'w>,
    Option<Res<'w, ComposePipeline>>,
    Option<Res<'w, MapPipeline>>,
    Res<'w, PipelineCache>,
);

/// Plans every filtered view's frame.
#[expect(clippy::too_many_arguments, reason = "a render system's resources")]
pub(crate) fn prepare_style_transfer(
    mut commands: Commands,
    mut views: Query<(
        Entity,
        &ViewTarget,
        &ExtractedStyleTransfer,
        Option<&mut ViewFilter>,
    )>,
    (nets, gpu_images): (
        Res<RenderAssets<GpuNet<StyleModel>>>,
        Res<RenderAssets<GpuImage>>,
    ),
    (bridge, compose, map_pipeline, cache): Pipelines,
    burn: Option<Res<BurnDevice>>,
    device: Res<RenderDevice>,
    frame: Res<FilterFrame>,
    (prepared, masks): (
        Option<Res<PreparedStyleImages>>,
        Option<Res<PreparedStyleMasks>>,
    ),
    mut vectors: ResMut<StyleVectors>,
) {
    on_render_stream(|| {
        let Some(BurnDevice::Gpu(burn_device)) = burn.as_deref() else {
            return;
        };
        // Until the pipelines are compiled, cameras render unfiltered.
        let compose_ready = compose
            .as_ref()
            .is_some_and(|compose| cache.get_compute_pipeline(compose.id).is_some());
        if !compose_ready || !bridge.is_ready() {
            return;
        }
        for (entity, target, settings, state) in &mut views {
            // Not loaded (or not buildable) yet: render unfiltered.
            let Some(gpu_net) = nets.get(settings.model) else {
                continue;
            };
            let Some(net) = gpu_net.net.as_ref() else {
                continue;
            };
            let texture: &wgpu::Texture = target.main_texture();
            let kind = match TexelKind::checked(
                texture,
                wgpu::TextureUsages::COPY_SRC | wgpu::TextureUsages::COPY_DST,
            ) {
                Ok(kind) => kind,
                Err(error) => {
                    warn_once!("bevy_gan_style: camera filter skipped: {error}");
                    continue;
                }
            };
            let size = UVec2::new(texture.width(), texture.height());
            if size.x < 8 || size.y < 8 {
                continue;
            }
            let card = gpu_net.model.card();
            let mut style = match net {
                StyleNet::Arbitrary(arbitrary) => {
                    if settings.style_images.is_empty() {
                        warn_once!(
                            "bevy_gan_style: camera filter skipped: `{}` takes its style from \
                             images; set StyleTransfer::style_images",
                            card.name
                        );
                        continue;
                    }
                    let ready: Option<Vec<_>> = settings
                        .style_images
                        .iter()
                        .map(|id| prepared.as_ref()?.0.get(id).map(|source| (*id, source)))
                        .collect();
                    match ready {
                        None => FrameStyle::Waiting,
                        Some(sources) => {
                            let images: Vec<_> = sources
                                .into_iter()
                                .map(|(id, source)| {
                                    vectors.get(
                                        (settings.model, id),
                                        source,
                                        arbitrary,
                                        burn_device,
                                        frame.0,
                                    )
                                })
                                .collect();
                            match check_selections(settings, images.len()) {
                                Ok(()) => FrameStyle::Vector {
                                    images,
                                    strength: settings.style_strength,
                                },
                                Err(error) => {
                                    warn_once!("bevy_gan_style: camera filter skipped: {error}");
                                    continue;
                                }
                            }
                        }
                    }
                }
                _ => match check_selections(settings, card.num_styles()) {
                    Ok(()) => FrameStyle::Stored {
                        count: card.num_styles(),
                    },
                    Err(error) => {
                        warn_once!("bevy_gan_style: camera filter skipped: {error}");
                        continue;
                    }
                },
            };
            // A style map waits for its mask.
            let mask = match settings.region.as_ref().map(|map| &map.source) {
                Some(ExtractedMapSource::Mask(image)) => {
                    let mask = masks.as_ref().and_then(|masks| masks.0.get(image).cloned());
                    if mask.is_none() {
                        style = FrameStyle::Waiting;
                    }
                    mask
                }
                // Maps made on the GPU wait for their pipeline (and region
                // passes for their image).
                Some(source) => {
                    let image_ready = match source {
                        ExtractedMapSource::Gpu(GpuMapSource::Regions { image, .. }) => {
                            gpu_images.get(*image).is_some()
                        }
                        _ => true,
                    };
                    if !image_ready
                        || !map_pipeline
                            .as_ref()
                            .is_some_and(|pipeline| pipeline.is_ready(&cache))
                    {
                        style = FrameStyle::Waiting;
                    }
                    None
                }
                None => None,
            };

            let mut fresh = None;
            let state = match state {
                Some(state) => state.into_inner(),
                None => fresh.insert(ViewFilter::new(&device, size, kind)),
            };
            let view = ViewFrame {
                size,
                kind,
                frame: frame.0,
            };
            let plan = plan_frame(
                state,
                view,
                settings,
                gpu_net,
                (style, mask),
                &device,
                burn_device,
            );
            if let Some(fresh) = fresh {
                commands.entity(entity).insert(fresh);
            }
            if let Some(plan) = plan {
                commands.entity(entity).insert(plan);
            }
        }
    })
}

/// A view's target this frame.
#[derive(Clone, Copy)]
struct ViewFrame {
    size: UVec2,
    kind: TexelKind,
    frame: u64,
}

/// Updates `state` for this frame and decides what the filter does, or
/// `None` to leave the frame unfiltered.
fn plan_frame(
    state: &mut ViewFilter,
    view: ViewFrame,
    settings: &ExtractedStyleTransfer,
    gpu_net: &GpuNet<StyleModel>,
    (style, mask): (FrameStyle, Option<Arc<MaskPixels>>),
    device: &RenderDevice,
    burn_device: &WgpuDevice,
) -> Option<FramePlan> {
    // (Re)create the view's buffers when its size or format changed; a view
    // not filtered in the previous frame has no usable history.
    let same_buffers =
        state.buffers.frame.size() == view.size && state.buffers.frame.kind() == view.kind;
    let history_valid = same_buffers && state.last_frame + 1 == view.frame;
    if !same_buffers {
        *state = ViewFilter::new(device, view.size, view.kind);
    }
    state.last_frame = view.frame;

    let net_size = network_size(view.size, settings.resolution_scale);
    if let Err(error) = gpu_net.model.check_device_limit(
        net_size.x,
        net_size.y,
        device.limits().max_storage_buffer_binding_size,
    ) {
        // Render unfiltered rather than fail inside the GPU backend.
        warn_once!("bevy_gan_style: camera filter skipped: {error}");
        return None;
    }
    let produced = Produced {
        model: settings.model,
        revision: gpu_net.revision,
        net_size,
    };
    let last = state.output.as_ref().map(|(_, produced)| *produced);
    let due = last != Some(produced)
        || match settings.schedule {
            StyleSchedule::EveryFrame => state.frames_since_run + 1 >= settings.interval,
            StyleSchedule::EveryNFrames(n) => {
                state.frames_since_run + 1 >= n.max(settings.interval).max(1)
            }
            StyleSchedule::OnDemand => state.requests != settings.requests,
        }
        // Feature maps are read from a run of their own frame.
        || settings
            .features
            .as_ref()
            .is_some_and(|probe| probe.requests != state.feature_requests);
    let run = match style {
        // Style images still loading: keep the last output if it fits.
        FrameStyle::Waiting if last.is_none_or(|last| last.net_size != net_size) => return None,
        FrameStyle::Waiting => None,
        _ if !due => None,
        FrameStyle::Stored { count } => {
            let (map, gpu_map) = region(state, settings, mask.as_ref(), net_size, burn_device);
            let styles = settings
                .layers
                .layer_styles(&settings.style, map, |weights| {
                    Ok::<_, StyleError>(state.style_row(weights.to_dense(count)?, burn_device))
                })
                .ok()?;
            Some(RunStyle {
                styles,
                strength: None,
                gpu_map,
            })
        }
        FrameStyle::Vector { images, strength } => {
            let (map, gpu_map) = region(state, settings, mask.as_ref(), net_size, burn_device);
            let styles = settings
                .layers
                .layer_styles(&settings.style, map, |weights| {
                    StyleVector::blend(&images, weights).map(|vector| vector.tensor())
                })
                .ok()?;
            Some(RunStyle {
                styles,
                strength: (strength != 1.0).then_some(strength),
                gpu_map,
            })
        }
    };
    Some(FramePlan {
        net_size,
        run,
        history_valid,
    })
}

/// The camera's style map for a run: its style and map tensor, and when
/// the GPU makes the map this frame, what the filter fills.
fn region<'a>(
    state: &mut ViewFilter,
    settings: &'a ExtractedStyleTransfer,
    mask: Option<&Arc<MaskPixels>>,
    net_size: UVec2,
    device: &WgpuDevice,
) -> (Option<MapStyles<'a, GpuBackend>>, Option<GpuMap>) {
    let Some(map) = &settings.region else {
        return (None, None);
    };
    let styles = map.styles.iter().collect();
    match &map.source {
        ExtractedMapSource::Mask(_) => match mask {
            Some(mask) => (
                Some(MapStyles {
                    styles,
                    map: two_style_map(state.mask_tensor(mask, device)),
                }),
                None,
            ),
            None => (None, None),
        },
        ExtractedMapSource::Gpu(source) => {
            let channels = 1 + map.styles.len();
            let shape = [1, channels, net_size.y as usize, net_size.x as usize];
            let tensor = Tensor::empty(shape, device);
            let gpu_map = GpuMap {
                tensor: tensor.clone(),
                source: source.clone(),
            };
            (
                Some(MapStyles {
                    styles,
                    map: tensor,
                }),
                Some(gpu_map),
            )
        }
    }
}

/// The GPU buffers the camera filter keeps for its views (copies of the
/// frame and of the output, two history frames), as of the end of the last
/// frame: a render-world resource. The networks' tensors (weights, kept
/// outputs) are counted by
/// [`BurnDevice::memory_usage`](crate::device::BurnDevice::memory_usage).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::style_transfer::FilterBuffers;
/// fn report(buffers: Res<FilterBuffers>) {
///     info!("{} filtered views hold {} bytes", buffers.views, buffers.bytes);
/// }
/// // In the render app: app.sub_app_mut(RenderApp).add_systems(Render, report);
/// ```
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterBuffers {
    /// Views the filter ran on in the last frame.
    pub views: usize,
    /// Bytes of their buffers.
    pub bytes: u64,
}

/// Ends the frame: drops plans, forgets views that were not filtered and
/// style vectors not used for a while, and advances the frame counter.
pub(crate) fn retire_views(
    mut commands: Commands,
    views: Query<(Entity, &ViewFilter)>,
    plans: Query<Entity, With<FramePlan>>,
    mut frame: ResMut<FilterFrame>,
    mut vectors: ResMut<StyleVectors>,
    mut held: ResMut<FilterBuffers>,
) {
    for entity in &plans {
        commands.entity(entity).remove::<FramePlan>();
    }
    *held = FilterBuffers::default();
    for (entity, view) in &views {
        if view.last_frame != frame.0 {
            commands.entity(entity).remove::<ViewFilter>();
        } else {
            let buffers = &view.buffers;
            held.views += 1;
            held.bytes += buffers.frame.buffer().size()
                + buffers.output.buffer().size()
                + buffers
                    .history
                    .iter()
                    .map(|buffer| buffer.size())
                    .sum::<u64>();
        }
    }
    vectors.retire(frame.0);
    frame.0 += 1;
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
