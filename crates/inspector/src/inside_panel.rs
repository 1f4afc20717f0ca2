//! "Inside the network": one window per style-transfer camera to steer
//! where its style goes (layer mix, colours) and see what the network
//! does: the blend's conditional-norm code as a heat strip with distances
//! between styles, one layer's feature maps of the current frame and the
//! per-pixel style map, read back only when asked.

use bevy::platform::collections::HashMap;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};
use image::RgbImage;

use super::controls::StyleControls;
use super::settings::GanStyleInspector;
use bevy_gan_style_nn::ColorPreservation;
use bevy_gan_style_runtime::model::{StyleCodes, StyleModel, StyleWeights};
use bevy_gan_style_runtime::style_transfer::{
    FeatureMapProbe, FeatureMaps, StyleMapValues, StyleTransfer,
};

/// Code entries per row of the heat strip.
const STRIP_ROW: usize = 256;

/// Channels shown in the feature-map grid (the most active ones).
const SHOWN_CHANNELS: usize = 16;

/// Colours of the style map's channels: the camera's own style (not
/// tinted), then the map's others.
const MAP_COLOURS: [[u8; 3]; 4] = [[0, 0, 0], [255, 150, 0], [0, 140, 255], [230, 0, 160]];

/// How strongly a map style tints the frame where its weight is 1.
const TINT: f32 = 0.6;

/// What the window keeps per camera between frames.
#[derive(Default)]
pub(crate) struct InsideState {
    /// Codes per model, read once.
    codes: HashMap<AssetId<StyleModel>, Option<StyleCodes>>,
    /// Per camera: the last feature maps and style map as textures.
    views: HashMap<Entity, InsideView>,
}

#[derive(Default)]
struct InsideView {
    /// The code strip's texture and the code it shows (made again only
    /// when the code changes: a texture is uploaded a frame after it is
    /// made).
    strip: Option<(Vec<f32>, egui::TextureHandle)>,
    features: Option<(egui::TextureHandle, String)>,
    map: Option<egui::TextureHandle>,
    waiting: bool,
    /// Layer names once known (from the first read-back).
    layers: Vec<String>,
}

