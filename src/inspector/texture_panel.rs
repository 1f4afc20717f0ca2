//! The neural-texture panel: pick a [`NeuralTexture`], change its seed,
//! size, morph and tiling, animate it, and see what generation costs.

use bevy::diagnostic::DiagnosticsStore;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use super::cost::cost;
use super::settings::GanStyleInspector;
use crate::model::TextureModel;
use crate::texture::{NEURAL_TEXTURE_SPAN, NeuralTexture};

/// Which texture the panel edits, and the last seed "regenerate" drew.
#[derive(Default)]
pub(crate) struct TexturePanelState {
    selected: Option<Entity>,
    next_seed: u64,
}

/// Draws the panel when the app has neural textures.
pub(crate) fn texture_panel(
    mut contexts: EguiContexts,
    inspector: Res<GanStyleInspector>,
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
            cost(ui, diagnostics.as_deref(), NEURAL_TEXTURE_SPAN);
        });
    Ok(())
}
