//! Rendering at half resolution and upscaling: the same scene seen by three
//! cameras side by side — native resolution | main pass at ½ + bilinear |
//! main pass at ½ + the ×2 network (`NeuralUpscale`) — each drawn into an
//! image shown at 1:1.
//!
//! ```text
//! cargo run --release --example upscale_scene
//! cargo run --release --example upscale_scene -- --pairs out/frames --count 8
//! cargo run --release --example upscale_scene -- --pairs out/render_pairs --count 48 --seed 1
//! ```
//!
//! `--screenshot PATH` saves the window after `--frames` frames (once the
//! networks are warm) and exits. `--pairs DIR` writes `--count` pairs of
//! frames of the turning scene instead, each rendered natively at half and
//! at full size (`NNN_low.png`, `NNN_full.png`: what `eval_upscale
//! --frames` judges the upscalers on), and exits. With `--seed S` (not 0)
//! each pair is seen from a random viewpoint of its own instead (training
//! pairs for `train_upscaler --pairs`, apart from seed 0's turn).

#[path = "common/screenshot.rs"]
mod screenshot;

use std::path::PathBuf;

use bevy::camera::RenderTarget;
use bevy::math::Affine2;
use bevy::prelude::*;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::WindowResolution;
use bevy_egui::{
    EguiContexts, EguiGlobalSettings, EguiPlugin, EguiPrimaryContextPass, EguiTextureHandle,
    PrimaryEguiContext, egui,
};
use bevy_gan_style::model::save_image;
use bevy_gan_style::nn::{Draw, SplitMix64};
use bevy_gan_style::prelude::*;
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Size of each view (the window holds three side by side).
    #[arg(long, default_values_t = [480, 360], num_args = 2)]
    view: Vec<u32>,
    /// Upscaling model card (under `assets/`).
    #[arg(long, default_value = "upscalers/render_x2_gan.upscale.ron")]
    model: String,
    /// Save a screenshot here after `--frames` frames, then exit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Frames before the screenshot.
    #[arg(long, default_value_t = 10)]
    frames: u32,
    /// Write pairs of natively rendered low / full frames here, then exit.
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// How many pairs.
    #[arg(long, default_value_t = 8)]
    count: u32,
    /// With `--pairs`: 0 turns around the scene; any other seed draws a
    /// random viewpoint for each pair.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// The three views, left to right.
const VIEWS: [&str; 3] = ["native", "½ + bilinear", "½ + network"];

fn main() {
    let args = Args::parse();
    let view = UVec2::new(args.view[0], args.view.get(1).copied().unwrap_or(360));
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "bevy_gan_style: upscaling".into(),
                resolution: WindowResolution::new(3 * view.x, view.y + 28),
                ..default()
            }),
            ..default()
        }))
        .add_plugins((
            GanStylePlugin,
            EguiPlugin::default(),
            screenshot::ScreenshotPlugin {
                path: args.screenshot.clone(),
                frames: args.frames,
            },
        ))
        .insert_resource(Setup {
            view,
            model: args.model.clone(),
            pairs: args.pairs.clone().map(|dir| (dir, args.count)),
            seed: args.seed,
        })
        .insert_resource(ClearColor(Color::srgb(0.55, 0.68, 0.82)))
        // egui draws on the window's camera, not on the first one made.
        .insert_resource(EguiGlobalSettings {
            auto_create_primary_context: false,
            ..default()
        })
        .add_systems(Startup, setup)
        .add_systems(Update, (turn, mark_ready, save_pairs))
        .add_systems(EguiPrimaryContextPass, show_views)
        .run();
}

#[derive(Resource)]
struct Setup {
    view: UVec2,
    model: String,
    pairs: Option<(PathBuf, u32)>,
    seed: u64,
}

/// The cameras that turn around the scene.
#[derive(Component)]
struct Turning;

