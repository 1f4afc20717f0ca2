//! The style-transfer panel: one window per [`StyleTransfer`] camera to
//! pick, blend and tune its style and see what it costs.

use bevy::diagnostic::DiagnosticsStore;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiTextureHandle, egui};

use super::controls::StyleControls;
use super::cost::cost;
use super::settings::GanStyleInspector;
use super::thumbnails::{THUMBNAIL, Thumbnails};
use bevy_gan_style_nn::Precision;
use bevy_gan_style_runtime::model::StyleModel;
use bevy_gan_style_runtime::style_transfer::{
    FrameBudget, Restylize, STYLE_TRANSFER_SPAN, StyleImages, StyleSchedule, StyleTemporal,
    StyleTransfer, StyleTransferStatus,
};

/// What one camera's window shows of its styles.
struct StyleList {
    names: Vec<String>,
    thumbnails: Vec<egui::TextureId>,
    arbitrary: bool,
    making_thumbnails: bool,
}

impl StyleList {
    fn of(
        settings: &StyleTransfer,
        images: Option<&StyleImages>,
        model: Option<&StyleModel>,
        thumbnails: &Thumbnails,
        assets: &AssetServer,
        contexts: &mut EguiContexts,
    ) -> Self {
        let arbitrary = model.is_some_and(|model| model.card().takes_style_image());
        if arbitrary {
            // The style pictures are their own thumbnails.
            let pictures = images.map_or(&[][..], |images| &images.images);
            let names = pictures
                .iter()
                .enumerate()
                .map(|(i, handle)| {
                    assets
                        .get_path(handle)
                        .and_then(|path| {
                            Some(path.path().file_stem()?.to_string_lossy().into_owned())
                        })
                        .unwrap_or_else(|| format!("picture {i}"))
                })
                .collect();
            let thumbnails = pictures
                .iter()
                .map(|handle| contexts.add_image(EguiTextureHandle::Strong(handle.clone())))
                .collect();
            return Self {
                names,
                thumbnails,
                arbitrary,
                making_thumbnails: false,
            };
        }
        let names = model.map_or_else(Vec::new, |model| {
            let card = model.card();
            (0..model.num_styles())
                .map(|i| card.styles.get(i).cloned().unwrap_or(format!("style {i}")))
                .collect()
        });
        let id = settings.model.id();
        Self {
            names,
            thumbnails: thumbnails.of(id).to_vec(),
            arbitrary,
            making_thumbnails: thumbnails.pending(id),
        }
    }

    fn name(&self, i: usize) -> String {
        self.names.get(i).cloned().unwrap_or(format!("style {i}"))
    }
}

/// A camera the panel edits.
type InspectedCamera = (
    Entity,
    &'static mut StyleTransfer,
    &'static mut StyleControls,
    Option<&'static mut StyleTemporal>,
    Option<&'static mut StyleImages>,
    Option<&'static mut FrameBudget>,
    Option<&'static Name>,
    Option<&'static StyleTransferStatus>,
);

