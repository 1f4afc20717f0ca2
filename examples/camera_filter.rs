//! A 3D scene seen through the stylized camera filter, with the library's
//! inspector panel (`GanStyleInspectorPlugin`) to pick, blend and tune the
//! style.
//!
//! ```text
//! cargo run --release --example camera_filter
//! cargo run --release --example camera_filter -- --style 7 --style-b 20 --blend 0.5 --split 0.4
//! cargo run --release --example camera_filter -- --model models/magenta_arbitrary.style.ron
//! cargo run --release --example camera_filter -- --style 21 --regions 5 18
//! cargo run --release --example camera_filter -- --style 7 --style-b 20 --depth-band 9
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

use bevy::prelude::*;
use bevy::window::WindowResolution;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use bevy_gan_style::inspector::{GanStyleInspector, GanStyleInspectorPlugin, StyleControls};
use bevy_gan_style::prelude::*;
use clap::Parser;

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
    /// Hold the filter to this many milliseconds of GPU time per frame
    /// (the internal scale, then the run interval, adapt).
    #[arg(long)]
    budget: Option<f32>,
    /// Bring the network's output to the window with this upscaling model
    /// (under `assets/`, e.g. `upscalers/photo_x2.upscale.ron`) instead of
    /// bilinear sampling, whenever it runs at ¾ of the window or less
    /// (`StyleUpscale`).
    #[arg(long)]
    upscale: Option<String>,
    /// Reproject the last stylized frame in frames the network skips
    /// (adds temporal stabilisation with no history blending).
    #[arg(long)]
    amortize: bool,
    /// Half-precision kernels (where the adapter has SHADER_F16).
    #[arg(long)]
    f16: bool,
    /// Styles per object: the ground in the first style given, the
    /// figure in the second, everything else (the sky) in `--style`. The
    /// back wall makes way for the sky.
    #[arg(long, num_args = 2, value_names = ["GROUND", "FIGURE"])]
    regions: Option<Vec<usize>>,
    /// Paint `--style-b` beyond this distance from the camera (metres,
    /// with a soft edge a third as wide).
    #[arg(long)]
    depth_band: Option<f32>,
    /// Read this layer's feature maps from the first network run (the
    /// "Inside the network" window shows them).
    #[arg(long)]
    inspect: Option<usize>,
    /// Start with the panels hidden (H shows them).
    #[arg(long)]
    no_panels: bool,
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
            GanStyleInspectorPlugin {
                // Thumbnails: the bundled photo, stylized by each style.
                preview: Some("images/chelsea_256x168.png".into()),
            },
            screenshot::ScreenshotPlugin {
                path: args.screenshot.clone(),
                frames: args.frames,
            },
        ))
        .insert_resource(ClearColor(Color::srgb(0.62, 0.74, 0.86)))
        .insert_resource(Demo {
            // Screenshots show the scene from the start of the orbit.
            orbit: args.screenshot.is_none(),
            cycle: (args.cycle.max(0.0), 0.0),
        })
        .insert_resource(GanStyleInspector {
            visible: !args.no_panels,
            ..default()
        })
        .insert_resource(StylePictures::find())
        .insert_resource(Start(args))
        .add_systems(Startup, setup)
        .add_systems(Update, (animate_scene, shortcuts, mark_ready))
        .add_systems(EguiPrimaryContextPass, keys_help)
        .run();
}

/// The command line, for `setup`.
#[derive(Resource)]
struct Start(Args);

