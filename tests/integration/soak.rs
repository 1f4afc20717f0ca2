//! A long session on the GPU (lavapipe in CI): the camera filter and a
//! neural texture under constant change — render-target resizes, model
//! swaps (CIN ↔ arbitrary ↔ Johnson), styles, strengths, schedules,
//! temporal stabilisation on and off, a second camera coming and going,
//! texture sizes and seeds, and settings that make no sense. After one full
//! cycle of changes the GPU memory the crate holds must not grow, and the
//! process' resident memory stays within a bound. Networks warm up at each
//! new size off the frame, so in the first cycle each frame waits until the
//! camera is ready: every size the cycle asks for then ran in it.

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy_gan_style::prelude::*;
use bevy_gan_style::style_transfer::FilterBuffers;

use crate::camera::Scene;
use crate::util::root;

/// Frames in one cycle of changes; every pattern below repeats within it.
const CYCLE: u32 = 120;
/// Cycles after the first (warm-up) one.
const MEASURED_CYCLES: u32 = 2;
/// Growth of resident memory allowed over the measured cycles.
const RSS_BOUND_MIB: f64 = 64.0;
/// Render-target sizes the camera cycles through, one every 3 frames.
const SIZES: [(u32, u32); 8] = [
    (64, 48),
    (48, 64),
    (40, 40),
    (8, 8),
    (72, 40),
    (32, 56),
    (80, 48),
    (56, 32),
];
/// Texture sizes the neural texture cycles through (0 and odd sizes are
/// refused with a warning).
const TEXTURE_SIDES: [u32; 6] = [32, 16, 48, 0, 24, 13];

/// What the crate holds at one moment.
#[derive(Debug, Clone, Copy)]
struct Snapshot {
    frame: u32,
    tensors_reserved: u64,
    tensors_in_use: u64,
    view_buffers: u64,
    views: usize,
    rss_mib: f64,
}

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn snapshot(app: &App, frame: u32) -> Snapshot {
    let memory = app
        .world()
        .resource::<BurnDevice>()
        .memory_usage()
        .expect("networks run on Bevy's GPU device");
    let buffers = *app.sub_app(RenderApp).world().resource::<FilterBuffers>();
    Snapshot {
        frame,
        tensors_reserved: memory.bytes_reserved,
        tensors_in_use: memory.bytes_in_use,
        view_buffers: buffers.bytes,
        views: buffers.views,
        rss_mib: rss_mib(),
    }
}

fn style_image(name: &str) -> Image {
    let image = image::open(root().join("assets/styles").join(name))
        .expect("bundled style image")
        .thumbnail(96, 96);
    Image::from_dynamic(image, true, RenderAssetUsages::all())
}

/// The settings the main camera has in frame `frame` of a cycle.
fn settings(
    frame: u32,
    models: &[(Handle<StyleModel>, usize); 3],
    style_images: &[Handle<Image>],
) -> (StyleTransfer, StyleImages) {
    // A model for 20 frames each, twice per cycle.
    let (model, styles) = &models[(frame / 20 % 3) as usize];
    let style = match frame % 7 {
        // Out of range: the filter skips with a warning.
        6 => StyleWeights::single(999),
        n if *styles > 1 => {
            StyleWeights::blend([(n as usize % styles, 0.5), ((n as usize + 3) % styles, 0.5)])
        }
        _ => StyleWeights::single(0),
    };
    let schedule = match frame / 10 % 4 {
        0 => StyleSchedule::EveryFrame,
        1 => StyleSchedule::EveryNFrames(3),
        2 => StyleSchedule::OnDemand,
        _ => StyleSchedule::EveryNFrames(0),
    };
    let nonsense = [f32::NAN, -1.0, 7.0, f32::INFINITY];
    let images = StyleImages {
        images: style_images.to_vec(),
        strength: if frame.is_multiple_of(13) { -2.0 } else { 0.8 },
    };
    let filter = StyleTransfer {
        model: model.clone(),
        style,
        strength: if frame % 11 == 5 {
            nonsense[(frame / 11 % 4) as usize]
        } else {
            (frame % 5) as f32 / 4.0
        },
        resolution_scale: match frame % 9 {
            0 => -0.5,
            4 => f32::NAN,
            n => 0.4 + n as f32 * 0.07,
        },
        split: if frame.is_multiple_of(17) { -3.0 } else { 0.0 },
        schedule,
        ..default()
    };
    (filter, images)
}

