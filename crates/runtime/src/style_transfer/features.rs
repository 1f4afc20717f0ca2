//! Looking inside a camera's network: [`FeatureMapProbe`] reads back one
//! layer's activations, and the style map, from the next network run,
//! only when asked.

use std::sync::{Arc, Mutex};

use bevy::prelude::*;
use image::RgbImage;

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

    /// What the render world needs: the layer, the request count and where
    /// to put the result.
    pub(crate) fn extract(&self) -> ExtractedProbe {
        ExtractedProbe {
            layer: self.layer,
            requests: self.requests,
            result: self.result.clone(),
        }
    }
}

/// Render-world copy of a [`FeatureMapProbe`].
#[derive(Clone, Debug)]
pub struct ExtractedProbe {
    /// The layer to read.
    pub layer: usize,
    /// Requests so far.
    pub requests: u32,
    result: Arc<Mutex<Option<FeatureMaps>>>,
}

impl ExtractedProbe {
    /// Hands `maps` to the main world.
    pub(crate) fn deliver(&self, maps: FeatureMaps) {
        if let Ok(mut slot) = self.result.lock() {
            *slot = Some(maps);
        }
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
