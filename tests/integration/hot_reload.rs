//! Hot reload of a style model while a camera uses it, through Bevy's file
//! watcher, on the GPU (lavapipe in CI): new weights and a new card swap the
//! network, a broken edit keeps the last good one and its error is reported
//! (and kept in the camera's status) without repeating, and
//! a removed model leaves the camera unfiltered with its status saying so.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bevy::asset::AssetLoadFailedEvent;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::render_asset::RenderAssets;
use bevy_gan_style::model::GpuNet;
use bevy_gan_style::prelude::*;
use image::RgbaImage;

use crate::camera::Scene;
use crate::reference::difference;
use crate::util::root;

/// Longest wait for the watcher (it debounces for 300 ms) and a reload.
const PATIENCE: Duration = Duration::from_secs(30);
const CARD: &str = "model.style.ron";

/// `AssetLoadFailedEvent<StyleModel>`s seen so far.
#[derive(Resource, Default)]
struct LoadFailures(Vec<String>);

fn count_failures(
    mut failures: MessageReader<AssetLoadFailedEvent<StyleModel>>,
    mut seen: ResMut<LoadFailures>,
) {
    seen.0
        .extend(failures.read().map(|failure| failure.error.to_string()));
}

/// A folder of its own for the watched assets, removed at the end.
struct AssetDir(PathBuf);

impl AssetDir {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("bevy_gan_style_hot_reload_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary asset folder");
        for name in ["multistyle26_lite", "ml5_wave_lite"] {
            let file = format!("{name}.safetensors");
            std::fs::copy(bundled(&file), dir.join(&file)).expect("copy weights");
        }
        Self(dir)
    }

    /// Writes `bytes` over `name`, in place (as an editor saving does).
    fn write(&self, name: &str, bytes: &[u8]) {
        std::fs::write(self.0.join(name), bytes).expect("write asset");
    }
}

impl Drop for AssetDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bundled(name: &str) -> PathBuf {
    root().join("assets/models").join(name)
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).expect("bundled model file")
}

/// The network built (and warmed up) for `model` on the render device: its
/// name and build.
fn built(scene: &Scene, model: &Handle<StyleModel>) -> Option<(String, u64)> {
    let nets = scene
        .app
        .sub_app(RenderApp)
        .world()
        .resource::<RenderAssets<GpuNet<StyleModel>>>();
    nets.get(model)
        .filter(|net| net.is_ready())
        .map(|net| (net.model.card().name.clone(), net.revision))
}

