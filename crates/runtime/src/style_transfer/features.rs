//! Looking inside a camera's network: [`FeatureMapProbe`] reads back one
//! layer's activations, and the style map, from the next network run,
//! only when asked.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use bevy::render::extract_component::{ExtractComponent, ExtractComponentPlugin};
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::ViewQuery;
use bevy::render::sync_component::SyncComponent;
use bevy::render::{Render, RenderApp};
use image::RgbImage;

use super::extract::ExtractedStyleTransfer;
use super::record::run_network;
use super::sets::{AddViewSystems, StyleTransferSystems};
use super::view::FramePlan;
use crate::bridge::tensor_to_image;
use crate::device::on_render_stream;
use crate::model::{GpuNet, StyleModel};
use bevy_gan_style_nn::StyleCondition;

/// Feature maps of [`StyleTransfer`](super::StyleTransfer) cameras with a
/// [`FeatureMapProbe`]. Added by
/// [`StyleTransferPlugin`](super::StyleTransferPlugin).
#[derive(Default)]
pub struct FeatureMapProbePlugin;

impl Plugin for FeatureMapProbePlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(ExtractComponentPlugin::<FeatureMapProbe>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .add_systems(Render, run_when_asked.in_set(StyleTransferSystems::Prepare))
            .add_view_systems(|| {
                read_feature_maps
                    .in_set(StyleTransferSystems::Network)
                    .after(run_network)
            });
    }
}