/// With `--pairs`: the low and full natively rendered targets, and how many
/// pairs are written.
#[derive(Component)]
struct PairTargets {
    low: Handle<Image>,
    full: Handle<Image>,
    written: u32,
}

fn setup(
    mut commands: Commands,
    setup: Res<Setup>,
    assets: Res<AssetServer>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let textured = |path: &str, repeat: f32| StandardMaterial {
        base_color_texture: Some(assets.load(path.to_string())),
        uv_transform: Affine2::from_scale(Vec2::splat(repeat)),
        perceptual_roughness: 0.8,
        ..default()
    };
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(12.0, 12.0))),
        MeshMaterial3d(materials.add(textured("textures/exemplars/herringbone_bricks.jpg", 4.0))),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(8.0, 3.0, 0.3))),
        MeshMaterial3d(materials.add(textured("textures/exemplars/brick_gray.png", 2.0))),
        Transform::from_xyz(0.0, 1.5, -3.0),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(3.2, 2.1))),
        MeshMaterial3d(materials.add(textured("images/content/china_flickr.jpg", 1.0))),
        Transform::from_xyz(0.0, 1.6, -2.8),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Sphere::new(0.7).mesh().uv(48, 24))),
        MeshMaterial3d(materials.add(textured("textures/exemplars/ink_multi_2.jpg", 1.0))),
        Transform::from_xyz(-2.0, 0.7, 0.0),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(1.2, 1.2, 1.2))),
        MeshMaterial3d(materials.add(textured("textures/exemplars/gravel_gray.png", 1.0))),
        Transform::from_xyz(2.0, 0.6, 0.5).with_rotation(Quat::from_rotation_y(0.6)),
    ));
    commands.spawn((
        DirectionalLight {
            illuminance: 9000.0,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_xyz(4.0, 8.0, 5.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));

    let model: Handle<UpscaleModel> = assets.load(setup.model.clone());
    let mut target = |size: UVec2| {
        let mut image =
            Image::new_target_texture(size.x, size.y, TextureFormat::Rgba8UnormSrgb, None);
        image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
        images.add(image)
    };
    let mut views = Vec::new();
    for (order, method) in [
        None,
        Some(UpscaleMethod::Bilinear),
        Some(UpscaleMethod::Network),
    ]
    .into_iter()
    .enumerate()
    {
        let image = target(setup.view);
        let mut camera = commands.spawn((
            Camera3d::default(),
            Camera {
                order: order as isize,
                ..default()
            },
            RenderTarget::Image(image.clone().into()),
            Transform::default(),
            Turning,
        ));
        if let Some(method) = method {
            camera.insert(NeuralUpscale {
                model: model.clone(),
                method,
                ..default()
            });
        }
        views.push(image);
    }
    if setup.pairs.is_some() {
        let low = target(setup.view / 2);
        commands.spawn((
            Camera3d::default(),
            Camera {
                order: 3,
                ..default()
            },
            RenderTarget::Image(low.clone().into()),
            Transform::default(),
            Turning,
            PairTargets {
                low,
                full: views[0].clone(),
                written: 0,
            },
        ));
    }
    // The window: the three images side by side, captioned (egui).
    commands.spawn((
        Camera2d,
        Camera {
            order: 4,
            ..default()
        },
        PrimaryEguiContext,
    ));
    commands.insert_resource(Views(views));
}

/// The three views' images, left to right.
#[derive(Resource)]
struct Views(Vec<Handle<Image>>);

/// Shows the views at 1:1 with their captions.
fn show_views(mut contexts: EguiContexts, views: Res<Views>, setup: Res<Setup>) -> Result {
    let textures: Vec<_> = views
        .0
        .iter()
        .map(|image| contexts.add_image(EguiTextureHandle::Strong(image.clone())))
        .collect();
    let size = egui::vec2(setup.view.x as f32, setup.view.y as f32);
    egui::Area::new(egui::Id::new("upscale views"))
        .fixed_pos(egui::Pos2::ZERO)
        .show(contexts.ctx_mut()?, |ui| {
            ui.spacing_mut().item_spacing = egui::Vec2::ZERO;
            ui.horizontal(|ui| {
                for (texture, caption) in textures.into_iter().zip(VIEWS) {
                    ui.vertical(|ui| {
                        ui.image(egui::load::SizedTexture::new(texture, size));
                        ui.label(egui::RichText::new(caption).size(16.0));
                    });
                }
            });
        });
    Ok(())
}

/// A slow turn around the scene (a fixed step per frame with `--pairs`, so
/// that the pairs are the same on every run), or with `--pairs` and a
/// `--seed` a random viewpoint per pair.
fn turn(
    setup: Res<Setup>,
    time: Res<Time>,
    mut frame: Local<u32>,
    mut cameras: Query<&mut Transform, With<Turning>>,
) {
    *frame += 1;
    let (eye, target) = match &setup.pairs {
        Some(_) if setup.seed != 0 => {
            // A viewpoint per pair, held for its 20 frames.
            let mut rng =
                SplitMix64::seeded(setup.seed.wrapping_mul(1 << 20) + u64::from(*frame / 20));
            let (angle, distance) = (rng.range(-1.3, 1.3), rng.range(3.5, 9.0));
            let eye = Vec3::new(
                distance * angle.sin(),
                rng.range(0.6, 4.5),
                distance * angle.cos(),
            );
            let target = Vec3::new(
                rng.range(-2.0, 2.0),
                rng.range(0.2, 2.0),
                rng.range(-3.0, 1.0),
            );
            (eye, target)
        }
        pairs => {
            let angle = match pairs {
                Some(_) => 0.9 * ((*frame / 20) as f32 * 0.35).sin(),
                None => 0.5 * (0.15 * time.elapsed_secs()).sin(),
            };
            let eye = Vec3::new(6.5 * angle.sin(), 2.6, 6.5 * angle.cos());
            (eye, Vec3::new(0.0, 1.0, -1.0))
        }
    };
    for mut transform in &mut cameras {
        *transform = Transform::from_translation(eye).looking_at(target, Vec3::Y);
    }
}

/// The screenshot waits for both upscaling cameras.
fn mark_ready(
    cameras: Query<&NeuralUpscaleStatus>,
    mut ready: ResMut<screenshot::ScreenshotReady>,
) {
    ready.0 = cameras.iter().all(|status| status.active);
}

/// With `--pairs`: every 20 frames (the camera holds still in between),
/// saves the low and the full native frames; exits once the last is
/// written.
fn save_pairs(
    setup: Res<Setup>,
    mut frame: Local<u32>,
    mut pairs: Query<&mut PairTargets>,
    mut commands: Commands,
    mut exit: MessageWriter<AppExit>,
) {
    let (Some((dir, count)), Ok(mut pair)) = (&setup.pairs, pairs.single_mut()) else {
        return;
    };
    *frame += 1;
    // Mid-hold, after the textures have loaded; the last capture is read
    // back within a few frames.
    if *frame < 60 || *frame % 20 != 10 {
        return;
    }
    if pair.written == *count {
        exit.write(AppExit::Success);
        return;
    }
    for (image, name) in [(&pair.low, "low"), (&pair.full, "full")] {
        let path = dir.join(format!("{:03}_{name}.png", pair.written));
        commands.spawn(Screenshot::image(image.clone())).observe(
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                if let Err(error) = save_png(&captured.image, &path) {
                    error!("cannot write {}: {error}", path.display());
                    exit.write(AppExit::error());
                }
            },
        );
    }
    pair.written += 1;
}

/// Writes a captured image as a PNG (temp + rename).
fn save_png(image: &Image, path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let rgb = image.clone().try_into_dynamic()?.to_rgb8();
    Ok(save_image(&rgb.into(), path)?)
}