/// The demo's own state (the style itself is the inspector's).
#[derive(Resource)]
struct Demo {
    /// The camera swings in front of the scene.
    orbit: bool,
    /// Slideshow period in seconds (0 = off) and time since the last step.
    cycle: (f32, f32),
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

/// How many styles the camera offers: the model's, or the pictures.
fn style_count(model: &StyleModel, pictures: &StylePictures) -> usize {
    if model.card().takes_style_image() {
        pictures.0.len()
    } else {
        model.num_styles()
    }
}

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
    start: Res<Start>,
    pictures: Res<StylePictures>,
) {
    let args = &start.0;
    let material = |color: Color, metallic: f32, roughness: f32| StandardMaterial {
        base_color: color,
        metallic,
        perceptual_roughness: roughness,
        ..default()
    };
    // Styles per object: the ground's and the figure's.
    let region = |index: usize| {
        args.regions
            .as_ref()
            .map(|styles| StyleRegion::new(StyleWeights::single(styles[index])))
    };
    // Floor and, unless the sky has its own style, a back wall.
    let mut floor = commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(14.0, 14.0))),
        MeshMaterial3d(materials.add(material(Color::srgb(0.55, 0.5, 0.42), 0.0, 0.9))),
    ));
    if let Some(region) = region(0) {
        floor.insert(region);
    } else {
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::new(14.0, 5.0, 0.2))),
            MeshMaterial3d(materials.add(material(Color::srgb(0.32, 0.42, 0.55), 0.0, 0.8))),
            Transform::from_xyz(0.0, 2.5, -4.0),
        ));
    }
    // A figure: body, head and arms.
    let skin = materials.add(material(Color::srgb(0.95, 0.75, 0.6), 0.0, 0.6));
    let shirt = materials.add(material(Color::srgb(0.15, 0.55, 0.6), 0.0, 0.7));
    let limb = meshes.add(Capsule3d::new(0.1, 0.6));
    let figure = commands
        .spawn((
            Transform::from_xyz(-1.2, 0.0, 3.0)
                .with_rotation(Quat::from_rotation_y(-0.3))
                .with_scale(Vec3::splat(1.3)),
            Visibility::default(),
        ))
        .id();
    for (mesh, material, transform) in [
        (
            meshes.add(Capsule3d::new(0.28, 0.7)),
            shirt.clone(),
            Transform::from_xyz(0.0, 0.9, 0.0),
        ),
        (
            meshes.add(Sphere::new(0.22).mesh().uv(32, 16)),
            skin.clone(),
            Transform::from_xyz(0.0, 1.72, 0.0),
        ),
        (
            limb.clone(),
            shirt.clone(),
            Transform::from_xyz(-0.42, 1.05, 0.0).with_rotation(Quat::from_rotation_z(-0.5)),
        ),
        (
            limb,
            shirt,
            Transform::from_xyz(0.42, 1.05, 0.0).with_rotation(Quat::from_rotation_z(0.5)),
        ),
    ] {
        let mut part = commands.spawn((
            Mesh3d(mesh),
            MeshMaterial3d(material),
            transform,
            ChildOf(figure),
        ));
        if let Some(region) = region(1) {
            part.insert(region);
        }
    }
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

    let controls = StyleControls::new(args.style, args.style_b, args.blend);
    let camera = commands
        .spawn((
            StyleTransfer {
                model: assets.load(args.model.clone()),
                style: controls.style(),
                resolution_scale: args.scale.clamp(0.1, 1.0),
                split: args.split.clamp(0.0, 1.0),
                precision: if args.f16 {
                    Precision::F16
                } else {
                    Precision::F32
                },
                ..default()
            },
            // Used by arbitrary-style models, ignored by the others.
            StyleImages {
                images: pictures
                    .0
                    .iter()
                    .map(|name| assets.load(format!("styles/{name}")))
                    .collect(),
                strength: args.style_strength,
            },
            controls,
            Transform::default(),
            Orbiting {
                radius: 8.5,
                height: 3.6,
                speed: 0.25,
                phase: -0.25,
            },
        ))
        .id();
    if let Some(ms) = args.budget {
        commands.entity(camera).insert(FrameBudget::ms(ms));
    }
    if let Some(card) = &args.upscale {
        commands.entity(camera).insert(StyleUpscale {
            model: assets.load(card.clone()),
            ..default()
        });
    }
    if let Some(layer) = args.inspect {
        let mut probe = FeatureMapProbe::new(layer);
        probe.request();
        commands.entity(camera).insert(probe);
    }
    if args.regions.is_some() {
        commands.entity(camera).insert(StyleRegions::default());
    }
    if let Some(distance) = args.depth_band {
        commands.entity(camera).insert(StyleMap {
            style: StyleWeights::single(args.style_b),
            source: StyleMapSource::DepthBand(DepthBand {
                distance,
                softness: distance / 3.0,
            }),
        });
    }
    if args.amortize {
        commands.entity(camera).insert(StyleTemporal {
            history_weight: 0.0,
            ..default()
        });
    }
}

