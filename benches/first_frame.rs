//! The first stylized frame against a steady one: a camera is given a
//! `StyleTransfer` at a size the process has not run before (a cold burn
//! autotune cache on the first run), and every frame is timed until its
//! output is stylized and then while it stays so.
//!
//! ```text
//! cargo bench --bench first_frame      # on the GPU adapter Bevy renders with (lavapipe here)
//! ```
//!
//! Reported per size: the longest frame from the component's arrival to ten
//! frames after the first stylized one, the first stylized frame, the time
//! from arrival to it, and the median frame after it.

#[path = "common/adapter.rs"]
mod adapter;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/root.rs"]
mod root;
#[path = "common/scene.rs"]
mod scene;

use std::time::Instant;

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice, RenderQueue};
use bevy::render::texture::GpuImage;
use bevy_gan_style::bridge::host;
use bevy_gan_style::prelude::*;
use scene::{set_target, spawn_scene};

const SIZES: [(u32, u32); 2] = [(256, 256), (640, 360)];
/// Frames waited for the first stylized frame at most.
const PATIENCE: usize = 400;
/// Frames timed after it.
const STEADY: usize = 10;

fn main() {
    if !bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS) {
        println!("first_frame bench: no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
        return;
    }
    let model = StyleModel::load_file(format!(
        "{}/assets/models/multistyle26.style.ron",
        root::root()
    ))
    .expect("bundled model");
    let mut app = headless::headless_app(true);
    headless::finish_setup(&mut app);
    println!(
        "GPU: {}",
        adapter::describe(app.world().resource::<RenderAdapterInfo>())
    );
    println!(
        "| view | longest frame ms | first stylized frame ms | arrival → stylized ms | steady frame ms (median) |"
    );
    println!("|---|---|---|---|---|");
    for size in SIZES {
        let camera = spawn_scene(&mut app, model.clone(), 7);
        let target = set_target(&mut app, camera, size);
        // The unfiltered picture, then the filter arrives.
        app.world_mut()
            .get_mut::<StyleTransfer>(camera)
            .expect("camera")
            .enabled = false;
        for _ in 0..3 {
            app.update();
        }
        let plain = read(&mut app, &target);
        let arrival = Instant::now();
        app.world_mut()
            .get_mut::<StyleTransfer>(camera)
            .expect("camera")
            .enabled = true;
        let mut frames = Vec::new();
        let mut first = None;
        for frame in 0..PATIENCE {
            let start = Instant::now();
            app.update();
            frames.push(start.elapsed().as_secs_f64() * 1e3);
            if first.is_none() && differs(&plain, &read(&mut app, &target)) {
                first = Some((frame, arrival.elapsed().as_secs_f64() * 1e3));
            }
            if first.is_some_and(|(at, _)| frame >= at + STEADY) {
                break;
            }
        }
        let Some((at, waited)) = first else {
            println!(
                "| {}×{} | – | never stylized in {PATIENCE} frames | – | – |",
                size.0, size.1
            );
            continue;
        };
        let mut steady = frames[at + 1..].to_vec();
        steady.sort_by(f64::total_cmp);
        println!(
            "| {}×{} | {:.0} | {:.0} | {:.0} | {:.0} |",
            size.0,
            size.1,
            frames.iter().copied().fold(0.0, f64::max),
            frames[at],
            waited,
            steady[steady.len() / 2],
        );
        app.world_mut().entity_mut(camera).despawn();
    }
}

/// The target's texels, waiting for the GPU.
fn read(app: &mut App, target: &Handle<Image>) -> Vec<u8> {
    let world = app.sub_app(RenderApp).world();
    let device = world.resource::<RenderDevice>().wgpu_device();
    let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
    let image = world
        .resource::<RenderAssets<GpuImage>>()
        .get(target)
        .expect("target on the GPU");
    host::read_texture(device, queue, &image.texture).expect("readback")
}

/// Whether a frame is stylized: its mean texel differs from the plain
/// render's by more than two levels.
fn differs(plain: &[u8], frame: &[u8]) -> bool {
    let total: u64 = plain
        .iter()
        .zip(frame)
        .map(|(a, b)| u64::from(a.abs_diff(*b)))
        .sum();
    total > 2 * plain.len() as u64
}