/// Draws the panel of every style-transfer camera.
#[expect(clippy::too_many_arguments, reason = "a UI system's inputs")]
pub(crate) fn style_panel(
    mut contexts: EguiContexts,
    inspector: Res<GanStyleInspector>,
    mut cameras: Query<InspectedCamera>,
    models: Res<Assets<StyleModel>>,
    thumbnails: Res<Thumbnails>,
    assets: Res<AssetServer>,
    diagnostics: Option<Res<DiagnosticsStore>>,
    mut commands: Commands,
) -> Result {
    if !inspector.visible {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?.clone();
    for (
        entity,
        mut settings,
        mut controls,
        mut temporal,
        mut images,
        mut budget_settings,
        name,
        status,
    ) in &mut cameras
    {
        let model = models.get(&settings.model);
        let list = StyleList::of(
            &settings,
            images.as_deref(),
            model,
            &thumbnails,
            &assets,
            &mut contexts,
        );
        let title = match name {
            Some(name) => format!("Style transfer: {name}"),
            None => "Style transfer".to_string(),
        };
        egui::Window::new(title)
            .id(egui::Id::new(("gan_style style panel", entity)))
            .default_width(300.0)
            // As tall as the window allows: the budget and cost sit at the
            // bottom, and a short panel hides them behind its scroll bar.
            .default_height(ctx.content_rect().height() - 20.0)
            .default_pos(ctx.content_rect().right_top() + egui::vec2(-320.0, 10.0))
            .vscroll(true)
            .show(&ctx, |ui| {
                ui.label(format!(
                    "model: {}",
                    model.map_or("loading…", |model| model.card().name.as_str())
                ));
                ui.checkbox(&mut settings.enabled, "filter on");
                style_picker(ui, &list, &mut controls);
                let (a, b) = (list.name(controls.style_a), list.name(controls.style_b));
                let mut blend = controls.blend;
                if ui
                    .add(egui::Slider::new(&mut blend, 0.0..=1.0).text(format!("blend {a} to {b}")))
                    .changed()
                {
                    controls.blend = blend;
                }
                let mut animate = controls.animate_blend;
                if ui.checkbox(&mut animate, "animate the blend").changed() {
                    controls.animate_blend = animate;
                }
                if let (true, Some(images)) = (list.arbitrary, images.as_deref_mut()) {
                    ui.add(
                        egui::Slider::new(&mut images.strength, 0.0..=1.0).text("style strength"),
                    )
                    .on_hover_text("Magenta's strength: style vector a·picture + (1 − a)·frame");
                }
                ui.add(egui::Slider::new(&mut settings.strength, 0.0..=1.0).text("output blend"))
                    .on_hover_text("0 = the frame as rendered, 1 = fully stylized");
                ui.add(
                    egui::Slider::new(&mut settings.resolution_scale, 0.25..=1.0)
                        .text("internal scale"),
                );
                schedule(ui, &mut settings.schedule, || {
                    commands.trigger(Restylize { entity });
                });
                let mut stabilised = temporal.is_some();
                if ui
                    .checkbox(&mut stabilised, "temporal stabilisation")
                    .changed()
                {
                    if stabilised {
                        commands.entity(entity).insert(StyleTemporal::default());
                    } else {
                        commands.entity(entity).remove::<StyleTemporal>();
                    }
                }
                if let Some(temporal) = temporal.as_deref_mut() {
                    ui.add(
                        egui::Slider::new(&mut temporal.history_weight, 0.0..=0.95)
                            .text("history weight"),
                    );
                    ui.checkbox(&mut temporal.amortize, "reproject skipped frames")
                        .on_hover_text(
                            "frames without a network run show the last stylized frame \
                             moved with the motion vectors",
                        );
                }
                precision(ui, &mut settings);
                budget(ui, entity, budget_settings.as_deref_mut(), &mut commands);
                report(ui, status);
                ui.add(
                    egui::Slider::new(&mut settings.split, 0.0..=1.0).text("before | after split"),
                );
                ui.separator();
                cost(ui, diagnostics.as_deref(), STYLE_TRANSFER_SPAN);
            });
    }
    Ok(())
}

/// Thumbnails (or names) of the styles: click for style A, right-click
/// for style B.
fn style_picker(ui: &mut egui::Ui, list: &StyleList, controls: &mut Mut<StyleControls>) {
    ui.label("style A: click · style B: right-click");
    egui::ScrollArea::vertical()
        .max_height(150.0)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if list.making_thumbnails {
                    ui.spinner();
                    ui.label("stylizing thumbnails…");
                }
                if list.arbitrary && list.thumbnails.is_empty() {
                    ui.label("no style pictures (StyleImages on the camera)");
                }
                let size = egui::vec2(THUMBNAIL.x as f32, THUMBNAIL.y as f32) * 0.66;
                for i in 0..list.names.len().max(list.thumbnails.len()) {
                    let selected = i == controls.style_a || i == controls.style_b;
                    let button = match list.thumbnails.get(i) {
                        Some(&texture) => egui::Button::image(egui::Image::new(
                            egui::load::SizedTexture::new(texture, size),
                        )),
                        None => egui::Button::new(list.name(i)),
                    };
                    let response = ui.add(button.selected(selected)).on_hover_text(format!(
                        "{}{}{}",
                        list.name(i),
                        if i == controls.style_a { " (A)" } else { "" },
                        if i == controls.style_b { " (B)" } else { "" },
                    ));
                    if response.clicked() {
                        controls.pick(i);
                    }
                    if response.secondary_clicked() {
                        controls.style_b = i;
                    }
                }
            });
        });
}

