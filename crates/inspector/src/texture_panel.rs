//! The neural-texture panel: pick a [`NeuralTexture`], change its seed,
//! size, morph and tiling, animate it, and see what generation costs.

use bevy::diagnostic::DiagnosticsStore;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::cost::cost;
use super::settings::GanStyleInspector;
use bevy::tasks::{AsyncComputeTaskPool, Task, futures::check_ready};
use image::RgbImage;

use bevy_gan_style_runtime::bridge::tensor_to_image;
use bevy_gan_style_runtime::device::CpuBackend;
use bevy_gan_style_runtime::model::{CardModel, TextureModel};
use bevy_gan_style_runtime::texture::{
    NEURAL_TEXTURE_SPAN, NeuralTexture, TextureParams, sweep_global,
};

/// Which texture the panel edits, the last seed "regenerate" drew, and the
/// latent explorer.
#[derive(Default)]
pub(crate) struct TexturePanelState {
    selected: Option<Entity>,
    next_seed: u64,
    explorer: Explorer,
}

/// The latent explorer: one global-code dimension swept over its range,
/// as thumbnails made on a background task.
#[derive(Default)]
struct Explorer {
    dim: usize,
    task: Option<Task<Result<Vec<RgbImage>, String>>>,
    thumbnails: Vec<egui::TextureHandle>,
    caption: String,
}

/// Values the explorer gives the swept dimension (codes are drawn in
/// `[-1, 1]`).
const SWEEP: [f32; 5] = [-1.0, -0.5, 0.0, 0.5, 1.0];

/// Side of the explorer's thumbnails.
const SWEEP_SIDE: u32 = 64;

/// Draws the panel when the app has neural textures.
pub(crate) fn texture_panel(
    mut contexts: EguiContexts,
    mut inspector: ResMut<GanStyleInspector>,
    mut textures: Query<(Entity, &mut NeuralTexture, Option<&Name>)>,
    models: Res<Assets<TextureModel>>,
    diagnostics: Option<Res<DiagnosticsStore>>,
    mut state: Local<TexturePanelState>,
) -> Result {
    if !inspector.visible || textures.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let label = |entity: Entity, texture: &NeuralTexture, name: Option<&Name>| match name {
        Some(name) => name.to_string(),
        None => models
            .get(&texture.model)
            .map_or_else(|| format!("texture {entity}"), |m| m.card().name.clone()),
    };
    let mut tabs: Vec<(Entity, String)> = textures
        .iter()
        .map(|(entity, texture, name)| (entity, label(entity, texture, name)))
        .collect();
    tabs.sort_by_key(|(entity, _)| *entity);
    if state.selected.is_none_or(|e| !textures.contains(e)) {
        state.selected = tabs.first().map(|(entity, _)| *entity);
    }
    egui::Window::new("Neural textures")
        .default_width(300.0)
        .default_pos(egui::pos2(10.0, 10.0))
        .show(ctx, |ui| {
            ui.horizontal_wrapped(|ui| {
                for (entity, name) in &tabs {
                    ui.selectable_value(&mut state.selected, Some(*entity), name);
                }
            });
            let Some(selected) = state.selected else {
                return;
            };
            let Ok((_, mut texture, _)) = textures.get_mut(selected) else {
                return;
            };
            let model = models
                .get(&texture.model)
                .map_or("loading…".to_string(), |m| m.card().name.clone());
            ui.label(format!("model: {model}"));
            let params = &mut texture.params;
            ui.horizontal(|ui| {
                ui.label("seed");
                ui.add(egui::DragValue::new(&mut params.seed));
                if ui
                    .button("regenerate")
                    .on_hover_text("a new random seed")
                    .clicked()
                {
                    state.next_seed = state.next_seed.wrapping_add(0x9E37_79B9);
                    params.seed = state.next_seed % 100_000;
                }
            });
            ui.horizontal(|ui| {
                ui.label("size");
                for size in [128, 256, 512, 1024] {
                    ui.radio_value(&mut params.size, UVec2::splat(size), format!("{size}"));
                }
            });
            ui.horizontal(|ui| {
                ui.label("morph towards seed");
                ui.add(egui::DragValue::new(&mut params.morph_seed));
            });
            ui.add(egui::Slider::new(&mut params.morph, 0.0..=1.0).text("morph"));
            ui.checkbox(&mut params.tileable, "tileable");
            ui.checkbox(&mut texture.animate, "animate (regenerate every frame)");
            if texture.animate {
                ui.add(egui::Slider::new(&mut texture.speed, 0.0..=3.0).text("speed (rad/s)"));
            }
            ui.separator();
            let model = models.get(&texture.model);
            explorer(
                ui,
                &mut state.explorer,
                model,
                &texture.params,
                &mut inspector.sweep_latent,
            );
            ui.separator();
            cost(ui, diagnostics.as_deref(), NEURAL_TEXTURE_SPAN);
        });
    Ok(())
}

