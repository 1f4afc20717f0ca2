//! Per-frame cost of the camera filter (frame copy, bridge, network,
//! compose, copy back) at game resolutions on the GPU adapter Bevy renders
//! with, beside onnxruntime running the same network on the same weights, in
//! one run.
//!
//! ```text
//! cargo bench --bench camera_filter     # needs `pip install onnxruntime` for the ORT column
//! ```
//!
//! The filter's time is its render diagnostic span (GPU timestamps where the
//! device has them, else the frame's wall time). Sizes whose activations do
//! not fit the device's storage-binding limit are also measured at
//! `resolution_scale` 0.5.

#[path = "common/adapter.rs"]
mod adapter;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/ort.rs"]
mod ort;
#[path = "common/root.rs"]
mod root;
#[path = "common/scene.rs"]
mod scene;

use std::time::Instant;

use bevy::render::RenderApp;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::RenderQueue;
use bevy::render::storage::GpuShaderBuffer;
use bevy::render::texture::GpuImage;
use bevy_gan_style::bridge::host;

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore};
use bevy::prelude::*;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy_gan_style::prelude::*;
use scene::{ORBIT_FRAMES, ORBIT_SIZE, ORBIT_WARM, orbit_transform, set_target, spawn_scene};

const SIZES: [(u32, u32); 4] = [(256, 256), (640, 360), (1280, 720), (1920, 1080)];
/// Frames per size before measuring (autotuning, pipeline creation) and
/// after (timestamps are read back a frame or two late).
const WARM: usize = 2;
const LAG: usize = 2;
const RUNS: usize = 3;
const GPU_SPAN: DiagnosticPath = DiagnosticPath::const_new("render/style_transfer/elapsed_gpu");

/// One measured configuration.
struct Row {
    view: (u32, u32),
    scale: f32,
    net: (u32, u32),
    filter_ms: f64,
    frame_ms: f64,
}

fn main() {
    if !bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS) {
        println!("camera_filter bench: no GPU adapter (install mesa-vulkan-drivers for lavapipe)");
        return;
    }
    let model = StyleModel::load_file(format!(
        "{}/assets/models/multistyle26.style.ron",
        root::root()
    ))
    .expect("bundled model");
    let mut app = headless::headless_app(true);
    app.add_plugins(RenderDiagnosticsPlugin);
    headless::finish_setup(&mut app);
    let info = app.world().resource::<RenderAdapterInfo>();
    let adapter = info.name.clone();
    println!("GPU: {}", adapter::describe(info));
    let max_binding = app
        .world()
        .resource::<RenderDevice>()
        .limits()
        .max_storage_buffer_binding_size;
    let camera = spawn_scene(&mut app, model.clone(), 7);
    println!("adapter: {adapter}; CPU: {}", cpu::cpu_name());

    let mut rows = Vec::new();
    for &(width, height) in &SIZES {
        for scale in [1.0f32, 0.5] {
            let net = (
                ((width as f32 * scale) / 4.0).round() as u32 * 4,
                ((height as f32 * scale) / 4.0).round() as u32 * 4,
            );
            if let Err(error) = model.check_device_limit(net.0, net.1, max_binding) {
                println!("{width}×{height} at scale {scale}: skipped: {error}");
                continue;
            }
            let (filter_ms, frame_ms) = measure(&mut app, camera, (width, height), scale);
            println!(
                "{width}×{height} at scale {scale} (network {}×{}): filter {filter_ms:.1} ms, frame {frame_ms:.1} ms",
                net.0, net.1
            );
            rows.push(Row {
                view: (width, height),
                scale,
                net,
                filter_ms,
                frame_ms,
            });
            // Half resolution only where full resolution does not fit.
            break;
        }
    }

    let sizes: Vec<(u32, u32)> = rows.iter().map(|row| row.net).collect();
    let ort = ort::onnxruntime(&sizes);
    println!();
    println!(
        "| view | network input | filter per frame ms ({adapter}) | whole frame ms | onnxruntime ms | ratio filter / onnxruntime |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, row) in rows.iter().enumerate() {
        let ort_ms = ort.as_ref().and_then(|ort| ort.get(i).copied());
        println!(
            "| {}×{} | {}×{} (scale {}) | {:.1} | {:.1} | {} | {} |",
            row.view.0,
            row.view.1,
            row.net.0,
            row.net.1,
            row.scale,
            row.filter_ms,
            row.frame_ms,
            ort_ms.map_or("–".into(), |ms| format!("{ms:.1}")),
            ort_ms.map_or("–".into(), |ms| format!("{:.1}×", row.filter_ms / ms)),
        );
    }

    budget(&mut app, camera);
    amortization(&model, &adapter);
}