/// Reads back one layer's activations of a
/// [`StyleTransfer`](super::StyleTransfer) camera's network on the current
/// frame, with the camera's style map when it has one. Nothing is read
/// until [`request`](Self::request)ed; the network then runs in the next
/// frame (whatever its schedule) and the maps arrive in
/// [`take`](Self::take) (the GPU is waited on once, in that frame).
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn inspect(mut probes: Query<&mut FeatureMapProbe>, keys: Res<ButtonInput<KeyCode>>) {
///     for mut probe in &mut probes {
///         if keys.just_pressed(KeyCode::KeyF) {
///             probe.layer = 3;
///             probe.request();
///         }
///         if let Some(maps) = probe.take() {
///             info!("{}: {} channels of {}×{}", maps.name, maps.channels, maps.width, maps.height);
///         }
///     }
/// }
/// ```
#[derive(Component, Clone, Default, Debug)]
pub struct FeatureMapProbe {
    /// The layer to read: an index into the network's layers (see
    /// [`StyleNet::layer_names`](crate::model::StyleNet::layer_names)).
    pub layer: usize,
    requests: u32,
    result: Arc<Mutex<Option<FeatureMaps>>>,
}

impl FeatureMapProbe {
    /// A probe of layer `layer`, nothing requested yet.
    pub fn new(layer: usize) -> Self {
        Self { layer, ..default() }
    }

    /// Asks for the maps of the next network run.
    pub fn request(&mut self) {
        self.requests = self.requests.wrapping_add(1);
    }

    /// The maps read back since the last call, if any.
    pub fn take(&self) -> Option<FeatureMaps> {
        self.result.lock().ok()?.take()
    }
}

impl SyncComponent for FeatureMapProbe {
    type Target = ExtractedProbe;
}

impl ExtractComponent for FeatureMapProbe {
    type QueryData = &'static FeatureMapProbe;
    type QueryFilter = ();
    type Out = ExtractedProbe;

    fn extract_component(probe: &FeatureMapProbe) -> Option<ExtractedProbe> {
        Some(ExtractedProbe {
            layer: probe.layer,
            requests: probe.requests,
            result: probe.result.clone(),
        })
    }
}

/// Render-world copy of a [`FeatureMapProbe`]: the layer, the request count
/// and where to put the result.
#[derive(Component, Clone, Debug)]
pub struct ExtractedProbe {
    layer: usize,
    requests: u32,
    result: Arc<Mutex<Option<FeatureMaps>>>,
}

/// Requests a view's probe has served.
#[derive(Component, Default)]
pub(crate) struct ProbeServed(u32);

/// Runs the network of views whose probe has an unserved request: feature
/// maps are read from a run of their own frame
/// (`StyleTransferSystems::Prepare`).
fn run_when_asked(
    mut views: Query<(
        Entity,
        &ExtractedProbe,
        &mut FramePlan,
        Option<&ProbeServed>,
    )>,
    mut commands: Commands,
) {
    for (entity, probe, mut plan, served) in &mut views {
        match served {
            Some(served) if served.0 != probe.requests => plan.force_run(),
            Some(_) => {}
            None => {
                commands.entity(entity).insert(ProbeServed(probe.requests));
            }
        }
    }
}

/// Reads the requested layer's activations of this frame's run, and the
/// run's style map, back to the main world (waits for the GPU: only on
/// request; `StyleTransferSystems::Network`).
fn read_feature_maps(
    view: ViewQuery<(
        &ExtractedProbe,
        &mut ProbeServed,
        &ExtractedStyleTransfer,
        &FramePlan,
    )>,
    nets: Res<RenderAssets<GpuNet<StyleModel>>>,
) {
    let (probe, mut served, settings, plan) = view.into_inner();
    let (Some(run), Some(gpu_net)) = (&plan.ran, nets.get(settings.model)) else {
        return;
    };
    let Some(net) = gpu_net.net.as_deref() else {
        return;
    };
    if served.0 == probe.requests {
        return;
    }
    served.0 = probe.requests;
    let input_range = gpu_net.model.card().input_range;
    let maps = on_render_stream(|| {
        let activation = net.activation(
            run.input.clone(),
            &run.styles,
            settings.precision,
            probe.layer,
        )?;
        let [_, channels, height, width] = activation.dims();
        // Half-precision runs hand back f16 data.
        let values = activation
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .ok()?;
        let style_map = match &run.styles.decoder {
            StyleCondition::Map { map, .. } => {
                let [_, styles, height, width] = map.dims();
                let values = map
                    .clone()
                    .into_data()
                    .convert::<f32>()
                    .into_vec::<f32>()
                    .ok()?;
                Some(StyleMapValues {
                    styles,
                    height,
                    width,
                    values,
                })
            }
            StyleCondition::Global(_) => None,
        };
        let layer_names = net.layer_names();
        Some(FeatureMaps {
            layer: probe.layer,
            name: layer_names.get(probe.layer).cloned().unwrap_or_default(),
            layer_names,
            channels,
            height,
            width,
            values,
            style_map,
            frame: tensor_to_image(run.input.clone(), input_range),
        })
    });
    if let (Some(maps), Ok(mut slot)) = (maps, probe.result.lock()) {
        *slot = Some(maps);
    }
}

/// One layer's activations of a camera's network, `[C, H, W]` row-major,
/// and the camera's style map (`[K, H, W]`, as the network takes it) if it
/// has one.
#[derive(Clone, Debug)]
pub struct FeatureMaps {
    /// Index of the layer.
    pub layer: usize,
    /// Every layer's name, in forward order.
    pub layer_names: Vec<String>,
    /// The layer's name.
    pub name: String,
    /// Channels, height and width.
    pub channels: usize,
    /// Height of each map.
    pub height: usize,
    /// Width of each map.
    pub width: usize,
    /// `channels × height × width` values.
    pub values: Vec<f32>,
    /// The style map's weights, if the camera has one.
    pub style_map: Option<StyleMapValues>,
    /// The frame as the network took it (its input, at its size).
    pub frame: RgbImage,
}

/// A style map read back: `[K, H, W]` weights, channel 0 the camera's own
/// style.
#[derive(Clone, Debug)]
pub struct StyleMapValues {
    /// Styles (channels).
    pub styles: usize,
    /// Height.
    pub height: usize,
    /// Width.
    pub width: usize,
    /// `styles × height × width` weights.
    pub values: Vec<f32>,
}