/// Whether the main camera's network runs in frame `frame` of a cycle (a
/// valid style and a strength above 0, see [`settings`]).
fn filtered(frame: u32) -> bool {
    frame % 7 != 6 && frame % 11 != 5 && !frame.is_multiple_of(5)
}

/// Set for the process that runs the soak alone.
const ALONE: &str = "BEVY_GAN_STYLE_SOAK_ALONE";

/// Resident memory belongs to the whole process, and this binary runs its
/// tests in parallel threads: the soak runs in a process of its own (this
/// test binary again, running only [`soak_alone`]).
#[test]
fn a_long_session_holds_its_memory() {
    let exe = std::env::current_exe().expect("the test binary");
    let output = std::process::Command::new(exe)
        .args([
            "soak::soak_alone",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ALONE, "1")
        .output()
        .expect("run the soak in its own process");
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail = &stderr[stderr.floor_char_boundary(stderr.len().saturating_sub(8000))..];
        panic!("the soak failed ({}):\n{tail}", output.status);
    }
    assert!(stdout.contains("1 passed"), "the soak did not run");
}

#[test]
#[ignore = "run by a_long_session_holds_its_memory, in a process of its own"]
fn soak_alone() {
    assert!(
        std::env::var_os(ALONE).is_some(),
        "the soak measures the resident memory of its process: run it through \
         soak::a_long_session_holds_its_memory"
    );
    let mut scene = Scene::new(SIZES[0].0, SIZES[0].1, false);
    let world = scene.app.world_mut();
    // With the number of styles to pick from (the arbitrary model's: its
    // two style images).
    let models = ["multistyle26_lite", "magenta_arbitrary", "ml5_wave_lite"].map(|name| {
        let model = StyleModel::load_file(root().join(format!("assets/models/{name}.style.ron")))
            .expect("bundled model");
        let styles = match model.card().num_styles() {
            0 => 2,
            n => n,
        };
        (
            world.resource_mut::<Assets<StyleModel>>().add(model),
            styles,
        )
    });
    let style_images: Vec<Handle<Image>> = ["starry_night.jpg", "the_scream.jpg"]
        .map(|name| world.resource_mut::<Assets<Image>>().add(style_image(name)))
        .to_vec();
    let texture_model =
        TextureModel::load_file(root().join("assets/textures/ink_clouds.texture.ron"))
            .expect("bundled texture model");
    let texture_model = world
        .resource_mut::<Assets<TextureModel>>()
        .add(texture_model);
    let texture = {
        let mut images = world.resource_mut::<Assets<Image>>();
        NeuralTexture::new(texture_model, UVec2::splat(32), &mut images)
    };
    let texture = world.spawn(texture).id();
    scene.insert(settings(0, &models, &style_images));

    let total = CYCLE * (1 + MEASURED_CYCLES);
    let (mut resizes, mut swaps, mut spawned) = (0, 0, 0);
    let mut second: Option<Entity> = None;
    let mut waited = 0;
    let mut snapshots = Vec::new();
    for frame in 0..total {
        let phase = frame % CYCLE;
        if frame % 3 == 0 && frame > 0 {
            let (width, height) = SIZES[(frame / 3) as usize % SIZES.len()];
            scene.resize(width, height);
            resizes += 1;
        }
        let before = scene.settings().model.id();
        let (wanted, images) = settings(phase, &models, &style_images);
        swaps += usize::from(wanted.model.id() != before);
        *scene.settings() = wanted;
        scene.insert(images);
        if phase.is_multiple_of(4) {
            let camera = scene.camera;
            scene.app.world_mut().trigger(Restylize { entity: camera });
        }
        // Temporal stabilisation for 30 frames of each 60.
        match phase % 60 {
            0 => scene.insert(StyleTemporal::default()),
            30 => {
                scene
                    .app
                    .world_mut()
                    .entity_mut(scene.camera)
                    .remove::<StyleTemporal>();
            }
            _ => {}
        }
        // A second, filtered camera from frame 40 to 70 and 90 to 100.
        if phase == 40 || phase == 90 {
            let (camera, _) = scene.add_camera(40, 32);
            let (mut settings, images) = settings(phase + 3, &models, &style_images);
            settings.schedule = StyleSchedule::EveryFrame;
            scene
                .app
                .world_mut()
                .entity_mut(camera)
                .insert((settings, images));
            second = Some(camera);
            spawned += 1;
        }
        if (phase == 70 || phase == 100)
            && let Some(camera) = second.take()
        {
            scene.app.world_mut().despawn(camera);
        }
        {
            let mut entity = scene.app.world_mut().entity_mut(texture);
            let mut texture = entity.get_mut::<NeuralTexture>().expect("texture");
            if phase.is_multiple_of(5) {
                let side = TEXTURE_SIDES[(phase / 5) as usize % TEXTURE_SIDES.len()];
                texture.params.size = UVec2::splat(side);
            }
            if phase.is_multiple_of(7) {
                texture.params.seed = u64::from(phase);
            }
            texture.params.morph = if phase.is_multiple_of(19) {
                f32::NAN
            } else {
                0.3
            };
            texture.animate = phase % 40 < 20;
        }
        if frame < CYCLE && filtered(phase) {
            waited += scene.wait_ready_within(std::time::Duration::from_secs(20)) - 1;
        } else {
            scene.app.update();
        }
        if (frame + 1) % CYCLE == 0 {
            let now = snapshot(&scene.app, frame + 1);
            println!("{now:?}");
            snapshots.push(now);
        }
    }
    // The camera still renders, and is filtered, at the end.
    let settle = scene.settings().clone();
    *scene.settings() = StyleTransfer {
        model: models[0].0.clone(),
        style: StyleWeights::single(1),
        strength: 1.0,
        ..settle
    };
    let frame = scene.render(3);
    assert!(frame.width() > 0);
    println!(
        "{total} frames, {resizes} resizes, {swaps} model swaps, {spawned} cameras spawned and despawned; \
         {waited} frames waited for warm-ups in the first cycle"
    );
    assert!(resizes >= 100 && swaps >= 10 && spawned >= 4 && total >= 300);

    let warm = snapshots[0];
    let end = *snapshots.last().expect("snapshots");
    println!(
        "after warm-up (frame {}): tensors {:.1} MiB reserved, {:.1} MiB in use; view buffers {} B ({} views); RSS {:.0} MiB",
        warm.frame,
        warm.tensors_reserved as f64 / 1048576.0,
        warm.tensors_in_use as f64 / 1048576.0,
        warm.view_buffers,
        warm.views,
        warm.rss_mib
    );
    println!(
        "at the end (frame {}): tensors {:.1} MiB reserved, {:.1} MiB in use; view buffers {} B ({} views); RSS {:.0} MiB (+{:.1} MiB)",
        end.frame,
        end.tensors_reserved as f64 / 1048576.0,
        end.tensors_in_use as f64 / 1048576.0,
        end.view_buffers,
        end.views,
        end.rss_mib,
        end.rss_mib - warm.rss_mib
    );
    for later in &snapshots[1..] {
        assert!(
            later.tensors_reserved <= warm.tensors_reserved,
            "burn's pools grew: {warm:?} → {later:?}"
        );
        assert_eq!(
            later.view_buffers, warm.view_buffers,
            "view buffers: {warm:?} → {later:?}"
        );
    }
    assert!(
        end.rss_mib - warm.rss_mib <= RSS_BOUND_MIB,
        "resident memory grew by {:.1} MiB",
        end.rss_mib - warm.rss_mib
    );
}
