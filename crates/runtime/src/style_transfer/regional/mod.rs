//! Styles per region of the view, in the same network pass: a second style
//! where a mask or a depth band says ([`StyleMap`]), or per object
//! ([`StyleRegion`] entities on [`StyleRegions`] cameras). The camera's
//! style map is made on the CPU (masks, once per change) or on the GPU
//! each run (depth bands, regions: `pass.rs`), straight into the map
//! tensor the network's conditional norms read.

mod map;
mod objects;
mod pass;

use std::sync::Arc;

use bevy::asset::embedded_asset;
use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::prelude::*;
use bevy::render::extract_resource::ExtractResourcePlugin;
use bevy::render::render_asset::RenderAssets;
use bevy::render::render_resource::PipelineCache;
use bevy::render::renderer::{RenderContext, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::sync_world::RenderEntity;
use bevy::render::texture::GpuImage;
use bevy::render::view::ExtractedView;
use bevy::render::{Extract, ExtractSchedule, Render, RenderApp, RenderStartup};
use burn::tensor::{Tensor, TensorData};

pub use map::{DepthBand, MaskPixels, PreparedStyleMasks, StyleMap, StyleMapSource};
pub use objects::{MAX_REGION_STYLES, REGION_LAYER, RegionPass, StyleRegion, StyleRegions};

use super::component::StyleTransfer;
use super::record::record_input;
use super::sets::{AddViewSystems, StyleTransferSystems};
use super::view::{FramePlan, PlanMap, Step};
use crate::bridge::BoundTensor;
use crate::device::{BurnDevice, GpuBackend, on_render_stream};
use crate::model::StyleWeights;
use bevy_gan_style_nn::two_style_map;
use pass::{MapBindings, MapInput, MapPipeline};

/// Regional styles: [`StyleMap`] (masks, depth bands) and [`StyleRegions`]
/// with [`StyleRegion`] entities. Added by
/// [`StyleTransferPlugin`](super::StyleTransferPlugin).
#[derive(Default)]
pub struct StyleMapPlugin;

impl Plugin for StyleMapPlugin {
    fn build(&self, app: &mut App) {
        app.register_type::<StyleMap>()
            .register_type::<StyleRegion>()
            .register_type::<StyleRegions>()
            .init_resource::<objects::RegionStyles>()
            .init_resource::<PreparedStyleMasks>()
            .add_observer(map::add_depth_prepass)
            .add_observer(objects::prepare_region_camera)
            .add_observer(objects::remove_region_camera)
            .add_observer(objects::remove_region_copy)
            .add_plugins((
                MaterialPlugin::<objects::RegionMaterial>::default(),
                ExtractResourcePlugin::<PreparedStyleMasks>::default(),
            ))
            // Apps without images (e.g. a server using only the CPU) have
            // no masks or region passes.
            .add_systems(
                PostUpdate,
                (
                    (objects::sync_region_copies, objects::sync_region_cameras).chain(),
                    map::prepare_style_masks,
                )
                    .run_if(resource_exists::<Assets<Image>>)
                    .in_set(StyleTransferSystems::Update),
            );
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .add_systems(RenderStartup, pass::init_map_pipeline)
            .add_systems(ExtractSchedule, extract_style_maps)
            .add_systems(Render, prepare_maps.in_set(StyleTransferSystems::Prepare))
            .add_view_systems(|| {
                record_map_pass
                    .in_set(StyleTransferSystems::Input)
                    .after(record_input)
            });
        embedded_asset!(app, "style_map.wgsl");
        embedded_asset!(app, "style_region.wgsl");
    }
}

/// A camera's style map in the render world: the styles of its channels
/// after the camera's own, and where its weights come from.
#[derive(Component, Clone, Debug)]
pub(crate) struct ExtractedStyleMap {
    styles: Vec<StyleWeights>,
    source: MapSource,
}

/// Where a camera's style map comes from, in the render world.
#[derive(Clone, Debug)]
enum MapSource {
    /// A mask image, read into weights in the main world.
    Mask(AssetId<Image>),
    /// The depth prepass, by distance.
    DepthBand(DepthBand),
    /// The region pass's image and the depth prepass.
    Regions {
        image: AssetId<Image>,
        tolerance: f32,
    },
}

/// A filtered camera's regional settings, as extraction sees them.
type MappedCamera = (
    RenderEntity,
    Option<&'static StyleMap>,
    Option<(&'static StyleRegions, &'static RegionPass)>,
);

/// Copies each filtered camera's style map to the render world: its
/// [`StyleRegions`] once a region style is in use, else its [`StyleMap`].
fn extract_style_maps(
    cameras: Extract<Query<MappedCamera, With<StyleTransfer>>>,
    mut commands: Commands,
) {
    for (entity, map, regions) in &cameras {
        let extracted = match (map, regions) {
            (_, Some((settings, pass))) if !pass.styles.is_empty() => Some(ExtractedStyleMap {
                styles: pass.styles.clone(),
                source: MapSource::Regions {
                    image: pass.image.id(),
                    tolerance: settings.tolerance.max(0.0),
                },
            }),
            (Some(map), _) => Some(ExtractedStyleMap {
                styles: vec![map.style.clone()],
                source: match &map.source {
                    StyleMapSource::Mask(image) => MapSource::Mask(image.id()),
                    StyleMapSource::DepthBand(band) => MapSource::DepthBand(*band),
                },
            }),
            _ => None,
        };
        let mut entity = commands.entity(entity);
        match extracted {
            Some(extracted) => entity.insert(extracted),
            None => entity.remove::<ExtractedStyleMap>(),
        };
    }
}

/// A view's style-map state: the mask last uploaded and its tensor, this
/// frame's map made on the GPU, and the map pass's bindings.
#[derive(Component, Default)]
pub(crate) struct MapState {
    mask: Option<(Arc<MaskPixels>, Tensor<GpuBackend, 4>)>,
    pass: Option<(MapSource, Tensor<GpuBackend, 4>)>,
    bindings: MapBindings,
}

/// Adds the camera's style map to the plans of views that run this frame,
/// or holds them while its mask, region image or pipeline is not ready
/// (`StyleTransferSystems::Prepare`).
fn prepare_maps(
    mut views: Query<(
        Entity,
        &ExtractedStyleMap,
        &mut FramePlan,
        Option<&mut MapState>,
    )>,
    masks: Res<PreparedStyleMasks>,
    images: Res<RenderAssets<GpuImage>>,
    pipeline: Option<Res<MapPipeline>>,
    cache: Res<PipelineCache>,
    burn: Option<Res<BurnDevice>>,
    mut commands: Commands,
) {
    let Some(BurnDevice::Gpu(device)) = burn.as_deref() else {
        return;
    };
    let pass_ready = pipeline.is_some_and(|pipeline| pipeline.is_ready(&cache));
    for (entity, map, mut plan, state) in &mut views {
        let Some(mut state) = state else {
            commands.entity(entity).insert(MapState::default());
            plan.hold();
            continue;
        };
        state.pass = None;
        if !plan.runs() {
            continue;
        }
        let tensor = match &map.source {
            MapSource::Mask(image) => {
                let Some(pixels) = masks.0.get(image) else {
                    plan.hold();
                    continue;
                };
                let mask = on_render_stream(|| state.mask_tensor(pixels, device));
                two_style_map(mask)
            }
            source => {
                let image_ready = match source {
                    MapSource::Regions { image, .. } => images.get(*image).is_some(),
                    _ => true,
                };
                if !image_ready || !pass_ready {
                    plan.hold();
                    continue;
                }
                let (width, height) = (plan.net_size.x as usize, plan.net_size.y as usize);
                let shape = [1, 1 + map.styles.len(), height, width];
                let tensor = on_render_stream(|| Tensor::empty(shape, device));
                state.pass = Some((source.clone(), tensor.clone()));
                tensor
            }
        };
        plan.map = Some(PlanMap {
            styles: map.styles.clone(),
            tensor,
        });
    }
}

impl MapState {
    /// The `[1, 1, H, W]` tensor of a mask, uploaded only when it changed.
    fn mask_tensor(
        &mut self,
        pixels: &Arc<MaskPixels>,
        device: &burn::backend::wgpu::WgpuDevice,
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

/// Records the pass that makes this frame's style map on the GPU, before
/// the network runs (`StyleTransferSystems::Input`).
fn record_map_pass(
    view: ViewQuery<(
        &mut FramePlan,
        &mut MapState,
        &ExtractedView,
        Option<&ViewPrepassTextures>,
    )>,
    pipeline: Res<MapPipeline>,
    images: Res<RenderAssets<GpuImage>>,
    (cache, device, queue): (Res<PipelineCache>, Res<RenderDevice>, Res<RenderQueue>),
    mut context: RenderContext,
) {
    let (mut plan, mut state, view, prepass) = view.into_inner();
    let state = &mut *state;
    let Some((source, tensor)) = state.pass.as_ref().filter(|_| plan.runs()) else {
        return;
    };
    // Without its map the network does not run this frame.
    let unfiltered = |plan: &mut FramePlan| {
        plan.input = None;
        plan.step = Step::Unfiltered;
    };
    let Some(depth) = prepass.and_then(ViewPrepassTextures::depth_view) else {
        warn_once!(
            "bevy_gan_style: depth-band and region style maps need the camera's depth prepass"
        );
        unfiltered(&mut plan);
        return;
    };
    let input = match source {
        MapSource::DepthBand(band) => {
            let (near, far) = band.ends();
            MapInput::Depth { near, far }
        }
        MapSource::Regions { image, tolerance } => {
            let Some(image) = images.get(*image) else {
                unfiltered(&mut plan);
                return;
            };
            MapInput::Regions {
                pass: &image.texture_view,
                tolerance: *tolerance,
            }
        }
        MapSource::Mask(_) => return,
    };
    let result = on_render_stream(|| {
        let map = BoundTensor::new(tensor.clone())?;
        pipeline.encode(
            (&cache, &device, &queue),
            (context.command_encoder(), &mut state.bindings),
            (depth, view.clip_from_view.inverse()),
            input,
            &map,
        )?;
        // burn's recorded work on the map's memory goes first.
        map.flush_burn()
    });
    if let Err(error) = result {
        error_once!("bevy_gan_style: style map pass failed: {error}");
        unfiltered(&mut plan);
    }
}
