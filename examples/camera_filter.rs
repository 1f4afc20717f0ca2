//! A 3D scene seen through the stylized camera filter, with an egui panel to
//! pick, blend and tune the style.
//!
//! ```text
//! cargo run --release --example camera_filter
//! cargo run --release --example camera_filter -- --style 7 --style-b 20 --blend 0.5 --split 0.4
//! cargo run --release --example camera_filter -- --model models/magenta_arbitrary.style.ron
//! ```
//!
//! With an arbitrary-style model the thumbnails are the paintings in
//! `assets/styles/` (add your own pictures there): clicking one moves the
//! style vector to it over a second, and "style strength" is Magenta's.
//!
//! Keys: Space filter on/off · T temporal stabilisation · B before/after
//! split · Left/Right style · A animate the blend · O orbit · R restylize (on-demand
//! schedule) · H hide the panel.
//!
//! `--screenshot PATH` saves the window after `--frames` frames and exits
//! (used to make the README pictures under Xvfb).

#[path = "common/screenshot.rs"]
mod screenshot;

use std::path::PathBuf;

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy::prelude::*;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy::window::WindowResolution;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle, egui};
use bevy_gan_style::bridge::{image_to_tensor, tensor_to_image};
use bevy_gan_style::prelude::*;
use bevy_gan_style::render::STYLE_TRANSFER_SPAN;
use clap::Parser;
use image::imageops::FilterType;

/// The filter's cost per frame, from the render diagnostics.
const GPU_COST: DiagnosticPath = DiagnosticPath::const_new("render/style_transfer/elapsed_gpu");
const CPU_COST: DiagnosticPath = DiagnosticPath::const_new("render/style_transfer/elapsed_cpu");

/// Thumbnail size: the bundled photo, stylized by each style at start-up.
const THUMBNAIL: (u32, u32) = (96, 64);

#[derive(Parser)]
struct Args {
    /// Style model, as an asset path under `assets/` (e.g. a model from
    /// `train_style` copied to `assets/models/`).
    #[arg(long, default_value = "models/multistyle26.style.ron")]
    model: String,
    /// First style of the blend (for arbitrary-style models: a picture in
    /// `assets/styles/`, in name order).
    #[arg(long, default_value_t = 7)]
    style: usize,
    /// Second style of the blend.
    #[arg(long, default_value_t = 20)]
    style_b: usize,
    /// Move to the next style every this many seconds (a slideshow; 0 = off).
    #[arg(long, default_value_t = 0.0)]
    cycle: f32,
    /// Magenta's style strength, for arbitrary-style models.
    #[arg(long, default_value_t = 1.0)]
    style_strength: f32,
    /// Blend from the first style (0) to the second (1).
    #[arg(long, default_value_t = 0.0)]
    blend: f32,
    /// Network resolution as a fraction of the window.
    #[arg(long, default_value_t = 0.5)]
    scale: f32,
    /// Fraction of the view, from the left, shown unstylized.
    #[arg(long, default_value_t = 0.0)]
    split: f32,
    /// Window width and height.
    #[arg(long, default_values_t = [1280, 720], num_args = 2)]
    window: Vec<u32>,
    /// Save a screenshot here after `--frames` frames, then exit (the
    /// camera does not orbit).
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Frames before the screenshot.
    #[arg(long, default_value_t = 6)]
    frames: u32,
}

fn main() {
    let args = Args::parse();
    let (width, height) = (args.window[0], args.window.get(1).copied().unwrap_or(720));
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "bevy_gan_style: camera filter".into(),
                resolution: WindowResolution::new(width, height),
                ..default()
            }),
            ..default()
        }))
        .add_plugins((
            GanStylePlugin,
            EguiPlugin::default(),
            FrameTimeDiagnosticsPlugin::default(),
            RenderDiagnosticsPlugin,
            screenshot::ScreenshotPlugin {
                path: args.screenshot.clone(),
                frames: args.frames,
            },
        ))
        .insert_resource(ClearColor(Color::srgb(0.62, 0.74, 0.86)))
        .insert_resource(Panel::new(&args))
        .insert_resource(StylePictures::find())
        .init_resource::<Thumbnails>()
        .add_systems(Startup, setup)
        .add_systems(
            Update,
            (
                animate_scene,
                make_thumbnails,
                shortcuts,
                apply_panel.after(shortcuts),
            ),
        )
        .add_systems(EguiPrimaryContextPass, panel_ui)
        .run();
}

