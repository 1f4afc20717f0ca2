//! Render-to-texture in a scene: a security camera films the room through
//! the style filter into an `Image`, and that image is the picture of a
//! screen standing in the room, seen by the (unfiltered) main camera in the
//! same frame — the way to make a stylized in-game monitor, painting or
//! portal.
//!
//! ```text
//! cargo run --release --example stylized_screen
//! ```
//!
//! The screen camera has a lower `order` than the main camera, so it
//! renders (and is filtered) first in every frame and the screen shows the
//! current frame. `--model`/`--style` pick the style, `--screenshot PATH`
//! saves the window after `--frames` frames and exits.

#[path = "common/screenshot.rs"]
mod screenshot;

use std::path::PathBuf;

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::TextureFormat;
use bevy::window::WindowResolution;
use bevy_gan_style::prelude::*;
use clap::Parser;

#[derive(Parser, Resource, Clone)]
struct Args {
    /// Style model, under `assets/`.
    #[arg(long, default_value = "models/multistyle26.style.ron")]
    model: String,
    /// Stored style of the model.
    #[arg(long, default_value_t = 12)]
    style: usize,
    /// Save a screenshot here after `--frames` frames, then exit.
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Frames before the screenshot.
    #[arg(long, default_value_t = 20)]
    frames: u32,
}

/// Size of the screen camera's image (the screen's resolution).
const SCREEN: UVec2 = UVec2::new(480, 320);

/// The spinning objects.
#[derive(Component)]
struct Spin;

/// The camera filming the screen's picture.
#[derive(Component)]
struct ScreenCamera;

fn main() {
    let args = Args::parse();
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "bevy_gan_style: stylized screen".into(),
                resolution: WindowResolution::new(1280, 720),
                ..default()
            }),
            ..default()
        }))
        .add_plugins((
            GanStylePlugin,
            screenshot::ScreenshotPlugin {
                path: args.screenshot.clone(),
                frames: args.frames,
            },
        ))
        .insert_resource(args)
        .add_systems(Startup, setup)
        .add_systems(Update, (spin, mark_ready))
        .run();
}

fn setup(
    mut commands: Commands,
    args: Res<Args>,
    assets: Res<AssetServer>,
    mut images: ResMut<Assets<Image>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    // The room: a floor, a back wall, objects and a light.
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(14.0, 14.0))),
        MeshMaterial3d(materials.add(Color::srgb(0.45, 0.42, 0.38))),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(14.0, 6.0, 0.2))),
        MeshMaterial3d(materials.add(Color::srgb(0.62, 0.68, 0.75))),
        Transform::from_xyz(0.0, 3.0, -4.0),
    ));
    let objects = [
        (
            Cuboid::new(1.0, 1.0, 1.0).mesh().build(),
            Color::srgb(0.85, 0.25, 0.2),
            Vec3::new(-2.2, 0.5, 0.5),
        ),
        (
            Sphere::new(0.7).mesh().uv(32, 18),
            Color::srgb(0.2, 0.4, 0.9),
            Vec3::new(2.3, 0.7, 0.8),
        ),
        (
            Torus::new(0.35, 0.7).mesh().build(),
            Color::srgb(0.95, 0.75, 0.2),
            Vec3::new(0.0, 0.9, 1.8),
        ),
    ];
    for (mesh, color, at) in objects {
        commands.spawn((
            Mesh3d(meshes.add(mesh)),
            MeshMaterial3d(materials.add(color)),
            Transform::from_translation(at),
            Spin,
        ));
    }
    commands.spawn((
        DirectionalLight::default(),
        Transform::from_xyz(3.0, 7.0, 4.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));

    // The screen's picture: an image the screen camera renders into (the
    // filter works on the camera's own textures before they reach it).
    let picture = images.add(Image::new_target_texture(
        SCREEN.x,
        SCREEN.y,
        TextureFormat::Rgba8UnormSrgb,
        None,
    ));
    commands.spawn((
        ScreenCamera,
        Camera3d::default(),
        Camera {
            // Before the main camera: the screen shows this frame's image.
            order: -1,
            ..default()
        },
        RenderTarget::Image(picture.clone().into()),
        StyleTransfer {
            model: assets.load(args.model.clone()),
            style: StyleWeights::single(args.style),
            ..default()
        },
        Transform::from_xyz(-4.5, 3.2, 5.0).looking_at(Vec3::new(0.0, 0.6, 0.5), Vec3::Y),
    ));

    // The screen: a thin box with the picture on its front, unlit so that
    // it shows the picture's colours.
    let aspect = SCREEN.x as f32 / SCREEN.y as f32;
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(3.0 * aspect + 0.2, 3.2, 0.1))),
        MeshMaterial3d(materials.add(Color::srgb(0.08, 0.08, 0.09))),
        Transform::from_xyz(0.0, 3.0, -3.85),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Rectangle::new(3.0 * aspect, 3.0))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color_texture: Some(picture),
            unlit: true,
            ..default()
        })),
        Transform::from_xyz(0.0, 3.0, -3.79),
    ));

    // The player's view, unfiltered.
    commands.spawn((
        Camera3d::default(),
        Transform::from_xyz(0.0, 2.6, 7.5).looking_at(Vec3::new(0.0, 2.0, -2.0), Vec3::Y),
    ));
}

fn spin(time: Res<Time>, mut objects: Query<&mut Transform, With<Spin>>) {
    for mut transform in &mut objects {
        transform.rotate_y(0.8 * time.delta_secs());
    }
}

/// The screenshot waits for the screen camera's network.
fn mark_ready(
    camera: Single<&StyleTransferStatus, With<ScreenCamera>>,
    mut ready: ResMut<screenshot::ScreenshotReady>,
) {
    ready.0 = camera.ready;
}