/// The schedule's radio buttons, and a button to restylize on demand.
fn schedule(ui: &mut egui::Ui, schedule: &mut StyleSchedule, restylize: impl FnOnce()) {
    ui.horizontal(|ui| {
        ui.label("schedule");
        let every_n = match *schedule {
            StyleSchedule::EveryNFrames(n) => n,
            _ => 3,
        };
        ui.radio_value(schedule, StyleSchedule::EveryFrame, "every frame");
        ui.radio_value(schedule, StyleSchedule::EveryNFrames(every_n), "every N");
        ui.radio_value(schedule, StyleSchedule::OnDemand, "on demand");
    });
    if let StyleSchedule::EveryNFrames(n) = schedule {
        ui.add(egui::Slider::new(n, 2..=30).text("N frames"));
    }
    if *schedule == StyleSchedule::OnDemand && ui.button("restylize").clicked() {
        restylize();
    }
}

/// The precision of the network's kernels.
fn precision(ui: &mut egui::Ui, settings: &mut Mut<StyleTransfer>) {
    let mut half = settings.precision == Precision::F16;
    if ui
        .checkbox(&mut half, "half precision (f16)")
        .on_hover_text("where the adapter has SHADER_F16; f32 otherwise")
        .changed()
    {
        settings.precision = if half { Precision::F16 } else { Precision::F32 };
    }
}

/// The camera's frame budget: on or off, and its bounds.
fn budget(
    ui: &mut egui::Ui,
    camera: Entity,
    budget: Option<&mut FrameBudget>,
    commands: &mut Commands,
) {
    let mut on = budget.is_some();
    if ui.checkbox(&mut on, "frame budget").changed() {
        if on {
            commands.entity(camera).insert(FrameBudget::default());
        } else {
            commands.entity(camera).remove::<FrameBudget>();
        }
    }
    if let Some(budget) = budget {
        let mut edited = *budget;
        ui.add(
            egui::Slider::new(&mut edited.gpu_ms, 0.5..=2000.0)
                .logarithmic(true)
                .text("budget ms"),
        );
        ui.add(egui::Slider::new(&mut edited.min_scale, 0.1..=1.0).text("lowest scale"));
        ui.add(egui::Slider::new(&mut edited.max_interval, 1..=8).text("longest interval"));
        if *budget != edited {
            *budget = edited;
        }
    }
}

/// What the filter measured and chose, and whether its model is ready,
/// missing or its file broken.
fn report(ui: &mut egui::Ui, status: Option<&StyleTransferStatus>) {
    if let Some(status) = status {
        if !status.ready && !status.model_missing {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("preparing the network's kernels…");
            });
        }
        let ms = |cost: Option<f32>| cost.map_or("–".into(), |ms| format!("{ms:.1} ms"));
        ui.label(format!(
            "chosen: scale {:.2}, every {} frame(s); network frames {}, others {} ({})",
            status.scale,
            status.interval,
            ms(status.run_cost_ms),
            ms(status.skip_cost_ms),
            if status.gpu_timestamps { "GPU" } else { "CPU" },
        ));
        if status.model_missing {
            ui.colored_label(
                egui::Color32::YELLOW,
                "the model is not available: the camera renders unfiltered",
            );
        }
        if let Some(error) = &status.model_load_error {
            // The first line: Bevy's errors may carry a backtrace.
            let first = error.lines().next().unwrap_or_default();
            ui.colored_label(
                egui::Color32::LIGHT_RED,
                format!("the model's file failed to load: {first}"),
            );
        }
    }
}