/// What the panel controls.
#[derive(Resource)]
struct Panel {
    /// Asset path of the style model.
    model: String,
    enabled: bool,
    style_a: usize,
    style_b: usize,
    blend: f32,
    animate_blend: bool,
    /// The style the last click started from, and how far the transition
    /// to the clicked style has gone (1 = arrived).
    transition: (StyleWeights, f32),
    strength: f32,
    style_strength: f32,
    /// Slideshow period in seconds (0 = off) and time since the last step.
    cycle: (f32, f32),
    scale: f32,
    schedule: StyleSchedule,
    temporal: bool,
    history_weight: f32,
    split: f32,
    orbit: bool,
    visible: bool,
}

impl Panel {
    fn new(args: &Args) -> Self {
        Self {
            model: args.model.clone(),
            enabled: true,
            style_a: args.style,
            style_b: args.style_b,
            blend: args.blend.clamp(0.0, 1.0),
            animate_blend: false,
            transition: (StyleWeights::single(args.style), 1.0),
            strength: 1.0,
            style_strength: args.style_strength,
            cycle: (args.cycle.max(0.0), 0.0),
            scale: args.scale.clamp(0.1, 1.0),
            schedule: StyleSchedule::EveryFrame,
            temporal: false,
            history_weight: 0.7,
            split: args.split.clamp(0.0, 1.0),
            // Screenshots show the scene from the start of the orbit.
            orbit: args.screenshot.is_none(),
            visible: true,
        }
    }

    fn style(&self) -> StyleWeights {
        let target = StyleWeights::single(self.style_a)
            .lerp(&StyleWeights::single(self.style_b), self.blend);
        let (from, progress) = &self.transition;
        // Smoothstep: the style eases out of the old one and into the new.
        let t = progress.clamp(0.0, 1.0);
        from.lerp(&target, t * t * (3.0 - 2.0 * t))
    }

    /// Makes `index` style A, moving there gradually from what is shown.
    fn pick(&mut self, index: usize) {
        self.transition = (self.style(), 0.0);
        self.style_a = index;
    }
}

/// The pictures in `assets/styles/`, for arbitrary-style models.
#[derive(Resource)]
struct StylePictures(Vec<String>);

impl StylePictures {
    fn find() -> Self {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/styles");
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                    .filter(|name| {
                        let name = name.to_lowercase();
                        name.ends_with(".jpg") || name.ends_with(".jpeg") || name.ends_with(".png")
                    })
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        Self(names)
    }
}

/// How many styles the panel offers: the model's, or the pictures.
fn style_count(model: &StyleModel, pictures: &StylePictures) -> usize {
    if model.card().takes_style_image() {
        pictures.0.len()
    } else {
        model.num_styles()
    }
}

/// One stylized thumbnail per style, made on the CPU once the model loads.
#[derive(Resource, Default)]
struct Thumbnails(Vec<egui::TextureId>);

#[derive(Component)]
struct Orbiting {
    radius: f32,
    height: f32,
    speed: f32,
    phase: f32,
}

/// How an object moves on its own.
#[derive(Component)]
enum Motion {
    /// Rotates about X and Y at these rates (radians per second).
    Spin(Vec3),
    /// Hops up and down, with this phase.
    Bob(f32),
}

