//! Training frames rendered by Bevy itself: [`RandomScenesPlugin`] builds
//! random scenes (primitives, coloured and textured materials, a sun and
//! coloured point lights, a sky colour) and moves a camera through each;
//! [`CaptureFrames`] saves what any camera renders as numbered PNGs — in
//! the random scenes, or in a game's own scene.

use std::path::{Path, PathBuf};

use bevy::asset::RenderAssetUsages;
use bevy::camera::RenderTarget;
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};

use super::flow_capture::FlowSequence;
use bevy_gan_style_nn::{Draw, SplitMix64};
use bevy_gan_style_runtime::bridge::open_image;
use bevy_gan_style_runtime::model::save_image;

/// Saves `count` frames of this camera's render target as
/// `<dir>/frame_<n>.png`, one every `every` frames. [`FramesSaved`] counts
/// what reached the disk.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_train::{CaptureFrames, FrameCapturePlugin};
/// fn setup(mut commands: Commands) {
///     commands.spawn((Camera3d::default(), CaptureFrames::new("frames", 200).every(10)));
/// }
/// App::new().add_plugins((DefaultPlugins, FrameCapturePlugin)).add_systems(Startup, setup);
/// ```
#[derive(Component, Debug, Clone)]
pub struct CaptureFrames {
    /// Output folder (created if needed).
    pub dir: PathBuf,
    /// Frames to save.
    pub count: usize,
    /// Save one frame in this many.
    pub every: u32,
    /// Frames to wait before the first capture (pipelines compiling,
    /// textures uploading).
    pub warm_up: u32,
    requested: usize,
    frame: u32,
}

impl CaptureFrames {
    /// `count` frames into `dir`, one per frame after a short warm-up.
    pub fn new(dir: impl Into<PathBuf>, count: usize) -> Self {
        Self {
            dir: dir.into(),
            count,
            every: 1,
            warm_up: 3,
            requested: 0,
            frame: 0,
        }
    }

    /// One frame saved in `every`.
    pub fn every(mut self, every: u32) -> Self {
        self.every = every.max(1);
        self
    }
}

/// Frames written by [`CaptureFrames`] so far, and files that failed.
#[derive(Resource, Debug, Default)]
pub struct FramesSaved {
    /// Paths of the frames on disk.
    pub paths: Vec<PathBuf>,
    /// Frames that could not be written, with the reason.
    pub errors: Vec<String>,
}

/// Saves frames of cameras with [`CaptureFrames`].
pub struct FrameCapturePlugin;

impl Plugin for FrameCapturePlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FramesSaved>()
            .add_systems(Last, capture_frames);
    }
}

fn capture_frames(mut cameras: Query<(&mut CaptureFrames, &RenderTarget)>, mut commands: Commands) {
    for (mut capture, target) in &mut cameras {
        capture.frame += 1;
        let due = capture.frame > capture.warm_up
            && (capture.frame - capture.warm_up - 1).is_multiple_of(capture.every);
        if !due || capture.requested >= capture.count {
            continue;
        }
        let path = capture
            .dir
            .join(format!("frame_{:05}.png", capture.requested));
        capture.requested += 1;
        commands.spawn(Screenshot(target.clone())).observe(
            move |captured: On<ScreenshotCaptured>, mut saved: ResMut<FramesSaved>| {
                match save_frame(&captured.image, &path) {
                    Ok(()) => saved.paths.push(path.clone()),
                    Err(error) => saved.errors.push(format!("{}: {error}", path.display())),
                }
            },
        );
    }
}

fn save_frame(image: &Image, path: &Path) -> Result<(), String> {
    let rgb = image
        .clone()
        .try_into_dynamic()
        .map_err(|e| e.to_string())?
        .to_rgb8();
    save_image(&rgb.into(), path).map_err(|e| e.to_string())
}

/// Random scenes for training frames: a new scene every
/// `frames_per_scene` frames, seen by the camera marked [`SceneCamera`],
/// which orbits it.
#[derive(Resource, Debug, Clone)]
pub struct RandomScenes {
    /// Frames rendered per scene before the next one.
    pub frames_per_scene: u32,
    /// Images used as material textures (others are plain colours).
    pub textures: Vec<PathBuf>,
    /// Seed of everything random.
    pub seed: u64,
}

