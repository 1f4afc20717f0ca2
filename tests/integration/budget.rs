//! The frame budget on the GPU (lavapipe in CI): the filter measures its own
//! cost and holds a budget by lowering its internal scale, and goes back
//! to full size when the budget is generous.

use bevy_gan_style::prelude::*;

use crate::camera::Scene;

/// Renders `frames` frames; returns each newly measured frame cost.
fn costs(scene: &mut Scene, frames: usize) -> Vec<f32> {
    let mut costs = Vec::new();
    let mut last = None;
    for _ in 0..frames {
        scene.app.update();
        let status = scene.status();
        if status.cost_ms.is_some() && status.cost_ms != last {
            costs.extend(status.cost_ms);
        }
        last = status.cost_ms;
    }
    costs
}

fn median(values: &[f32]) -> f32 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted[sorted.len() / 2]
}

#[test]
fn a_budget_lowers_the_scale_and_a_generous_one_restores_it() {
    let mut scene = Scene::new(192, 128, false);
    scene.insert(scene.style_transfer(StyleWeights::single(2)));
    // Compile, autotune, then measure the full-size cost.
    let full = costs(&mut scene, 12);
    assert!(full.len() >= 4, "too few cost measurements: {full:?}");
    let full = median(&full[full.len() - 4..]);
    let status = scene.status();
    println!(
        "full size: {full:.1} ms per frame ({})",
        if status.gpu_timestamps {
            "GPU timestamps"
        } else {
            "CPU recording time"
        }
    );
    assert_eq!(status.scale, 1.0);

    let budget = 0.4 * full;
    scene.insert(FrameBudget {
        gpu_ms: budget,
        min_scale: 0.1,
        max_interval: 4,
    });
    let tight = costs(&mut scene, 40);
    let settled = median(&tight[tight.len().saturating_sub(10)..]);
    let status = scene.status();
    println!(
        "budget {budget:.1} ms: settled at {settled:.1} ms, scale {:.2}, interval {}",
        status.scale, status.interval
    );
    assert!(status.scale < 1.0, "the scale did not go down");
    assert!(
        settled <= 1.2 * budget,
        "median cost {settled:.1} ms over 1.2 × the budget {budget:.1} ms"
    );

    scene.insert(FrameBudget::ms(50.0 * full));
    costs(&mut scene, 30);
    let status = scene.status();
    println!(
        "generous budget: scale {:.2}, interval {}",
        status.scale, status.interval
    );
    assert_eq!((status.scale, status.interval), (1.0, 1));
}
