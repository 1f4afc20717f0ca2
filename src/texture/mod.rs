//! Procedural GAN textures: texture models (a RON card + safetensors
//! weights for a [`crate::nn::PsganGenerator`]), generation, and export
//! from training.

mod card;
mod export;
mod model;

pub use card::TextureModelCard;
pub use export::export_texture_model;
pub use model::{TextureModel, TextureParams, generate, to_rgb_image};

mod component;
mod render;

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::render_asset::RenderAssetPlugin;
use bevy::render::renderer::{RenderGraph, RenderGraphSystems};

pub use component::{ExtractedNeuralTexture, NeuralTexture, neural_texture_image};
pub use render::NEURAL_TEXTURE_SPAN;

/// Registers texture models and [`NeuralTexture`] (called by
/// [`crate::GanStylePlugin::build`]).
pub(crate) fn build(app: &mut App) {
    app.init_asset::<TextureModel>()
        .init_asset_loader::<crate::model::CardModelLoader<TextureModel>>()
        .register_type::<NeuralTexture>()
        .add_systems(PostUpdate, component::update_textures)
        .add_plugins((
            ExtractComponentPlugin::<NeuralTexture>::default(),
            RenderAssetPlugin::<crate::render::GpuNet<TextureModel>>::default(),
        ));
    let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
        return;
    };
    render_app
        .init_resource::<render::GeneratedTextures>()
        .add_systems(
            // After the frame's diagnostics begin (the generation is a
            // span) and before the cameras render: our submissions reach the
            // queue before the passes that sample the images.
            RenderGraph,
            render::generate_textures
                .after(RenderGraphSystems::Begin)
                .before(RenderGraphSystems::Render),
        );
}
