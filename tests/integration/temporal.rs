//! Training data from the engine (lavapipe in CI): frames recorded with
//! Bevy's motion vectors and depth warp onto the next frame, and the
//! temporal loss is zero where nothing moves.

use bevy::camera::RenderTarget;
use bevy::prelude::*;
use bevy_gan_style::nn::MultiStyleConfig;
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{
    CaptureFlow, Crop, FlowCapturePlugin, FlowFrame, FlowFrames, FlowSet, RandomScenes,
    RandomScenesPlugin, SceneCamera, Warp, frame_target, temporal_loss,
};
use burn::prelude::*;

use crate::util::root;

const SIZE: UVec2 = UVec2::new(96, 72);

/// Records `count` frames of `camera`'s view (spawned by `scene`).
fn record(count: usize, scene: impl FnOnce(&mut App, Handle<Image>)) -> Vec<FlowFrame> {
    assert!(
        bevy_gan_style::device::gpu_adapter_available(crate::headless::BACKENDS),
        "no GPU adapter found: install software Vulkan (apt-get install -y mesa-vulkan-drivers libvulkan1)"
    );
    let mut app = crate::headless::headless_app(true);
    // Random scenes only run with their resource.
    app.add_plugins((FlowCapturePlugin, RandomScenesPlugin));
    crate::headless::finish_setup(&mut app);
    let target = app
        .world_mut()
        .resource_mut::<Assets<Image>>()
        .add(frame_target(SIZE.x, SIZE.y));
    scene(&mut app, target);
    for _ in 0..count * 4 + 40 {
        app.update();
        if app.world().resource::<FlowFrames>().frames.len() == count {
            break;
        }
    }
    let frames = std::mem::take(&mut app.world_mut().resource_mut::<FlowFrames>().frames);
    assert_eq!(frames.len(), count, "frames recorded");
    frames
}

/// Mean absolute difference (RGB in [0, 1]) over the visible pixels of the
/// window, between `current` and `previous` warped by `warp`.
fn warped_difference(previous: &FlowFrame, current: &FlowFrame, crop: Crop, warp: &Warp) -> f32 {
    let window = |frame: &FlowFrame| -> Vec<f32> {
        (0..crop.side * crop.side)
            .flat_map(|i| {
                let (x, y) = (crop.x + i % crop.side, crop.y + i / crop.side);
                let pixel = frame.rgb.get_pixel(x as u32, y as u32).0;
                pixel.map(|v| f32::from(v) / 255.0)
            })
            .collect()
    };
    let warped = warp.apply(&window(previous), 3);
    let current = window(current);
    let (mut sum, mut count) = (0.0, 0);
    for (i, &visible) in warp.visible.iter().enumerate() {
        if visible {
            sum += (0..3)
                .map(|c| (warped[3 * i + c] - current[3 * i + c]).abs())
                .sum::<f32>()
                / 3.0;
            count += 1;
        }
    }
    sum / count.max(1) as f32
}