/// Runs frames until `done` holds, failing after [`PATIENCE`].
fn until(scene: &mut Scene, what: &str, mut done: impl FnMut(&mut Scene) -> bool) {
    let start = Instant::now();
    while !done(scene) {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        scene.app.update();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs frames for `time`, long enough for the watcher to have seen any
/// change.
fn idle(scene: &mut Scene, time: Duration) -> RgbaImage {
    let start = Instant::now();
    while start.elapsed() < time {
        scene.app.update();
        std::thread::sleep(Duration::from_millis(20));
    }
    scene.render(1)
}

fn assert_differs(a: &RgbaImage, b: &RgbaImage, what: &str) {
    let (_, mean) = difference(a, b);
    assert!(mean > 1.0, "{what}: the frame did not change (mean {mean})");
}

fn assert_same(a: &RgbaImage, b: &RgbaImage, what: &str) {
    let (max, _) = difference(a, b);
    assert!(max <= 1, "{what}: the frame changed (max {max})");
}

#[test]
fn edited_models_swap_broken_ones_keep_the_last_and_removed_ones_unfilter() {
    let dir = AssetDir::new();
    dir.write(CARD, &read(&bundled("multistyle26_lite.style.ron")));
    let mut scene = Scene::with_assets(
        48,
        32,
        AssetPlugin {
            file_path: dir.0.to_string_lossy().into_owned(),
            watch_for_changes_override: Some(true),
            ..default()
        },
    );
    scene
        .app
        .init_resource::<LoadFailures>()
        .add_systems(Update, count_failures);
    let plain = scene.render(3);

    let model: Handle<StyleModel> = scene.app.world().resource::<AssetServer>().load(CARD);
    scene.insert(StyleTransfer {
        model: model.clone(),
        style: StyleWeights::single(0),
        // Only a new network runs the camera's network again.
        schedule: StyleSchedule::OnDemand,
        ..default()
    });
    until(&mut scene, "the model to load", |scene| {
        built(scene, &model).is_some()
    });
    let (name, first) = built(&scene, &model).expect("built");
    assert_eq!(name, "multistyle26_lite");
    let stylized = scene.render(2);
    assert_differs(&plain, &stylized, "the model loaded");

    // New weights for the same card: the card reloads with them.
    dir.write(
        "multistyle26_lite.safetensors",
        &read(&bundled("multistyle26_lite_temporal.safetensors")),
    );
    until(&mut scene, "new weights to be built", |scene| {
        built(scene, &model).is_some_and(|(_, revision)| revision != first)
    });
    let reweighted = scene.render(2);
    assert_differs(&stylized, &reweighted, "new weights");

    // A card for another architecture.
    dir.write(CARD, &read(&bundled("ml5_wave_lite.style.ron")));
    until(&mut scene, "the new card to be built", |scene| {
        built(scene, &model).is_some_and(|(name, _)| name == "ml5_wave_lite")
    });
    let recarded = scene.render(2);
    assert_differs(&reweighted, &recarded, "a new card");

    // A broken edit: the last good network stays, the error is reported
    // (Bevy retries a failed reload once with an untyped load, so one save
    // may send its error twice) and shows in the status, and nothing more
    // comes of it frame after frame.
    dir.write(CARD, b"(name: \"half-saved\", architecture: Mul");
    until(&mut scene, "the broken card to fail", |scene| {
        scene.status().model_load_error.is_some()
    });
    let kept = idle(&mut scene, Duration::from_secs(1));
    let failures = scene.app.world().resource::<LoadFailures>().0.clone();
    let reported = failures.len();
    let mut distinct = failures.clone();
    distinct.dedup();
    assert!(
        (1..=2).contains(&reported) && distinct.len() == 1,
        "load errors reported: {failures:?}"
    );
    let error = scene.status().model_load_error.expect("the load error");
    assert!(error.contains("Mul"), "{error}");
    println!("a broken card keeps the last network; its error ({reported}×): {error}");
    assert_eq!(
        built(&scene, &model).map(|(name, _)| name).as_deref(),
        Some("ml5_wave_lite")
    );
    assert_same(&recarded, &kept, "after a broken edit");
    assert!(!scene.status().model_missing);
    let _ = idle(&mut scene, Duration::from_secs(1));
    assert_eq!(
        scene.app.world().resource::<LoadFailures>().0.len(),
        reported,
        "the error was reported again without a new edit"
    );

    // Fixed again: the card loads (with the weights written above).
    dir.write(CARD, &read(&bundled("multistyle26_lite.style.ron")));
    until(&mut scene, "the fixed card to be built", |scene| {
        built(scene, &model).is_some_and(|(name, _)| name == "multistyle26_lite")
    });
    let fixed = scene.render(2);
    assert_eq!(scene.status().model_load_error, None);
    assert_same(&reweighted, &fixed, "the same card and weights again");

    // Deleting the files changes nothing that is loaded.
    std::fs::remove_file(dir.0.join(CARD)).expect("delete the card");
    std::fs::remove_file(dir.0.join("multistyle26_lite.safetensors")).expect("delete weights");
    let after_delete = idle(&mut scene, Duration::from_secs(1));
    assert_same(&fixed, &after_delete, "after deleting the files");
    assert!(!scene.status().model_missing);

    // Removing the asset: the camera renders unfiltered and says so.
    scene
        .app
        .world_mut()
        .resource_mut::<Assets<StyleModel>>()
        .remove(&model);
    until(
        &mut scene,
        "the status to report the missing model",
        |scene| scene.status().model_missing,
    );
    let unfiltered = scene.render(2);
    assert_same(&plain, &unfiltered, "without a model");
    assert!(scene.status().model_missing, "the status flipped back");

    // A model put back under the same id filters again.
    let back = StyleModel::load_file(bundled("multistyle26_lite_temporal.style.ron"))
        .expect("bundled model");
    scene
        .app
        .world_mut()
        .resource_mut::<Assets<StyleModel>>()
        .insert(&model, back)
        .expect("the model's handle is alive");
    until(&mut scene, "the status to see the model back", |scene| {
        !scene.status().model_missing
    });
    let restored = scene.render(2);
    assert_same(&fixed, &restored, "the same network put back");
    println!(
        "hot reload: weights, card, broken card, fixed card, deleted files, a removed model and \
         the model put back"
    );
}