/// Moves the lights and the camera on their circles, spins and bobs objects.
fn animate_scene(
    time: Res<Time>,
    demo: Res<Demo>,
    mut orbit_time: Local<f32>,
    mut orbiting: Query<(&mut Transform, &Orbiting, Has<Camera>)>,
    mut moving: Query<(&mut Transform, &Motion), Without<Orbiting>>,
) {
    let t = time.elapsed_secs();
    if demo.orbit {
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

/// The screenshot waits for the camera's network to be ready.
fn mark_ready(
    camera: Single<&StyleTransferStatus, With<StyleTransfer>>,
    mut ready: ResMut<screenshot::ScreenshotReady>,
) {
    ready.0 = camera.ready;
}

/// Keyboard shortcuts for the main toggles (listed in the keys window).
#[expect(clippy::too_many_arguments, reason = "a system's inputs")]
fn shortcuts(
    time: Res<Time<Real>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut demo: ResMut<Demo>,
    mut inspector: ResMut<GanStyleInspector>,
    camera: Single<(
        Entity,
        &mut StyleTransfer,
        &mut StyleControls,
        Has<StyleTemporal>,
    )>,
    models: Res<Assets<StyleModel>>,
    pictures: Res<StylePictures>,
    mut commands: Commands,
) {
    let (entity, mut settings, mut controls, temporal) = camera.into_inner();
    let styles = models
        .get(&settings.model)
        .map_or(1, |model| style_count(model, &pictures).max(1));
    if keys.just_pressed(KeyCode::Space) {
        settings.enabled = !settings.enabled;
    }
    if keys.just_pressed(KeyCode::KeyT) {
        if temporal {
            commands.entity(entity).remove::<StyleTemporal>();
        } else {
            commands.entity(entity).insert(StyleTemporal::default());
        }
    }
    if keys.just_pressed(KeyCode::KeyB) {
        settings.split = if settings.split > 0.0 { 0.0 } else { 0.5 };
    }
    let (period, elapsed) = &mut demo.cycle;
    *elapsed += time.delta_secs();
    let slide = *period > 0.0 && *elapsed >= *period;
    if slide {
        *elapsed = 0.0;
    }
    if keys.just_pressed(KeyCode::ArrowRight) || slide {
        let next = (controls.style_a + 1) % styles;
        controls.pick(next);
    }
    if keys.just_pressed(KeyCode::ArrowLeft) {
        let previous = (controls.style_a + styles - 1) % styles;
        controls.pick(previous);
    }
    if keys.just_pressed(KeyCode::KeyA) {
        controls.animate_blend = !controls.animate_blend;
    }
    if keys.just_pressed(KeyCode::KeyO) {
        demo.orbit = !demo.orbit;
    }
    if keys.just_pressed(KeyCode::KeyH) {
        inspector.visible = !inspector.visible;
    }
    if keys.just_pressed(KeyCode::KeyR) {
        commands.trigger(Restylize { entity });
    }
}

/// The demo's keys, below the inspector.
fn keys_help(
    mut contexts: EguiContexts,
    inspector: Res<GanStyleInspector>,
    mut demo: ResMut<Demo>,
) -> Result {
    if !inspector.visible {
        return Ok(());
    }
    egui::Window::new("Keys")
        .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -10.0])
        .resizable(false)
        .show(contexts.ctx_mut()?, |ui| {
            ui.checkbox(&mut demo.orbit, "orbit the camera  [O]");
            ui.label(
                "Space filter · T temporal · B split · Left/Right style · \
                 A animate blend · R restylize · H hide panels",
            );
        });
    Ok(())
}
