//! The crate's WGSL files (in `shaders/` at the crate root) as Bevy shader
//! assets: embedded in the binary, loaded through the asset server, and
//! composed by Bevy's shader preprocessor (`#import bevy_gan_style::…`).

use std::path::{Path, PathBuf};

use bevy::asset::AssetPath;
use bevy::asset::io::embedded::EmbeddedAssetRegistry;
use bevy::prelude::*;

/// Embeds `shaders/<name>` as the asset `embedded://bevy_gan_style/shaders/<name>`
/// (what [`bevy::asset::embedded_asset!`] does for files beside the code;
/// the crate keeps its shaders in one folder).
macro_rules! embed_shader {
    ($app:expr, $name:literal) => {
        $crate::bridge::shaders::register_shader(
            $app,
            $name,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $name)),
        )
    };
}
pub(crate) use embed_shader;

/// Registers `bytes` as the embedded shader `name` (see `embed_shader!`).
pub(crate) fn register_shader(app: &mut App, name: &str, bytes: &'static [u8]) {
    let Some(registry) = app.world().get_resource::<EmbeddedAssetRegistry>() else {
        return;
    };
    let path = Path::new("bevy_gan_style/shaders").join(name);
    registry.insert_asset(PathBuf::new(), &path, bytes);
}

/// The asset path of an embedded shader of the crate.
pub(crate) fn shader_path(name: &str) -> AssetPath<'static> {
    AssetPath::from_path_buf(Path::new("bevy_gan_style/shaders").join(name)).with_source("embedded")
}

/// Shaders other shaders `#import`: loaded once and kept, so that Bevy's
/// preprocessor can resolve their import paths.
#[derive(Resource, Default)]
pub(crate) struct ShaderLibraries(Vec<Handle<Shader>>);

/// Loads the embedded shader `name` as a library kept for the app's life.
pub(crate) fn load_library(app: &mut App, name: &str) {
    let handle = app
        .world()
        .resource::<AssetServer>()
        .load(shader_path(name));
    app.world_mut()
        .get_resource_or_insert_with(ShaderLibraries::default)
        .0
        .push(handle);
}