/// The frame budget at 256²: the full cost, then a budget of 40 % of it
/// and what the filter settles at.
fn budget(app: &mut App, camera: Entity) {
    set_target(app, camera, (256, 256));
    // Full size: the size table above leaves the last scale it measured.
    app.world_mut()
        .get_mut::<StyleTransfer>(camera)
        .expect("filtered camera")
        .resolution_scale = 1.0;
    let full = costs(app, camera, 10);
    let full = median(full[full.len().saturating_sub(4)..].to_vec());
    let budget = 0.4 * full as f32;
    app.world_mut().entity_mut(camera).insert(FrameBudget {
        gpu_ms: budget,
        min_scale: 0.1,
        max_interval: 4,
    });
    let tight = costs(app, camera, 40);
    let settled = median(tight[tight.len().saturating_sub(10)..].to_vec());
    let status = app
        .world()
        .get::<StyleTransferStatus>(camera)
        .expect("status")
        .clone();
    println!(
        "\nbudget at 256²: full cost {full:.1} ms; budget {budget:.1} ms → median {settled:.1} ms \
         ({:.2}× the budget) at scale {:.2}, interval {}",
        settled / f64::from(budget),
        status.scale,
        status.interval
    );
}

/// Newly measured filter costs (ms) over `frames` frames.
fn costs(app: &mut App, camera: Entity, frames: usize) -> Vec<f64> {
    let mut costs = Vec::new();
    let mut last = None;
    for _ in 0..frames {
        app.update();
        let cost = app
            .world()
            .get::<StyleTransferStatus>(camera)
            .and_then(|status| status.cost_ms);
        if cost.is_some() && cost != last {
            costs.extend(cost.map(f64::from));
        }
        last = cost;
    }
    costs
}