#[test]
fn motion_vectors_warp_a_recorded_frame_onto_the_next() {
    let frames = record(4, |app, target| {
        app.insert_resource(RandomScenes {
            frames_per_scene: 1000,
            textures: vec![root().join("assets/images/content/coffee.png")],
            seed: 11,
        });
        app.world_mut().spawn((
            Camera3d::default(),
            RenderTarget::Image(target.into()),
            SceneCamera,
            CaptureFlow::new(SIZE, 4),
        ));
    });
    let set = FlowSet::new(frames);
    assert_eq!(set.len(), 3, "consecutive frames of one scene pair up");
    let crop = Crop {
        x: ((SIZE.x - SIZE.y) / 2) as usize,
        y: 0,
        side: SIZE.y as usize,
    };
    for i in 0..set.len() {
        let (previous, current) = set.pair(i);
        let moved = current
            .motion
            .iter()
            .map(|m| (m[0] * SIZE.x as f32).hypot(m[1] * SIZE.y as f32))
            .sum::<f32>()
            / current.motion.len() as f32;
        let warp = Warp::between(previous, current, crop, 0.05);
        // The same comparison as if nothing had moved.
        let still = Warp {
            corners: (0..warp.corners.len() as u32).map(|i| [i; 4]).collect(),
            weights: vec![[1.0, 0.0, 0.0, 0.0]; warp.corners.len()],
            ..warp.clone()
        };
        let (error, unwarped) = (
            warped_difference(previous, current, crop, &warp),
            warped_difference(previous, current, crop, &still),
        );
        println!(
            "pair {i}: mean motion {moved:.2} px, {:.1} % visible, warped error {error:.4}, \
             unwarped {unwarped:.4}",
            100.0 * warp.coverage()
        );
        assert!(moved > 0.3, "the camera moves ({moved:.2} px)");
        assert!(warp.coverage() > 0.8, "most pixels were seen before");
        assert!(error < 0.02, "warped error {error}");
        assert!(
            error < 0.5 * unwarped,
            "warping helps: {error} vs {unwarped}"
        );
    }
    // Saved and loaded as they were.
    let dir = root().join("target/test-output/flow");
    let (previous, _) = set.pair(0);
    let path = previous.save(&dir).expect("saved");
    assert_eq!(&FlowFrame::load(&path).expect("loaded"), previous);
}

#[test]
fn the_temporal_loss_is_zero_for_a_static_scene() {
    let frames = record(3, |app, target| {
        let world = app.world_mut();
        let cube = world
            .resource_mut::<Assets<Mesh>>()
            .add(Cuboid::new(1.0, 1.0, 1.0));
        let material = world
            .resource_mut::<Assets<StandardMaterial>>()
            .add(Color::srgb(0.8, 0.3, 0.2));
        world.spawn((
            Mesh3d(cube),
            MeshMaterial3d(material),
            Transform::from_rotation(Quat::from_rotation_y(0.5)),
        ));
        world.spawn((
            DirectionalLight::default(),
            Transform::from_xyz(3.0, 5.0, 2.0).looking_at(Vec3::ZERO, Vec3::Y),
        ));
        world.spawn((
            Camera3d::default(),
            RenderTarget::Image(target.into()),
            Transform::from_xyz(2.0, 1.5, 3.0).looking_at(Vec3::ZERO, Vec3::Y),
            CaptureFlow::new(SIZE, 3),
        ));
    });
    let set = FlowSet::new(frames);
    assert_eq!(set.len(), 2);
    let (previous, current) = set.pair(1);
    let largest = current
        .motion
        .iter()
        .map(|m| m[0].abs().max(m[1].abs()))
        .fold(0.0f32, f32::max);
    let nonzero = current.motion.iter().filter(|m| **m != [0.0, 0.0]).count();
    println!(
        "static scene: largest motion {largest:e} (uv), {nonzero} nonzero of {}",
        current.motion.len()
    );
    // Reprojection through the same matrices rounds to an ulp here and there.
    assert!(largest < 1e-6, "nothing moves: {largest:e}");
    assert_eq!(previous.rgb, current.rgb, "the same picture");

    let device = Default::default();
    let net = MultiStyleConfig::lite(2).init::<CpuBackend>(&device);
    let mut rng = <bevy_gan_style::nn::SplitMix64 as bevy_gan_style::nn::Draw>::seeded(3);
    let (previous, current, warps) = set.crops::<CpuBackend>(&mut rng, 2, 64, 0.05, &device);
    let code = Tensor::from_floats([[1.0, 0.0], [0.3, 0.7]], &device);
    let loss = temporal_loss(
        net.forward(current, code.clone()),
        net.forward(previous, code),
        &warps,
    )
    .into_scalar();
    println!("temporal loss on a static scene: {loss:e}");
    assert!(loss < 1e-10, "temporal loss {loss:e}");
    assert!(warps.iter().all(|warp| warp.coverage() == 1.0));
}
