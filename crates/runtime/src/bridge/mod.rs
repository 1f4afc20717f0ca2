//! Moving images between Bevy and burn: on the GPU between textures and
//! tensors ([`TensorBridge`], and the pieces render features build their
//! own passes from: [`TexelBuffer`], [`BoundTensor`], [`TensorView`]), and
//! through host memory for tools and the CPU backend ([`image_to_tensor`],
//! [`tensor_to_image`], [`host`]).

mod bindings;
mod error;
pub mod host;
mod passes;
mod pipeline;
mod pixels;
mod tensor;
mod texels;
mod view;

use std::path::{Path, PathBuf};

use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::asset::{AssetPath, embedded_asset};
use bevy::camera::{CameraMainTextureUsages, NormalizedRenderTarget, RenderTarget};
use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy::render::render_resource::TextureUsages;
use bevy::render::{RenderApp, RenderStartup};
use bevy::window::PrimaryWindow;

use crate::device::BurnDevicePlugin;

pub use bindings::{Bound, CachedBindGroup, TensorPassBindings, write_uniform};
pub use error::BridgeError;
pub use passes::{TensorBridge, dispatch_2d};
pub use pipeline::BridgePipelines;
pub use pixels::{MAX_IMAGE_BYTES, MAX_IMAGE_SIDE, image_to_tensor, open_image, tensor_to_image};
pub use tensor::BoundTensor;
pub use texels::{TexelBuffer, TexelKind};
pub use view::TensorView;

/// Sets up [`TensorBridge`] in the render world: embeds the crate's shared
/// WGSL (`bevy_gan_style::texels`, `bevy_gan_style::tensor_view`) and
/// queues the bridge's pipelines when the renderer starts. Added by
/// [`GanStylePlugin`](crate::GanStylePlugin) and by each capability's
/// plugin; does nothing in apps without a renderer.
#[derive(Default)]
pub struct TensorBridgePlugin;

impl TensorBridgePlugin {
    /// Adds [`BurnDevicePlugin`] and [`TensorBridgePlugin`] unless the app
    /// has them: what every capability's plugin builds on.
    pub fn add_with_device(app: &mut App) {
        if !app.is_plugin_added::<BurnDevicePlugin>() {
            app.add_plugins(BurnDevicePlugin);
        }
        if !app.is_plugin_added::<TensorBridgePlugin>() {
            app.add_plugins(TensorBridgePlugin);
        }
    }
}

/// An observer for a camera component whose passes copy the view target out
/// and back: makes sure the camera's main textures allow it, whatever
/// usages the game asked for.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::bridge::add_copy_usages;
/// #[derive(Component)]
/// struct MyFilter;
/// App::new().add_observer(add_copy_usages::<MyFilter>);
/// ```
pub fn add_copy_usages<C: Component>(
    add: On<Add, C>,
    mut usages: Query<Option<&mut CameraMainTextureUsages>>,
    mut commands: Commands,
) {
    let needed = TextureUsages::COPY_SRC | TextureUsages::COPY_DST;
    match usages.get_mut(add.entity) {
        Ok(Some(mut usages)) => usages.0 |= needed,
        _ => {
            commands
                .entity(add.entity)
                .insert(CameraMainTextureUsages::default().with(needed));
        }
    }
}

/// The shared WGSL libraries (`#import bevy_gan_style::texels`,
/// `bevy_gan_style::tensor_view`), in `shaders/` at the workspace root: the
/// shader code games read and import in passes of their own that address
/// tensors or texel buffers.
const LIBRARIES: [(&str, &[u8]); 2] = [
    (
        "texels.wgsl",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shaders/texels.wgsl"
        )),
    ),
    (
        "tensor_view.wgsl",
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shaders/tensor_view.wgsl"
        )),
    ),
];

/// Handles that keep the libraries loaded, so that Bevy's preprocessor
/// resolves their `#import` paths in the crate's and games' shaders.
#[derive(Resource)]
struct ShaderLibraries(
    #[expect(dead_code, reason = "held to keep them loaded")] Vec<Handle<Shader>>,
);

/// Embeds the libraries (`embedded://bevy_gan_style_runtime/shaders/…`)
/// and loads them.
fn load_libraries(app: &mut App) {
    let registry = app.world().resource::<EmbeddedAssetRegistry>();
    let paths: Vec<PathBuf> = LIBRARIES
        .iter()
        .map(|(name, bytes)| {
            let path = Path::new("bevy_gan_style_runtime/shaders").join(name);
            registry.insert_asset(PathBuf::new(), &path, *bytes);
            path
        })
        .collect();
    let server = app.world().resource::<AssetServer>();
    let handles = paths
        .into_iter()
        .map(|path| server.load(AssetPath::from_path_buf(path).with_source("embedded")))
        .collect();
    app.insert_resource(ShaderLibraries(handles));
}

impl Plugin for TensorBridgePlugin {
    fn build(&self, app: &mut App) {
        if app.get_sub_app(RenderApp).is_none() {
            return;
        }
        load_libraries(app);
        embedded_asset!(app, "texture_to_tensor.wgsl");
        embedded_asset!(app, "tensor_to_texture.wgsl");
        app.add_systems(PostUpdate, share_main_texture_usages);
        app.sub_app_mut(RenderApp)
            .add_systems(RenderStartup, pipeline::init_bridge_pipelines);
    }
}

/// Gives the cameras that render to one target the same main texture
/// usages. Bevy shares one set of main textures between the cameras of a
/// target only while their usages match; [`add_copy_usages`] on one camera
/// would otherwise give it textures of its own, and a later camera on the
/// target (split-screen) would start from its own last frame: with MSAA,
/// its write-back puts that frame under its geometry's edges.
fn share_main_texture_usages(
    primary: Query<Entity, With<PrimaryWindow>>,
    mut cameras: Query<(Ref<RenderTarget>, Mut<CameraMainTextureUsages>), With<Camera>>,
) {
    // Usages only change when a camera or a filter comes or goes.
    let changed = |(target, usages): (Ref<RenderTarget>, Ref<CameraMainTextureUsages>)| {
        target.is_changed() || usages.is_changed()
    };
    if !cameras.iter().any(changed) {
        return;
    }
    let primary = primary.single().ok();
    let mut shared: HashMap<NormalizedRenderTarget, TextureUsages> = HashMap::default();
    for (target, usages) in &cameras {
        if let Some(target) = target.normalize(primary) {
            *shared.entry(target).or_insert(TextureUsages::empty()) |= usages.0;
        }
    }
    for (target, mut usages) in &mut cameras {
        let union = target
            .normalize(primary)
            .and_then(|target| shared.get(&target));
        if let Some(&union) = union
            && usages.0 != union
        {
            usages.0 = union;
        }
    }
}
