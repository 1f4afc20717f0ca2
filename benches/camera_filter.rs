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

#[path = "common/cpu.rs"]
mod cpu;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/ort.rs"]
mod ort;

use std::time::Instant;

use bevy::camera::RenderTarget;
use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore};
use bevy::prelude::*;
use bevy::render::diagnostic::RenderDiagnosticsPlugin;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy_gan_style::prelude::*;

const SIZES: [(u32, u32); 4] = [(256, 256), (640, 360), (1280, 720), (1920, 1080)];
/// Frames per size before measuring (autotuning, pipeline creation) and
/// after (timestamps are read back a frame or two late).
const WARM: usize = 2;
const LAG: usize = 2;
const RUNS: usize = 3;
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
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
    let model = StyleModel::load_file(format!("{ROOT}/assets/models/multistyle26.style.ron"))
        .expect("bundled model");
    let mut app = headless::headless_app(true);
    app.add_plugins(RenderDiagnosticsPlugin);
    headless::finish_setup(&mut app);
    let adapter = app.world().resource::<RenderAdapterInfo>().name.clone();
    let max_binding = app
        .world()
        .resource::<RenderDevice>()
        .limits()
        .max_storage_buffer_binding_size;
    let camera = spawn_scene(&mut app, model.clone());
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
}

/// A few lit objects and a filtered camera rendering into an image.
fn spawn_scene(app: &mut App, model: StyleModel) -> Entity {
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
                style: StyleWeights::single(7),
                ..default()
            },
            Transform::from_xyz(0.0, 2.0, 4.5).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y),
        ))
        .id()
}

/// Median filter time (GPU span, or frame wall time without timestamps) and
/// median frame wall time of `RUNS` frames at one size.
fn measure(app: &mut App, camera: Entity, (width, height): (u32, u32), scale: f32) -> (f64, f64) {
    let world = app.world_mut();
    let mut image = Image::new_target_texture(width, height, TextureFormat::Rgba8UnormSrgb, None);
    image.texture_descriptor.usage |= TextureUsages::COPY_SRC;
    let target = world.resource_mut::<Assets<Image>>().add(image);
    let mut camera = world.entity_mut(camera);
    camera.insert(RenderTarget::Image(target.into()));
    camera
        .get_mut::<StyleTransfer>()
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
