//! [`NeuralUpscale`] on a 3D camera: Bevy renders the main pass at
//! 1/factor of the view through `MainPassResolutionOverride` (as Bevy's DLSS
//! integration does), and after tonemapping the upscaling network turns the
//! low-resolution corner of the view target into the full view, on Bevy's
//! device, with no CPU round trip.
//!
//! It sits after tonemapping, like spatial upscalers such as FSR 1: the
//! network was trained on display-referred colours (photos, tonemapped
//! frames), where its errors are weighed as they are seen; before
//! tonemapping it would see unbounded HDR values it never learned.
//! Post-processing before tonemapping (bloom, depth of field) sees the
//! low-resolution frame in the view's corner.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bevy::camera::MainPassResolutionOverride;
use bevy::prelude::*;
use bevy::render::camera::ExtractedCamera;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::RenderDevice;
use bevy::render::sync_component::SyncComponent;
use bevy::render::view::ViewTarget;
use burn::tensor::Tensor;

use crate::bridge::{TensorBridge, TensorPassBindings, TexelBuffer, TexelKind};
use crate::device::GpuBackend;
use crate::model::{GpuNet, UpscaleModel};

/// Renders a 3D camera at a fraction of its resolution and restores the
/// full resolution with an upscaling network (the main pass at 1/2 for a ×2
/// model, 1/4 for a ×4 one): most of a frame's shading cost for a fraction
/// of the pixels. Until the network is warmed up at the view's size the
/// camera renders natively; [`NeuralUpscaleStatus::active`] says which.
/// Cameras with a `Viewport` render natively (not supported yet).
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn(NeuralUpscale {
///         model: assets.load("upscalers/photo_x2.upscale.ron"),
///         ..default()
///     });
/// }
/// ```
#[derive(Component, Reflect, Clone, Debug)]
#[reflect(Component, Default)]
#[require(Camera3d, NeuralUpscaleStatus, ActiveFlag)]
pub struct NeuralUpscale {
    /// The upscaling model (a `*.upscale.ron` card).
    pub model: Handle<UpscaleModel>,
    /// How the low-resolution frame becomes the full one.
    pub method: UpscaleMethod,
    /// Off: the camera renders natively.
    pub enabled: bool,
}

impl Default for NeuralUpscale {
    fn default() -> Self {
        Self {
            model: Handle::default(),
            method: UpscaleMethod::Network,
            enabled: true,
        }
    }
}

/// How [`NeuralUpscale`] fills the full resolution.
#[derive(Reflect, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UpscaleMethod {
    /// The model's network.
    #[default]
    Network,
    /// Bilinear interpolation at the model's factor (for comparison: what
    /// a lower render scale gives without a network).
    Bilinear,
}

/// What [`NeuralUpscale`] did in the last frame.
#[derive(Component, Reflect, Clone, Debug, Default, PartialEq)]
#[reflect(Component)]
pub struct NeuralUpscaleStatus {
    /// The main pass ran at the low resolution and was upscaled (else the
    /// camera rendered natively: model loading or warming up, disabled).
    pub active: bool,
    /// The main pass's size when active.
    pub render_size: UVec2,
}

/// Set by the render world when a frame was upscaled: the main pass's size
/// (`x << 32 | y`), 0 when not.
#[derive(Component, Clone, Default)]
pub struct ActiveFlag(Arc<AtomicU64>);

/// Render-world copy of an enabled [`NeuralUpscale`].
#[derive(Component, Clone, Debug)]
pub struct ExtractedNeuralUpscale {
    /// The upscaling model.
    pub model: AssetId<UpscaleModel>,
    /// Network or bilinear.
    pub method: UpscaleMethod,
    active: Arc<AtomicU64>,
}

impl SyncComponent for NeuralUpscale {
    type Target = (ExtractedNeuralUpscale, MainPassResolutionOverride);
}

impl ExtractComponent for NeuralUpscale {
    type QueryData = (&'static NeuralUpscale, &'static ActiveFlag);
    type QueryFilter = ();
    type Out = ExtractedNeuralUpscale;

    fn extract_component(
        (settings, flag): (&NeuralUpscale, &ActiveFlag),
    ) -> Option<ExtractedNeuralUpscale> {
        settings.enabled.then(|| ExtractedNeuralUpscale {
            model: settings.model.id(),
            method: settings.method,
            active: flag.0.clone(),
        })
    }
}

/// This frame's upscaling of a view: the sizes, the buffers kept between
/// frames, and the tensors on their way through the record systems.
#[derive(Component)]
pub(crate) struct UpscaleView {
    /// The main pass's size.
    pub low: UVec2,
    pub factor: u32,
    /// The low-resolution corner of the view target, copied out.
    pub frame: TexelBuffer,
    /// The full view, copied back.
    pub output: TexelBuffer,
    pub input_bindings: TensorPassBindings,
    pub output_bindings: TensorPassBindings,
    pub input: Option<Tensor<GpuBackend, 4>>,
    pub upscaled: Option<Tensor<GpuBackend, 4>>,
    /// A failure was already reported.
    pub warned: bool,
}

/// Decides per view whether this frame is upscaled (the bridge's passes
/// are compiled, the network is warm at the low size, the view has no
/// viewport) and sets the main pass's resolution accordingly
/// (`RenderSystems::PrepareViews`, after the view targets).
pub(crate) fn plan_views(
    mut views: Query<(
        Entity,
        &ExtractedNeuralUpscale,
        &ExtractedCamera,
        &ViewTarget,
        Option<&mut UpscaleView>,
    )>,
    nets: Res<RenderAssets<GpuNet<UpscaleModel>>>,
    (bridge, device): (TensorBridge, Res<RenderDevice>),
    mut commands: Commands,
) {
    for (entity, settings, camera, target, view) in &mut views {
        let texture = target.main_texture();
        let size = UVec2::new(texture.width(), texture.height());
        let kind = TexelKind::of(target.main_texture_format());
        let net = nets.get(settings.model);
        let factor = net.map_or(2, |net| net.model.factor());
        let low = UVec2::new(size.x.div_ceil(factor), size.y.div_ceil(factor));
        let ready = bridge.is_ready()
            && match (net, settings.method) {
                // The main pass at the low resolution is all there is: no
                // guide for a guided model.
                (Some(net), UpscaleMethod::Network) => match net.model.unguided() {
                    Ok(_) => net.ready_at(low),
                    Err(error) => {
                        warn_once!("bevy_gan_style: NeuralUpscale renders natively: {error}");
                        false
                    }
                },
                (Some(net), UpscaleMethod::Bilinear) => net.is_ready(),
                (None, _) => false,
            };
        let failed = view.as_ref().is_some_and(|view| view.warned);
        let (Ok(kind), true, None, true, false) =
            (kind, ready, &camera.viewport, low.min_element() > 0, failed)
        else {
            if failed {
                // Keep the view (and its report): render natively.
                commands
                    .entity(entity)
                    .remove::<MainPassResolutionOverride>();
                continue;
            }
            commands
                .entity(entity)
                .remove::<(MainPassResolutionOverride, UpscaleView)>();
            continue;
        };
        commands
            .entity(entity)
            .insert(MainPassResolutionOverride(low));
        settings
            .active
            .store(u64::from(low.x) << 32 | u64::from(low.y), Ordering::Relaxed);
        match view {
            Some(mut view)
                if view.frame.size() == low
                    && view.output.size() == size
                    && view.frame.kind() == kind =>
            {
                view.factor = factor;
            }
            _ => {
                commands.entity(entity).insert(UpscaleView {
                    low,
                    factor,
                    frame: TexelBuffer::new(&device, "gan_style upscale frame", low, kind),
                    output: TexelBuffer::new(&device, "gan_style upscale output", size, kind),
                    input_bindings: TensorPassBindings::default(),
                    output_bindings: TensorPassBindings::default(),
                    input: None,
                    upscaled: None,
                    warned: false,
                });
            }
        }
    }
}

/// Copies each camera's render-world report into its status
/// (`PostUpdate`).
pub(crate) fn update_status(mut cameras: Query<(&ActiveFlag, &mut NeuralUpscaleStatus)>) {
    for (flag, mut status) in &mut cameras {
        // Taken, not read: a frame that does not upscale leaves it 0.
        let low = flag.0.swap(0, Ordering::Relaxed);
        status.set_if_neq(NeuralUpscaleStatus {
            active: low != 0,
            render_size: UVec2::new((low >> 32) as u32, low as u32),
        });
    }
}