fn setup(
    mut commands: Commands,
    assets: Res<AssetServer>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
    panel: Res<Panel>,
    pictures: Res<StylePictures>,
) {
    let material = |color: Color, metallic: f32, roughness: f32| StandardMaterial {
        base_color: color,
        metallic,
        perceptual_roughness: roughness,
        ..default()
    };
    // Floor and a back wall.
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(14.0, 14.0))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.55, 0.5, 0.42), 0.0, 0.9))),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(14.0, 5.0, 0.2))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.32, 0.42, 0.55), 0.0, 0.8))),
        Transform::from_xyz(0.0, 2.5, -4.0),
    ));
    // A photo on an easel-like board.
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(2.4, 1.6, 0.05))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(assets.load("images/chelsea_256x168.png")),
            perceptual_roughness: 0.6,
            ..default()
        })),
        Transform::from_xyz(-2.2, 1.6, -3.0).with_rotation(Quat::from_rotation_y(0.35)),
    ));
    // Objects: gold torus, glossy sphere, matte cubes, a column and a cone.
    commands.spawn((
        Mesh3d(meshes.add(Torus::new(0.35, 0.75))),
        MeshMaterial3d(materials.add(material(Color::srgb(1.0, 0.78, 0.34), 1.0, 0.25))),
        Transform::from_xyz(0.0, 1.2, 0.0),
        Motion::Spin(Vec3::new(0.7, 0.4, 0.0)),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Sphere::new(0.6).mesh().uv(48, 24))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.85, 0.12, 0.1), 0.0, 0.15))),
        Transform::from_xyz(1.8, 0.6, 0.8),
        Motion::Bob(0.0),
    ));
    let cube = meshes.add(Cuboid::new(0.8, 0.8, 0.8));
    for (i, (x, z, color)) in [
        (-1.6, 1.2, Color::srgb(0.2, 0.45, 0.9)),
        (-2.4, -0.4, Color::srgb(0.25, 0.7, 0.35)),
        (2.6, -1.2, Color::srgb(0.9, 0.9, 0.85)),
    ]
    .into_iter()
    .enumerate()
    {
        commands.spawn((
            Mesh3d(cube.clone()),
            MeshMaterial3d(materials.add(material(color, 0.0, 0.7))),
            Transform::from_xyz(x, 0.4, z).with_rotation(Quat::from_rotation_y(i as f32)),
            Motion::Spin(Vec3::new(0.0, 0.3 + 0.2 * i as f32, 0.0)),
        ));
    }
    commands.spawn((
        Mesh3d(meshes.add(Cylinder::new(0.3, 2.4))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.75, 0.75, 0.8), 0.9, 0.35))),
        Transform::from_xyz(1.2, 1.2, -2.2),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cone::new(0.5, 1.2))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.6, 0.2, 0.7), 0.0, 0.5))),
        Transform::from_xyz(-0.4, 0.6, 2.2),
        Motion::Bob(1.5),
    ));

    // A low sun with shadows and two coloured lights circling the scene.
    commands.spawn((
        DirectionalLight {
            illuminance: 6_000.0,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(4.0, 7.0, 3.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    for (color, phase) in [
        (Color::srgb(1.0, 0.45, 0.2), 0.0),
        (Color::srgb(0.3, 0.6, 1.0), 3.1),
    ] {
        commands.spawn((
            PointLight {
                color,
                intensity: 400_000.0,
                range: 12.0,
                shadow_maps_enabled: true,
                ..default()
            },
            Transform::default(),
            Orbiting {
                radius: 3.0,
                height: 2.2,
                speed: 0.8,
                phase,
            },
        ));
    }

    commands.spawn((
        StyleTransfer {
            model: assets.load(panel.model.clone()),
            style: panel.style(),
            // Used by arbitrary-style models, ignored by the others.
            style_images: pictures
                .0
                .iter()
                .map(|name| assets.load(format!("styles/{name}")))
                .collect(),
            style_strength: panel.style_strength,
            resolution_scale: panel.scale,
            split: panel.split,
            ..default()
        },
        Transform::default(),
        Orbiting {
            radius: 8.5,
            height: 3.6,
            speed: 0.25,
            phase: -0.25,
        },
    ));
}

/// Moves the lights and the camera on their circles, spins and bobs objects.
fn animate_scene(
    time: Res<Time>,
    panel: Res<Panel>,
    mut orbit_time: Local<f32>,
    mut orbiting: Query<(&mut Transform, &Orbiting, Has<Camera>)>,
    mut moving: Query<(&mut Transform, &Motion), Without<Orbiting>>,
) {
    let t = time.elapsed_secs();
    if panel.orbit {
        *orbit_time += time.delta_secs();
    }
    for (mut transform, orbit, is_camera) in &mut orbiting {
        // The lights circle the scene; the camera swings to and fro in front
        // of the back wall, and stops with "orbit".
        let angle = if is_camera {
            orbit.phase + 1.1 * (orbit.speed * *orbit_time).sin()
        } else {
            orbit.phase + orbit.speed * t
        };
        transform.translation = Vec3::new(
            orbit.radius * angle.sin(),
            orbit.height,
            orbit.radius * angle.cos(),
        );
        if is_camera {
            transform.look_at(Vec3::new(0.0, 0.9, 0.0), Vec3::Y);
        }
    }
    for (mut transform, motion) in &mut moving {
        match motion {
            Motion::Spin(rate) => {
                transform.rotation = Quat::from_euler(EulerRot::XYZ, rate.x * t, rate.y * t, 0.0);
            }
            Motion::Bob(phase) => {
                transform.translation.y = 0.6 + 0.25 * (1.3 * t + phase).sin().abs();
            }
        }
    }
}

/// Stylizes the bundled photo with every style once the model is loaded,
/// or, for arbitrary-style models, shows the style pictures themselves.
fn make_thumbnails(
    mut thumbnails: ResMut<Thumbnails>,
    camera: Single<&StyleTransfer>,
    models: Res<Assets<StyleModel>>,
    mut images: ResMut<Assets<Image>>,
    mut contexts: EguiContexts,
    mut ready: ResMut<screenshot::ScreenshotReady>,
    mut failed: Local<bool>,
) {
    if !thumbnails.0.is_empty() || *failed {
        ready.0 = true;
        return;
    }
    let Some(model) = models.get(&camera.model) else {
        return;
    };
    if model.card().takes_style_image() {
        for handle in &camera.style_images {
            thumbnails
                .0
                .push(contexts.add_image(EguiTextureHandle::Strong(handle.clone())));
        }
        return;
    }
    let photo = match image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/images/chelsea_256x168.png"
    )) {
        Ok(photo) => photo
            .resize_exact(THUMBNAIL.0, THUMBNAIL.1, FilterType::Triangle)
            .to_rgba8(),
        Err(error) => {
            error!("thumbnails: {error}");
            *failed = true;
            return;
        }
    };
    let device = Default::default();
    let net = match model.build::<CpuBackend>(&device) {
        Ok(net) => net,
        Err(error) => {
            error!("thumbnails: {error}");
            *failed = true;
            return;
        }
    };
    let card = model.card();
    let input = image_to_tensor::<CpuBackend>(&photo, card.input_range, &device);
    for style in 0..model.num_styles() {
        let Ok(weights) = model.style_tensor(&StyleWeights::single(style), &device) else {
            continue;
        };
        let stylized = tensor_to_image(net.forward(input.clone(), weights), card.output_range);
        let image = Image::from_dynamic(image::DynamicImage::from(stylized), true, default());
        let handle = images.add(image);
        thumbnails
            .0
            .push(contexts.add_image(EguiTextureHandle::Strong(handle)));
    }
}

/// Keyboard shortcuts for the main toggles (listed in the panel).
fn shortcuts(
    time: Res<Time<Real>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut panel: ResMut<Panel>,
    camera: Single<(Entity, &StyleTransfer)>,
    models: Res<Assets<StyleModel>>,
    pictures: Res<StylePictures>,
    mut commands: Commands,
) {
    let (entity, settings) = *camera;
    let loaded = models
        .get(&settings.model)
        .map(|model| style_count(model, &pictures).max(1));
    // The default styles may not exist in a model with fewer styles.
    if let Some(styles) = loaded
        && (panel.style_a >= styles || panel.style_b >= styles)
    {
        panel.style_a = panel.style_a.min(styles - 1);
        panel.style_b = panel.style_b.min(styles - 1);
        panel.transition = (StyleWeights::single(panel.style_a), 1.0);
    }
    let styles = loaded.unwrap_or(1);
    if keys.just_pressed(KeyCode::Space) {
        panel.enabled = !panel.enabled;
    }
    if keys.just_pressed(KeyCode::KeyT) {
        panel.temporal = !panel.temporal;
    }
    if keys.just_pressed(KeyCode::KeyB) {
        panel.split = if panel.split > 0.0 { 0.0 } else { 0.5 };
    }
    let (period, elapsed) = &mut panel.cycle;
    *elapsed += time.delta_secs();
    let slide = *period > 0.0 && *elapsed >= *period;
    if slide {
        *elapsed = 0.0;
    }
    if keys.just_pressed(KeyCode::ArrowRight) || slide {
        let next = (panel.style_a + 1) % styles;
        panel.pick(next);
    }
    if keys.just_pressed(KeyCode::ArrowLeft) {
        let previous = (panel.style_a + styles - 1) % styles;
        panel.pick(previous);
    }
    if keys.just_pressed(KeyCode::KeyA) {
        panel.animate_blend = !panel.animate_blend;
    }
    if keys.just_pressed(KeyCode::KeyO) {
        panel.orbit = !panel.orbit;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        panel.visible = !panel.visible;
    }
    if keys.just_pressed(KeyCode::KeyR) {
        commands.trigger(Restylize { entity });
    }
}

/// Writes the panel's state into the camera's components.
fn apply_panel(
    time: Res<Time>,
    mut panel: ResMut<Panel>,
    camera: Single<(Entity, &mut StyleTransfer, Option<&mut StyleTemporal>)>,
    mut commands: Commands,
) {
    if panel.animate_blend {
        // A slow back-and-forth between the two styles.
        panel.blend = 0.5 - 0.5 * (time.elapsed_secs() * 0.6).cos();
    }
    // A click moves to the new style over one second.
    panel.transition.1 = (panel.transition.1 + time.delta_secs()).min(1.0);
    let (entity, mut settings, temporal) = camera.into_inner();
    let style = panel.style();
    if settings.style != style {
        settings.style = style;
    }
    settings.enabled = panel.enabled;
    settings.strength = panel.strength;
    settings.style_strength = panel.style_strength;
    settings.resolution_scale = panel.scale;
    settings.schedule = panel.schedule;
    settings.split = panel.split;
    match (panel.temporal, temporal) {
        (true, Some(mut temporal)) => temporal.history_weight = panel.history_weight,
        (true, None) => {
            commands.entity(entity).insert(StyleTemporal {
                history_weight: panel.history_weight,
                ..default()
            });
        }
        (false, Some(_)) => {
            commands.entity(entity).remove::<StyleTemporal>();
        }
        (false, None) => {}
    }
}

fn panel_ui(
    mut contexts: EguiContexts,
    mut panel: ResMut<Panel>,
    thumbnails: Res<Thumbnails>,
    diagnostics: Res<DiagnosticsStore>,
    camera: Single<(Entity, &StyleTransfer)>,
    (models, pictures): (Res<Assets<StyleModel>>, Res<StylePictures>),
    mut commands: Commands,
) -> Result {
    let (camera, settings) = *camera;
    let arbitrary = models
        .get(&settings.model)
        .is_some_and(|model| model.card().takes_style_image());
    let name = |i: usize| match pictures.0.get(i) {
        Some(picture) if arbitrary => picture.clone(),
        _ => format!("style {i}"),
    };
    if !panel.visible {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let panel = &mut *panel;
    egui::Window::new("Style transfer")
        .default_width(300.0)
        .anchor(egui::Align2::RIGHT_TOP, [-10.0, 10.0])
        .vscroll(true)
        .show(ctx, |ui| {
            ui.checkbox(&mut panel.enabled, "Filter on  [Space]");
            ui.label("Style A: click · Style B: right-click");
            egui::ScrollArea::vertical()
                .max_height(200.0)
                .show(ui, |ui| {
                    ui.horizontal_wrapped(|ui| {
                        if thumbnails.0.is_empty() {
                            ui.spinner();
                            ui.label("stylizing thumbnails…");
                        }
                        let size = egui::vec2(THUMBNAIL.0 as f32, THUMBNAIL.1 as f32) * 0.66;
                        if arbitrary && thumbnails.0.is_empty() {
                            ui.label("no pictures in assets/styles/");
                        }
                        for (i, &texture) in thumbnails.0.iter().enumerate() {
                            let selected = i == panel.style_a || i == panel.style_b;
                            let image = egui::Image::new(egui::load::SizedTexture::new(texture, size));
                            let response = ui
                                .add(egui::Button::image(image).selected(selected))
                                .on_hover_text(format!(
                                    "{}{}{}",
                                    name(i),
                                    if i == panel.style_a { " (A)" } else { "" },
                                    if i == panel.style_b { " (B)" } else { "" },
                                ));
                            if response.clicked() {
                                panel.pick(i);
                            }
                            if response.secondary_clicked() {
                                panel.style_b = i;
                            }
                        }
                    });
                });
            ui.add(
                egui::Slider::new(&mut panel.blend, 0.0..=1.0).text(format!(
                    "blend {} to {}",
                    name(panel.style_a),
                    name(panel.style_b)
                )),
            );
            ui.checkbox(&mut panel.animate_blend, "Animate the blend  [A]");
            if arbitrary {
                ui.add(
                    egui::Slider::new(&mut panel.style_strength, 0.0..=1.0)
                        .text("style strength"),
                )
                .on_hover_text("Magenta's strength: style vector a·picture + (1 − a)·frame");
            }
            ui.add(egui::Slider::new(&mut panel.strength, 0.0..=1.0).text("output blend"))
                .on_hover_text("0 = the frame as rendered, 1 = fully stylized");
            ui.add(egui::Slider::new(&mut panel.scale, 0.25..=1.0).text("internal scale"));
            ui.horizontal(|ui| {
                ui.label("Schedule");
                let every_n = match panel.schedule {
                    StyleSchedule::EveryNFrames(n) => n,
                    _ => 3,
                };
                ui.radio_value(&mut panel.schedule, StyleSchedule::EveryFrame, "every frame");
                ui.radio_value(
                    &mut panel.schedule,
                    StyleSchedule::EveryNFrames(every_n),
                    "every N",
                );
                ui.radio_value(&mut panel.schedule, StyleSchedule::OnDemand, "on demand");
            });
            if let StyleSchedule::EveryNFrames(n) = &mut panel.schedule {
                ui.add(egui::Slider::new(n, 2..=30).text("N frames"));
            }
            if panel.schedule == StyleSchedule::OnDemand && ui.button("Restylize  [R]").clicked() {
                commands.trigger(Restylize { entity: camera });
            }
            ui.checkbox(&mut panel.temporal, "Temporal stabilisation  [T]");
            ui.add_enabled(
                panel.temporal,
                egui::Slider::new(&mut panel.history_weight, 0.0..=0.95).text("history weight"),
            );
            ui.add(egui::Slider::new(&mut panel.split, 0.0..=1.0).text("before | after split  [B]"));
            ui.checkbox(&mut panel.orbit, "Orbit the camera  [O]");
            ui.separator();
            cost(ui, &diagnostics);
            ui.separator();
            ui.label("Keys: Space filter · T temporal · B split · Left/Right style · A animate blend · O orbit · R restylize · H hide panel");
        });
    Ok(())
}

/// The filter's cost: GPU time from timestamp queries when the device has
/// them, else CPU time.
fn cost(ui: &mut egui::Ui, diagnostics: &DiagnosticsStore) {
    let smoothed = |path: &DiagnosticPath| diagnostics.get(path).and_then(|d| d.smoothed());
    let cpu = smoothed(&CPU_COST);
    match (smoothed(&GPU_COST), cpu) {
        (Some(gpu), _) => ui.label(format!("Filter on the GPU: {gpu:.2} ms per frame")),
        (None, Some(_)) => ui.label("Filter on the GPU: no timestamp queries on this device"),
        (None, None) => ui.label("Filter cost: measuring…"),
    };
    if let Some(cpu) = cpu {
        ui.label(format!(
            "Filter on the CPU (recording, submitting): {cpu:.2} ms"
        ));
    }
    if let Some(frame) = smoothed(&FrameTimeDiagnosticsPlugin::FRAME_TIME) {
        ui.label(format!(
            "Frame time: {frame:.1} ms ({:.1} fps)",
            1000.0 / frame
        ));
    }
    ui.small(format!(
        "(render diagnostic span \"{STYLE_TRANSFER_SPAN}\")"
    ));
}
