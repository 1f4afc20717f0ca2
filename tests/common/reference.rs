//! The known scene, the CPU reference a filtered frame is checked against,
//! and how far two frames are apart: shared by the headless camera tests and
//! the windows test.

use std::path::Path;

use bevy::prelude::*;
use bevy_gan_style::bridge::{image_to_tensor, tensor_to_image};
use bevy_gan_style::prelude::*;
use image::RgbaImage;

/// The CPU backend's output of multistyle26 for `frame`, at the same size.
pub fn cpu_stylized(frame: &RgbaImage, style: &StyleWeights) -> RgbaImage {
    cpu_stylized_with("multistyle26", frame, style)
}

/// The CPU backend's output of bundled model `name` for `frame`.
pub fn cpu_stylized_with(name: &str, frame: &RgbaImage, style: &StyleWeights) -> RgbaImage {
    let card =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/models/{name}.style.ron"));
    let model = StyleModel::load_file(card).expect("model");
    let device = Default::default();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let card = model.card();
    let x = image_to_tensor::<CpuBackend>(frame, card.input_range, &device);
    let y = net.forward(x, model.style_tensor(style, &device).expect("style"));
    image::DynamicImage::from(tensor_to_image(y, card.output_range)).to_rgba8()
}

/// (max, mean) absolute difference of the RGB channels.
pub fn difference(a: &RgbaImage, b: &RgbaImage) -> (u8, f64) {
    assert_eq!(a.dimensions(), b.dimensions());
    let mut max = 0;
    let mut sum = 0u64;
    let mut count = 0u64;
    for (p, q) in a.pixels().zip(b.pixels()) {
        for c in 0..3 {
            let d = p.0[c].abs_diff(q.0[c]);
            max = max.max(d);
            sum += u64::from(d);
            count += 1;
        }
    }
    (max, sum as f64 / count as f64)
}

/// A ground, a cube, a sphere and a light; the camera looks at them.
pub fn lit_objects(world: &mut World) -> Transform {
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
        Transform::from_xyz(-0.8, 0.5, 0.0).with_rotation(Quat::from_rotation_y(0.6)),
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
    Transform::from_xyz(0.0, 2.0, 4.5).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y)
}
