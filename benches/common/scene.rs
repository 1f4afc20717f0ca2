//! The benchmarks' scene: a few lit objects, a filtered camera rendering
//! into an image, and the scripted orbit the camera flies.

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy_gan_style::prelude::*;

/// View size of the scripted orbit.
#[allow(dead_code, reason = "for the orbiting benches, not every includer")]
pub const ORBIT_SIZE: (u32, u32) = (256, 256);
/// Frames of the orbit.
#[allow(dead_code, reason = "for the orbiting benches, not every includer")]
pub const ORBIT_FRAMES: usize = 54;
/// Frames at the start of the orbit left out of measurements (pipeline
/// creation, autotuning, the first frame without a previous one).
#[allow(dead_code, reason = "for the orbiting benches, not every includer")]
pub const ORBIT_WARM: usize = 6;

/// Points `camera` at a new `size` image target; returns it.
pub fn set_target(app: &mut App, camera: Entity, (width, height): (u32, u32)) -> Handle<Image> {
    let world = app.world_mut();
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let target = world.resource_mut::<Assets<Image>>().add(image);
    world
        .entity_mut(camera)
        .insert(RenderTarget::Image(target.clone().into()));
    target
}

/// A few lit objects and a camera filtered by `model`'s stored `style`.
pub fn spawn_scene(app: &mut App, model: StyleModel, style: usize) -> Entity {
    let world = app.world_mut();
    let model = world.resource_mut::<Assets<StyleModel>>().add(model);
    let mut meshes = world.resource_mut::<Assets<Mesh>>();
    let cube = meshes.add(Cuboid::new(1.0, 1.0, 1.0));
    let sphere = meshes.add(Sphere::new(0.6).mesh().uv(32, 16));
    let ground = meshes.add(Plane3d::default().mesh().size(8.0, 8.0));
    let mut materials = world.resource_mut::<Assets<StandardMaterial>>();
    let red = materials.add(Color::srgb(0.8, 0.2, 0.15));
    let blue = materials.add(Color::srgb(0.2, 0.35, 0.9));
    let green = materials.add(Color::srgb(0.3, 0.7, 0.3));
    world.spawn((Mesh3d(ground), MeshMaterial3d(green)));
    world.spawn((
        Mesh3d(cube),
        MeshMaterial3d(red),
        Transform::from_xyz(-0.8, 0.5, 0.0),
    ));
    world.spawn((
        Mesh3d(sphere),
        MeshMaterial3d(blue),
        Transform::from_xyz(0.9, 0.6, 0.4),
    ));
    world.spawn((
        DirectionalLight::default(),
        Transform::from_xyz(3.0, 6.0, 2.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    world
        .spawn((
            StyleTransfer {
                model,
                style: StyleWeights::single(style),
                ..default()
            },
            orbit_transform(0),
        ))
        .id()
}

/// Where the orbiting camera is at `frame`.
pub fn orbit_transform(frame: usize) -> Transform {
    let angle = frame as f32 * 0.02;
    let eye = Vec3::new(4.5 * angle.sin(), 2.0, 4.5 * angle.cos());
    Transform::from_translation(eye).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y)
}