/// Draws the window of every style-transfer camera that has inspector
/// controls.
pub(crate) fn inside_panel(
    mut contexts: EguiContexts,
    inspector: Res<GanStyleInspector>,
    mut cameras: Query<(
        Entity,
        &mut StyleTransfer,
        &StyleControls,
        Option<&mut FeatureMapProbe>,
    )>,
    models: Res<Assets<StyleModel>>,
    mut state: Local<InsideState>,
    mut commands: Commands,
) -> Result {
    if !inspector.visible {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    let InsideState { codes, views } = &mut *state;
    for (entity, mut settings, controls, mut probe) in &mut cameras {
        let view = views.entry(entity).or_default();
        // Feature maps that arrived since the last frame.
        if let Some(maps) = probe.as_deref().and_then(FeatureMapProbe::take) {
            view.waiting = false;
            view.layers.clone_from(&maps.layer_names);
            view.features = Some((
                ctx.load_texture(
                    format!("gan_style features {entity}"),
                    feature_grid(&maps),
                    egui::TextureOptions::NEAREST,
                ),
                format!(
                    "{} · {} channels of {}×{} (the {} most active)",
                    maps.name,
                    maps.channels,
                    maps.width,
                    maps.height,
                    SHOWN_CHANNELS.min(maps.channels)
                ),
            ));
            view.map = maps.style_map.as_ref().map(|map| {
                ctx.load_texture(
                    format!("gan_style style map {entity}"),
                    map_image(map, &maps.frame),
                    egui::TextureOptions::LINEAR,
                )
            });
        }
        let model = models.get(&settings.model);
        let codes = model.and_then(|model| {
            codes
                .entry(settings.model.id())
                .or_insert_with(|| model.style_codes())
                .as_ref()
        });
        egui::Window::new("Inside the network")
            .id(egui::Id::new(("gan_style inside panel", entity)))
            .default_width(300.0)
            .default_height(ctx.content_rect().height() - 20.0)
            .default_pos(ctx.content_rect().right_top() + egui::vec2(-640.0, 10.0))
            .vscroll(true)
            .show(&ctx, |ui| {
                steering(ui, &mut settings, controls);
                ui.separator();
                match codes {
                    Some(codes) => {
                        code_strip(ui, codes, &settings.style, controls, &mut view.strip);
                    }
                    None => {
                        ui.label("style codes: models with stored styles only");
                    }
                }
                ui.separator();
                ui.label("feature maps of the current frame (read back on request)");
                let layer = probe.as_ref().map_or(0, |probe| probe.layer);
                let mut chosen = layer;
                let name = view.layers.get(chosen).cloned().unwrap_or_default();
                // Until the first read-back names them, offer 16 layers.
                let last = if view.layers.is_empty() {
                    15
                } else {
                    view.layers.len() - 1
                };
                ui.add(egui::Slider::new(&mut chosen, 0..=last).text(format!("layer {name}")));
                let read = ui
                    .add_enabled(!view.waiting, egui::Button::new("read feature maps"))
                    .clicked();
                match probe.as_deref_mut() {
                    Some(probe) => {
                        if chosen != probe.layer {
                            probe.layer = chosen;
                        }
                        if read {
                            probe.request();
                            view.waiting = true;
                        }
                    }
                    None if read => {
                        let mut probe = FeatureMapProbe::new(chosen);
                        probe.request();
                        commands.entity(entity).insert(probe);
                        view.waiting = true;
                    }
                    None => {}
                }
                if view.waiting {
                    ui.spinner();
                }
                if let Some((texture, caption)) = &view.features {
                    ui.label(caption);
                    ui.image(egui::load::SizedTexture::new(
                        texture.id(),
                        fit(texture.size_vec2(), 280.0),
                    ));
                }
                if let Some(map) = &view.map {
                    ui.label(
                        "style map over the frame: untinted = the camera's style, orange / blue / pink = the others",
                    );
                    ui.image(egui::load::SizedTexture::new(
                        map.id(),
                        fit(map.size_vec2(), 280.0),
                    ));
                }
            });
    }
    views.retain(|entity, _| cameras.contains(*entity));
    Ok(())
}

/// Layer mixing and colour preservation.
fn steering(ui: &mut egui::Ui, settings: &mut Mut<StyleTransfer>, controls: &StyleControls) {
    ui.label("styles per part of the network");
    let (a, b) = (controls.style_a, controls.style_b);
    let layers = &mut settings.layers;
    for (label, part) in [
        ("encoder", &mut layers.encoder),
        ("residual", &mut layers.residual),
        ("decoder", &mut layers.decoder),
    ] {
        let mut choice = match part {
            None => 0,
            Some(weights) if *weights == StyleWeights::single(a) => 1,
            Some(weights) if *weights == StyleWeights::single(b) => 2,
            Some(_) => 3,
        };
        let before = choice;
        ui.horizontal(|ui| {
            ui.label(format!("{label:9}"));
            ui.radio_value(&mut choice, 0, "blend");
            ui.radio_value(&mut choice, 1, format!("A ({a})"));
            ui.radio_value(&mut choice, 2, format!("B ({b})"));
        });
        if choice != before {
            *part = match choice {
                1 => Some(StyleWeights::single(a)),
                2 => Some(StyleWeights::single(b)),
                _ => None,
            };
        }
    }
    let mut colour = settings.preserve_color;
    ui.horizontal(|ui| {
        ui.label("colours");
        ui.radio_value(&mut colour, ColorPreservation::Off, "styled");
        ui.radio_value(&mut colour, ColorPreservation::Luminance, "luminance only");
        ui.radio_value(&mut colour, ColorPreservation::Statistics, "matched");
    });
    if colour != settings.preserve_color {
        settings.preserve_color = colour;
    }
}

/// The blend's code against the average style, and distances.
fn code_strip(
    ui: &mut egui::Ui,
    codes: &StyleCodes,
    style: &StyleWeights,
    controls: &StyleControls,
    strip: &mut Option<(Vec<f32>, egui::TextureHandle)>,
) {
    let (Ok(code), Ok(a), Ok(b)) = (
        codes.blend(style),
        codes.blend(&StyleWeights::single(controls.style_a)),
        codes.blend(&StyleWeights::single(controls.style_b)),
    ) else {
        return;
    };
    ui.label("conditional-norm code of the blend (scales then shifts, layer by layer, in rows; red above the average style, blue below)");
    if strip.as_ref().is_none_or(|(shown, _)| *shown != code) {
        *strip = Some((code.clone(), strip_texture(ui.ctx(), codes, &code)));
    }
    if let Some((_, texture)) = strip {
        let rows = code.len().div_ceil(STRIP_ROW);
        ui.image(egui::load::SizedTexture::new(
            texture.id(),
            egui::vec2(280.0, 6.0 * rows as f32),
        ));
    }
    ui.label(format!(
        "distance blend–A {:.3} · blend–B {:.3} · A–B {:.3}",
        StyleCodes::distance(&code, &a),
        StyleCodes::distance(&code, &b),
        StyleCodes::distance(&a, &b)
    ));
    let nearest: Vec<String> = codes
        .nearest(&code, 4)
        .iter()
        .map(|(i, d)| format!("{i} ({d:.2})"))
        .collect();
    ui.label(format!("nearest stored styles: {}", nearest.join(", ")));
}

/// `code` against the average style, wrapped in rows.
fn strip_texture(ctx: &egui::Context, codes: &StyleCodes, code: &[f32]) -> egui::TextureHandle {
    let (mean, deviation) = codes.spread();
    let width = code.len().min(STRIP_ROW);
    let rows = code.len().div_ceil(STRIP_ROW);
    let mut cells = vec![egui::Color32::TRANSPARENT; width * rows];
    for (i, (value, (mean, deviation))) in code.iter().zip(mean.iter().zip(&deviation)).enumerate()
    {
        cells[i] = diverging((value - mean) / deviation.max(1e-6) / 2.0);
    }
    ctx.load_texture(
        "gan_style code strip",
        egui::ColorImage::new([width, rows], cells),
        egui::TextureOptions::NEAREST,
    )
}

/// Blue (−1) – white (0) – red (+1).
fn diverging(t: f32) -> egui::Color32 {
    let t = t.clamp(-1.0, 1.0);
    let fade = |c: f32| (255.0 * (1.0 - t.abs() * (1.0 - c))) as u8;
    if t >= 0.0 {
        egui::Color32::from_rgb(fade(0.9), fade(0.2), fade(0.15))
    } else {
        egui::Color32::from_rgb(fade(0.15), fade(0.35), fade(0.9))
    }
}

/// The most active channels as a grid of grey maps, each stretched over
/// its own range.
fn feature_grid(maps: &FeatureMaps) -> egui::ColorImage {
    let plane = maps.height * maps.width;
    let mut order: Vec<(usize, f32)> = maps
        .values
        .chunks_exact(plane)
        .map(|channel| channel.iter().map(|v| v.abs()).sum::<f32>() / plane as f32)
        .enumerate()
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    order.truncate(SHOWN_CHANNELS);
    let columns = 4;
    let rows = order.len().div_ceil(columns);
    let (w, h) = (maps.width + 1, maps.height + 1);
    let mut image = egui::ColorImage::new(
        [columns * w, rows * h],
        vec![egui::Color32::BLACK; columns * w * rows * h],
    );
    for (slot, (channel, _)) in order.iter().enumerate() {
        let values = &maps.values[channel * plane..(channel + 1) * plane];
        let (lo, hi) = values
            .iter()
            .fold((f32::MAX, f32::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
        let range = (hi - lo).max(1e-6);
        let (x0, y0) = ((slot % columns) * w, (slot / columns) * h);
        for y in 0..maps.height {
            for x in 0..maps.width {
                let v = ((values[y * maps.width + x] - lo) / range * 255.0) as u8;
                image[(x0 + x, y0 + y)] = egui::Color32::from_gray(v);
            }
        }
    }
    image
}

/// The style map over the frame the network took: the camera's own
/// style's parts as they are, the others tinted with their colours.
fn map_image(map: &StyleMapValues, frame: &RgbImage) -> egui::ColorImage {
    let (width, height) = (frame.width() as usize, frame.height() as usize);
    let plane = map.height * map.width;
    let pixels = (0..width * height)
        .map(|i| {
            let (x, y) = (i % width, i / width);
            let at = (y * map.height / height.max(1)) * map.width + x * map.width / width.max(1);
            let pixel = &frame.as_raw()[3 * i..3 * i + 3];
            let mut rgb = [pixel[0], pixel[1], pixel[2]].map(f32::from);
            for k in 1..map.styles {
                let colour = MAP_COLOURS[k.min(MAP_COLOURS.len() - 1)];
                let tint = TINT * map.values[k * plane + at].clamp(0.0, 1.0);
                for (out, c) in rgb.iter_mut().zip(colour) {
                    *out += (f32::from(c) - *out) * tint;
                }
            }
            egui::Color32::from_rgb(rgb[0] as u8, rgb[1] as u8, rgb[2] as u8)
        })
        .collect();
    egui::ColorImage::new([width, height], pixels)
}

/// `size` scaled to `width`.
fn fit(size: egui::Vec2, width: f32) -> egui::Vec2 {
    size * (width / size.x.max(1.0))
}