/// Sweeps one dimension of the global code: thumbnails from the CPU
/// generator, made on a background task.
fn explorer(
    ui: &mut egui::Ui,
    explorer: &mut Explorer,
    model: Option<&TextureModel>,
    params: &TextureParams,
    asked: &mut Option<usize>,
) {
    let Some(model) = model else {
        return;
    };
    let config = &model.card().generator;
    if config.global_dim == 0 {
        return;
    }
    ui.label("latent explorer: one global-code dimension swept from −1 to 1");
    // A request waits for a free explorer.
    let asked = if explorer.task.is_none() {
        asked.take()
    } else {
        None
    };
    ui.horizontal(|ui| {
        ui.add(egui::Slider::new(&mut explorer.dim, 0..=config.global_dim - 1).text("dimension"));
        let busy = explorer.task.is_some();
        if let Some(dim) = asked {
            explorer.dim = dim.min(config.global_dim - 1);
        }
        if ui.add_enabled(!busy, egui::Button::new("sweep")).clicked() || (asked.is_some() && !busy)
        {
            let model = model.clone();
            let dim = explorer.dim;
            // Square thumbnails in whole cells.
            let side = SWEEP_SIDE.div_ceil(config.scale() as u32) * config.scale() as u32;
            let params = TextureParams {
                size: UVec2::splat(side),
                ..*params
            };
            explorer.caption = format!("dimension {dim}, seed {}", params.seed);
            explorer.task =
                Some(AsyncComputeTaskPool::get().spawn(async move { sweep(&model, &params, dim) }));
        }
        if busy {
            ui.spinner();
        }
    });
    if let Some(task) = explorer.task.as_mut()
        && let Some(result) = check_ready(task)
    {
        explorer.task = None;
        match result {
            Ok(images) => {
                explorer.thumbnails = images
                    .into_iter()
                    .enumerate()
                    .map(|(i, image)| {
                        let size = [image.width() as usize, image.height() as usize];
                        ui.ctx().load_texture(
                            format!("gan_style latent sweep {i}"),
                            egui::ColorImage::from_rgb(size, image.as_raw()),
                            egui::TextureOptions::LINEAR,
                        )
                    })
                    .collect();
            }
            Err(error) => explorer.caption = format!("sweep failed: {error}"),
        }
    }
    if !explorer.thumbnails.is_empty() || !explorer.caption.is_empty() {
        ui.label(&explorer.caption);
    }
    ui.horizontal(|ui| {
        for (texture, value) in explorer.thumbnails.iter().zip(SWEEP) {
            ui.vertical(|ui| {
                ui.image(egui::load::SizedTexture::new(
                    texture.id(),
                    egui::vec2(52.0, 52.0),
                ));
                ui.label(format!("{value:+.1}"));
            });
        }
    });
}

/// The explorer's thumbnails on the CPU backend.
fn sweep(
    model: &TextureModel,
    params: &TextureParams,
    dim: usize,
) -> Result<Vec<RgbImage>, String> {
    let generator = model
        .build::<CpuBackend>(&Default::default())
        .map_err(|error| error.to_string())?;
    let config = &model.card().generator;
    let images = sweep_global(&generator, config, params, dim, &SWEEP)
        .ok_or_else(|| format!("no global-code dimension {dim}"))?;
    Ok(images
        .into_iter()
        .map(|image| tensor_to_image(image, (-1.0, 1.0)))
        .collect())
}
