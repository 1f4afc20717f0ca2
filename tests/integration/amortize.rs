//! Amortized stylization on the GPU (lavapipe in CI): a camera whose
//! network runs every 4th frame reprojects its last stylized frame in
//! between, and stays close to a camera stylized every frame away from the
//! pixels it had to fill.

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy::render::storage::GpuShaderBuffer;
use bevy_gan_style::bridge::host;
use bevy_gan_style::prelude::*;
use image::RgbaImage;

use crate::camera::Scene;

const SIZE: UVec2 = UVec2::new(128, 96);

/// The fill mask the filter wrote in the last frame.
fn read_mask(scene: &Scene, camera: Entity) -> Vec<bool> {
    let mask = scene
        .app
        .world()
        .get::<FillMask>(camera)
        .expect("mask")
        .buffer()
        .clone();
    let world = scene
        .app
        .get_sub_app(RenderApp)
        .expect("render app")
        .world();
    let buffer = &world
        .resource::<RenderAssets<GpuShaderBuffer>>()
        .get(&mask)
        .expect("mask on the GPU")
        .buffer;
    let device = world.resource::<RenderDevice>().wgpu_device();
    let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
    host::read_buffer(device, queue, buffer)
        .expect("readback")
        .chunks_exact(4)
        .map(|word| word != [0, 0, 0, 0])
        .collect()
}

/// Mean absolute difference in 8-bit levels over the pixels not in `skip`.
fn masked_difference(a: &RgbaImage, b: &RgbaImage, skip: &[bool]) -> (f64, usize) {
    let (mut sum, mut count) = (0.0, 0);
    for ((pa, pb), filled) in a.pixels().zip(b.pixels()).zip(skip) {
        if !filled {
            sum += (0..3)
                .map(|c| (f64::from(pa[c]) - f64::from(pb[c])).abs())
                .sum::<f64>()
                / 3.0;
            count += 1;
        }
    }
    (sum / count.max(1) as f64, count)
}

#[test]
fn amortized_frames_stay_close_to_every_frame_stylization() {
    let mut scene = Scene::new(SIZE.x, SIZE.y, false);
    let no_blend = StyleTemporal {
        history_weight: 0.0,
        ..default()
    };
    // Reference: stylized every frame, no temporal blending.
    scene.insert((scene.style_transfer(StyleWeights::single(7)), no_blend));
    // Amortized: the network every 4th frame, reprojection in between.
    let (amortized, target) = scene.add_camera(SIZE.x, SIZE.y);
    let settings = StyleTransfer {
        schedule: StyleSchedule::EveryNFrames(4),
        ..scene.style_transfer(StyleWeights::single(7))
    };
    scene
        .app
        .world_mut()
        .entity_mut(amortized)
        .insert((settings, no_blend, FillMask::new(SIZE)));

    let mut differences = Vec::new();
    let mut filled = Vec::new();
    let mut skipped_costs = Vec::new();
    let mut run_costs = Vec::new();
    for frame in 0..20 {
        let angle = frame as f32 * 0.02;
        let eye = Vec3::new(4.5 * angle.sin(), 2.0, 4.5 * angle.cos());
        let transform =
            Transform::from_translation(eye).looking_at(Vec3::new(0.0, 0.4, 0.0), Vec3::Y);
        for camera in [scene.camera, amortized] {
            *scene
                .app
                .world_mut()
                .get_mut::<Transform>(camera)
                .expect("camera") = transform;
        }
        scene.app.update();
        if frame < 6 {
            continue;
        }
        let reference = scene.read();
        let image = scene.read_image(&target);
        let mask = read_mask(&scene, amortized);
        let (difference, kept) = masked_difference(&reference, &image, &mask);
        differences.push(difference);
        filled.push(1.0 - kept as f64 / mask.len() as f64);
        if frame == 19 {
            let output = crate::util::root().join("target/test-output");
            std::fs::create_dir_all(&output).expect("output folder");
            image.save(output.join("amortized_n4.png")).expect("save");
            reference
                .save(output.join("amortized_reference.png"))
                .expect("save");
        }
        let status = scene
            .app
            .world()
            .get::<StyleTransferStatus>(amortized)
            .expect("status");
        skipped_costs.extend(status.skip_cost_ms);
        run_costs.extend(status.run_cost_ms);
    }
    let mean = differences.iter().sum::<f64>() / differences.len() as f64;
    let worst = differences.iter().copied().fold(0.0, f64::max);
    let fill = filled.iter().sum::<f64>() / filled.len() as f64;
    println!(
        "amortized (n = 4) vs every frame, away from filled pixels: mean {mean:.2} levels, worst frame {worst:.2}; filled {:.2} % of pixels",
        100.0 * fill
    );
    assert!(
        mean <= 6.0,
        "amortized frames differ by {mean:.2} levels on average"
    );
    assert!(fill < 0.2, "{:.1} % of pixels filled", 100.0 * fill);
    assert!(
        filled.iter().any(|&f| f > 0.0),
        "no pixel was ever disoccluded: the mask is not written"
    );
    let (skip, run) = (
        skipped_costs
            .last()
            .copied()
            .expect("skipped frames measured"),
        run_costs.last().copied().expect("network frames measured"),
    );
    println!("cost: network frames {run:.1} ms, reprojected frames {skip:.1} ms");
    assert!(
        skip < 0.5 * run,
        "reprojected frames cost {skip} ms against {run} ms"
    );
}
