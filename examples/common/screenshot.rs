//! `--screenshot PATH`: saves the primary window after some frames, then
//! exits; the README's pictures are made this way under Xvfb.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};

/// Saves the window to `path` `frames` frames after [`ScreenshotReady`]
/// turns true, then exits. Does nothing without a path.
pub struct ScreenshotPlugin {
    pub path: Option<PathBuf>,
    pub frames: u32,
}

/// Set by the example once the scene is complete (e.g. assets loaded).
#[derive(Resource, Default)]
pub struct ScreenshotReady(pub bool);

#[derive(Resource)]
struct Target {
    path: PathBuf,
    frames: u32,
    counted: u32,
}

impl Plugin for ScreenshotPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<ScreenshotReady>();
        if let Some(path) = &self.path {
            app.insert_resource(Target {
                path: path.clone(),
                frames: self.frames,
                counted: 0,
            })
            .add_systems(Last, take);
        }
    }
}

fn take(ready: Res<ScreenshotReady>, mut target: ResMut<Target>, mut commands: Commands) {
    if !ready.0 {
        return;
    }
    target.counted += 1;
    if target.counted == target.frames {
        // The capture is read back a few frames later; exit once it is saved.
        commands
            .spawn(Screenshot::primary_window())
            .observe(save_to_disk(target.path.clone()))
            .observe(
                |_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                    exit.write(AppExit::Success);
                },
            );
    }
}