/// Marks the camera that [`RandomScenesPlugin`] moves.
#[derive(Component, Debug, Default)]
pub struct SceneCamera;

/// Builds and animates [`RandomScenes`] (insert the resource, and a camera
/// with [`SceneCamera`]).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_train::{CaptureFrames, FrameCapturePlugin, RandomScenes, RandomScenesPlugin, SceneCamera};
/// let mut app = App::new();
/// app.add_plugins((DefaultPlugins, RandomScenesPlugin, FrameCapturePlugin))
///     .insert_resource(RandomScenes { frames_per_scene: 8, textures: vec![], seed: 1 });
/// app.world_mut().spawn((Camera3d::default(), SceneCamera, CaptureFrames::new("frames", 100)));
/// ```
pub struct RandomScenesPlugin;

impl Plugin for RandomScenesPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(Update, animate_scenes);
    }
}

/// A scene's entities and its camera path.
#[derive(Default)]
struct SceneState {
    rng: Option<SplitMix64>,
    textures: Vec<Handle<Image>>,
    entities: Vec<Entity>,
    frame: u32,
    orbit: Orbit,
}

#[derive(Default, Clone, Copy)]
struct Orbit {
    centre: Vec3,
    radius: f32,
    height: f32,
    angle: f32,
    speed: f32,
}

/// The asset collections a random scene is built from.
#[derive(SystemParam)]
struct SceneAssets<'w> {
    meshes: ResMut<'w, Assets<Mesh>>,
    materials: ResMut<'w, Assets<StandardMaterial>>,
    images: ResMut<'w, Assets<Image>>,
}

fn animate_scenes(
    scenes: Option<Res<RandomScenes>>,
    mut state: Local<SceneState>,
    mut cameras: Query<(&mut Transform, &mut Camera), With<SceneCamera>>,
    mut commands: Commands,
    mut assets: SceneAssets,
    sequence: Option<ResMut<FlowSequence>>,
) {
    let Some(scenes) = scenes else {
        return;
    };
    if state.rng.is_none() {
        state.rng = Some(SplitMix64::seeded(scenes.seed));
        for path in &scenes.textures {
            match open_image(path) {
                Ok(image) => {
                    let image = image.thumbnail(512, 512);
                    state.textures.push(assets.images.add(Image::from_dynamic(
                        image,
                        true,
                        RenderAssetUsages::RENDER_WORLD,
                    )));
                }
                Err(error) => warn!("scene texture {}: {error}", path.display()),
            }
        }
    }
    if state.frame.is_multiple_of(scenes.frames_per_scene.max(1)) {
        // A new scene is a cut: no motion-vector pairs across it.
        if let Some(mut sequence) = sequence {
            sequence.0 += 1;
        }
        for entity in state.entities.drain(..) {
            commands.entity(entity).despawn();
        }
        let SceneState {
            rng: Some(rng),
            textures,
            entities,
            orbit,
            ..
        } = &mut *state
        else {
            return;
        };
        *orbit = build_scene(
            rng,
            textures,
            entities,
            &mut commands,
            &mut assets.meshes,
            &mut assets.materials,
        );
        let sky = Color::hsl(
            rng.range(190.0, 230.0),
            rng.range(0.2, 0.7),
            rng.range(0.35, 0.85),
        );
        for (_, mut camera) in &mut cameras {
            camera.clear_color = ClearColorConfig::Custom(sky);
        }
    }
    let orbit = state.orbit;
    let t = (state.frame % scenes.frames_per_scene.max(1)) as f32;
    let angle = orbit.angle + orbit.speed * t;
    for (mut transform, _) in &mut cameras {
        let eye = orbit.centre
            + Vec3::new(
                orbit.radius * angle.cos(),
                orbit.height,
                orbit.radius * angle.sin(),
            );
        *transform = Transform::from_translation(eye).looking_at(orbit.centre, Vec3::Y);
    }
    state.frame += 1;
}