/// Amortized stylization on the scripted orbit: an every-frame camera and
/// a camera whose network runs every n-th frame (reprojection in between)
/// see the same view; per n, the amortized camera's cost per frame, its
/// warping error and its mean absolute difference from the every-frame
/// camera away from the pixels it filled.
fn amortization(model: &StyleModel, adapter: &str) {
    println!(
        "\n| n | cost per frame ms ({adapter}) | × of n = 1 | warping error | mean abs. difference from every frame (levels, filled pixels excluded) | filled pixels |"
    );
    println!("|---|---|---|---|---|---|");
    let mut base = None;
    for n in [1u32, 2, 4] {
        let mut app = headless::headless_app(true);
        headless::finish_setup(&mut app);
        let reference = spawn_scene(&mut app, model.clone(), 7);
        let world = app.world_mut();
        world.entity_mut(reference).insert(StyleTemporal {
            history_weight: 0.0,
            ..default()
        });
        let settings = world
            .get::<StyleTransfer>(reference)
            .expect("filtered camera")
            .clone();
        let amortized = world
            .spawn((
                StyleTransfer {
                    schedule: StyleSchedule::EveryNFrames(n),
                    ..settings
                },
                StyleTemporal {
                    history_weight: 0.0,
                    ..default()
                },
                Camera {
                    order: 1,
                    ..default()
                },
                WarpingErrorProbe::default(),
                FillMask::new(UVec2::new(ORBIT_SIZE.0, ORBIT_SIZE.1)),
            ))
            .id();
        let targets = [reference, amortized].map(|camera| set_target(&mut app, camera, ORBIT_SIZE));
        let (mut costs, mut errors, mut differences, mut filled) = (vec![], vec![], vec![], vec![]);
        for frame in 0..ORBIT_FRAMES {
            let transform = orbit_transform(frame);
            for camera in [reference, amortized] {
                *app.world_mut()
                    .get_mut::<Transform>(camera)
                    .expect("camera") = transform;
            }
            app.update();
            if frame < ORBIT_WARM {
                continue;
            }
            let world = app.world();
            costs.extend(
                world
                    .get::<StyleTransferStatus>(amortized)
                    .and_then(|status| status.cost_ms)
                    .map(f64::from),
            );
            errors.extend(
                world
                    .get::<WarpingErrorProbe>(amortized)
                    .and_then(|probe| probe.latest)
                    .map(|sample| sample.error),
            );
            let mask = world
                .get::<FillMask>(amortized)
                .expect("mask")
                .buffer()
                .clone();
            let [a, b] = targets.clone().map(|target| read_image(&app, &target));
            let mask = read_buffer(&app, &mask);
            let (mut sum, mut count) = (0.0, 0usize);
            for (i, (pa, pb)) in a.chunks_exact(4).zip(b.chunks_exact(4)).enumerate() {
                if mask.get(4 * i).is_some_and(|&m| m == 0) {
                    sum += (0..3)
                        .map(|c| (f64::from(pa[c]) - f64::from(pb[c])).abs())
                        .sum::<f64>()
                        / 3.0;
                    count += 1;
                }
            }
            differences.push(sum / count.max(1) as f64);
            filled.push(1.0 - count as f64 / (a.len() / 4) as f64);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let cost = mean(&costs);
        let base = *base.get_or_insert(cost);
        println!(
            "| {n} | {cost:.1} | {:.2}× | {:.6} | {:.2} | {:.2} % |",
            cost / base,
            mean(&errors),
            mean(&differences),
            100.0 * mean(&filled)
        );
    }
}

/// An image target as the last frame left it (RGBA8).
fn read_image(app: &App, target: &Handle<Image>) -> Vec<u8> {
    let world = app.get_sub_app(RenderApp).expect("render app").world();
    let texture = &world
        .resource::<RenderAssets<GpuImage>>()
        .get(target)
        .expect("target on the GPU")
        .texture;
    let device = world.resource::<RenderDevice>().wgpu_device();
    let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
    host::read_texture(device, queue, texture).expect("readback")
}

/// A shader buffer's bytes after the last frame.
fn read_buffer(app: &App, buffer: &Handle<bevy::render::storage::ShaderBuffer>) -> Vec<u8> {
    let world = app.get_sub_app(RenderApp).expect("render app").world();
    let buffer = &world
        .resource::<RenderAssets<GpuShaderBuffer>>()
        .get(buffer)
        .expect("buffer on the GPU")
        .buffer;
    let device = world.resource::<RenderDevice>().wgpu_device();
    let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
    host::read_buffer(device, queue, buffer).expect("readback")
}

/// Median filter time (GPU span, or frame wall time without timestamps) and
/// median frame wall time of `RUNS` frames at one size.
fn measure(app: &mut App, camera: Entity, (width, height): (u32, u32), scale: f32) -> (f64, f64) {
    set_target(app, camera, (width, height));
    app.world_mut()
        .get_mut::<StyleTransfer>(camera)
        .expect("filtered camera")
        .resolution_scale = scale;

    let mut spans = Vec::new();
    let mut frames = Vec::new();
    let mut last = None;
    for frame in 0..WARM + RUNS + LAG {
        let start = Instant::now();
        app.update();
        let wall = start.elapsed().as_secs_f64() * 1e3;
        if (WARM..WARM + RUNS).contains(&frame) {
            frames.push(wall);
        }
        let measurement = app
            .world()
            .resource::<DiagnosticsStore>()
            .get(&GPU_SPAN)
            .and_then(|d| d.measurement())
            .map(|m| (m.time, m.value));
        if frame >= WARM
            && let Some((time, value)) = measurement
            && last != Some(time)
        {
            last = Some(time);
            spans.push(value);
        }
        if frame < WARM {
            last = measurement.map(|(time, _)| time);
        }
    }
    // The last RUNS spans belong to this size's measured frames.
    let spans: Vec<f64> = spans.iter().rev().take(RUNS).copied().collect();
    let frame_ms = median(frames);
    let filter_ms = if spans.len() == RUNS {
        median(spans)
    } else {
        frame_ms
    };
    (filter_ms, frame_ms)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
