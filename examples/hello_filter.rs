//! The smallest stylized camera: a lit scene and a camera with
//! `StyleTransfer`. Run it with `cargo run --release --example hello_filter`.

use bevy::prelude::*;
use bevy_gan_style::prelude::*;

fn main() {
    App::new()
        .add_plugins((DefaultPlugins, GanStylePlugin))
        .add_systems(Startup, setup)
        .run();
}

fn setup(
    mut commands: Commands,
    assets: Res<AssetServer>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(8.0, 8.0))),
        MeshMaterial3d(materials.add(Color::srgb(0.3, 0.6, 0.3))),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Cuboid::new(1.0, 1.0, 1.0))),
        MeshMaterial3d(materials.add(Color::srgb(0.8, 0.25, 0.2))),
        Transform::from_xyz(0.0, 0.5, 0.0),
    ));
    commands.spawn((
        DirectionalLight::default(),
        Transform::from_xyz(3.0, 6.0, 2.0).looking_at(Vec3::ZERO, Vec3::Y),
    ));
    commands.spawn((
        // Style 7 of the 26 in multistyle26 (see MODELS.md).
        StyleTransfer {
            model: assets.load("models/multistyle26.style.ron"),
            style: StyleWeights::single(7),
            ..default()
        },
        Transform::from_xyz(0.0, 2.5, 5.0).looking_at(Vec3::new(0.0, 0.5, 0.0), Vec3::Y),
    ));
}