fn build_scene(
    rng: &mut SplitMix64,
    textures: &[Handle<Image>],
    entities: &mut Vec<Entity>,
    commands: &mut Commands,
    meshes: &mut Assets<Mesh>,
    materials: &mut Assets<StandardMaterial>,
) -> Orbit {
    let mut material = |rng: &mut SplitMix64| {
        let textured = !textures.is_empty() && rng.below(3) == 0;
        materials.add(StandardMaterial {
            base_color: if textured {
                Color::WHITE
            } else {
                Color::hsl(
                    rng.range(0.0, 360.0),
                    rng.range(0.2, 0.9),
                    rng.range(0.2, 0.8),
                )
            },
            base_color_texture: textured.then(|| textures[rng.below(textures.len())].clone()),
            metallic: if rng.below(4) == 0 { 0.9 } else { 0.0 },
            perceptual_roughness: rng.range(0.15, 1.0),
            ..default()
        })
    };
    let ground = meshes.add(Plane3d::default().mesh().size(30.0, 30.0));
    let ground_material = material(rng);
    entities.push(
        commands
            .spawn((Mesh3d(ground), MeshMaterial3d(ground_material)))
            .id(),
    );
    for _ in 0..6 + rng.below(9) {
        let mesh = match rng.below(6) {
            0 => meshes.add(Cuboid::new(
                rng.range(0.4, 2.0),
                rng.range(0.4, 2.5),
                rng.range(0.4, 2.0),
            )),
            1 => meshes.add(Sphere::new(rng.range(0.3, 1.0)).mesh().uv(32, 16)),
            2 => meshes.add(Torus::new(rng.range(0.2, 0.5), rng.range(0.6, 1.1))),
            3 => meshes.add(Cylinder::new(rng.range(0.2, 0.8), rng.range(0.5, 2.5))),
            4 => meshes.add(Cone::new(rng.range(0.3, 0.9), rng.range(0.6, 2.0))),
            _ => meshes.add(Capsule3d::new(rng.range(0.2, 0.6), rng.range(0.4, 1.5))),
        };
        let position = Vec3::new(
            rng.range(-4.0, 4.0),
            rng.range(0.3, 1.5),
            rng.range(-4.0, 4.0),
        );
        let rotation = Quat::from_euler(
            EulerRot::YXZ,
            rng.range(0.0, 6.3),
            rng.range(-0.6, 0.6),
            rng.range(-0.6, 0.6),
        );
        let material = material(rng);
        entities.push(
            commands
                .spawn((
                    Mesh3d(mesh),
                    MeshMaterial3d(material),
                    Transform::from_translation(position).with_rotation(rotation),
                ))
                .id(),
        );
    }
    let sun = Transform::from_xyz(
        rng.range(-6.0, 6.0),
        rng.range(3.0, 9.0),
        rng.range(-6.0, 6.0),
    )
    .looking_at(Vec3::ZERO, Vec3::Y);
    entities.push(
        commands
            .spawn((
                DirectionalLight {
                    illuminance: rng.range(2_000.0, 12_000.0),
                    shadow_maps_enabled: true,
                    color: Color::hsl(rng.range(20.0, 60.0), 0.5, rng.range(0.85, 1.0)),
                    ..default()
                },
                sun,
            ))
            .id(),
    );
    for _ in 0..rng.below(4) {
        entities.push(
            commands
                .spawn((
                    PointLight {
                        intensity: rng.range(100_000.0, 1_500_000.0),
                        color: Color::hsl(rng.range(0.0, 360.0), 0.8, 0.6),
                        range: 20.0,
                        ..default()
                    },
                    Transform::from_xyz(
                        rng.range(-4.0, 4.0),
                        rng.range(0.5, 3.0),
                        rng.range(-4.0, 4.0),
                    ),
                ))
                .id(),
        );
    }
    Orbit {
        centre: Vec3::new(
            rng.range(-1.0, 1.0),
            rng.range(0.2, 1.0),
            rng.range(-1.0, 1.0),
        ),
        radius: rng.range(4.0, 9.0),
        height: rng.range(0.8, 4.0),
        angle: rng.range(0.0, 6.3),
        speed: rng.range(-0.08, 0.08),
    }
}

/// An image a camera can render into and [`CaptureFrames`] can read:
/// `width × height` sRGB RGBA8.
pub fn frame_target(width: u32, height: u32) -> Image {
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    image
}
