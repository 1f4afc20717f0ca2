//! A stylized camera, all a game needs (type-checked by CI, not run).

use bevy::prelude::*;
use bevy_gan_style::prelude::*;

fn main() {
    App::new()
        .add_plugins((DefaultPlugins, GanStylePlugin))
        .add_systems(Startup, setup)
        .run();
}

fn setup(mut commands: Commands, assets: Res<AssetServer>) {
    commands.spawn((
        StyleTransfer {
            model: assets.load("models/multistyle26.style.ron"),
            ..default()
        },
        StyleTemporal::default(),
    ));
}
