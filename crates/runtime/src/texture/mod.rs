//! Procedural GAN textures: [`NeuralTexture`] fills a Bevy `Image` with a
//! texture model's generator on the render device, on demand or every
//! frame; [`generate`] runs a generator anywhere (tools, the CPU backend).

mod component;
mod fill;
mod generate;

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::renderer::{RenderGraph, RenderGraphSystems};

pub use component::{
    ExtractedNeuralTexture, NeuralTexture, NeuralTextureUpscale, neural_texture_image,
};
pub use fill::NEURAL_TEXTURE_SPAN;
pub use generate::{TextureParams, generate, generate_upscaled, sweep_global};

use crate::bridge::TensorBridgePlugin;

/// System sets of procedural textures, public so that a game can order its
/// own systems against them.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn animate(mut textures: Query<&mut NeuralTexture>) {}
/// App::new()
///     .add_plugins((DefaultPlugins, GanStylePlugin))
///     // Settings changed this frame reach this frame's generation.
///     .add_systems(PostUpdate, animate.before(NeuralTextureSystems::Update))
///     .run();
/// ```
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeuralTextureSystems {
    /// Main world, `PostUpdate`: sizes, seeds and animation turned into what
    /// the render world extracts (images resized where needed).
    Update,
    /// Render world, in Bevy's `RenderGraph` schedule before the cameras
    /// render: the textures that changed are generated into their images.
    Generate,
}
use crate::model::{GpuNetPlugin, TextureModel, TextureModelLoader};

/// Procedural textures: the [`TextureModel`] asset and its loader,
/// [`NeuralTexture`], and the render-world system that generates the
/// images. Part of [`GanStylePlugin`](crate::GanStylePlugin); adds the
/// device and bridge plugins it needs when they are missing.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::texture::{NeuralTexture, NeuralTexturePlugin};
/// App::new()
///     .add_plugins((DefaultPlugins, NeuralTexturePlugin))
///     .add_systems(Startup, |mut commands: Commands, assets: Res<AssetServer>,
///                            mut images: ResMut<Assets<Image>>| {
///         commands.spawn(NeuralTexture::new(
///             assets.load("textures/water_caustics.texture.ron"),
///             UVec2::splat(256),
///             &mut images,
///         ));
///     })
///     .run();
/// ```
#[derive(Default)]
pub struct NeuralTexturePlugin;

impl Plugin for NeuralTexturePlugin {
    fn build(&self, app: &mut App) {
        TensorBridgePlugin::add_with_device(app);
        app.init_asset::<TextureModel>()
            .init_asset_loader::<TextureModelLoader>()
            .register_type::<NeuralTexture>()
            .register_type::<NeuralTextureUpscale>()
            .add_systems(
                PostUpdate,
                component::update_textures.in_set(NeuralTextureSystems::Update),
            )
            .add_plugins((
                ExtractComponentPlugin::<NeuralTexture>::default(),
                GpuNetPlugin::<TextureModel>::default(),
            ));
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .init_resource::<fill::GeneratedTextures>()
            .add_systems(
                // After the frame's diagnostics begin (the generation is a
                // span) and before the cameras render: our submissions reach
                // the queue before the passes that sample the images.
                RenderGraph,
                fill::generate_textures
                    .in_set(NeuralTextureSystems::Generate)
                    .after(RenderGraphSystems::Begin)
                    .before(RenderGraphSystems::Render),
            );
    }
}
