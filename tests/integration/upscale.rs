//! The super-resolution upscaler: the network on Bevy's device against the
//! CPU, tiles, tileable textures, model cards, training (feature `train`)
//! and the `upscale` tool.

use bevy::prelude::{Assets, UVec2, default};
use bevy_gan_style::model::{UpscaleModelCard, export_upscale_model};
use bevy_gan_style::nn::{UpscaleBase, UpscalerConfig, upsample_bicubic};
use bevy_gan_style::prelude::*;
use bevy_gan_style::upscale::{tile_side, upscale};
use burn::prelude::*;
use burn::tensor::Distribution;

use crate::example_binary::example_binary;
use crate::util::{Gpu, max_abs_diff, root};

/// A small untrained network with a visible residual (its last
/// convolution's weights scaled up), written as a model card.
fn model_in(dir: &std::path::Path) -> UpscaleModel {
    model_of(UpscalerConfig::new(), dir)
}

/// [`model_in`] with another architecture.
fn model_of(config: UpscalerConfig, dir: &std::path::Path) -> UpscaleModel {
    let device = Default::default();
    let net = config.init::<CpuBackend>(&device);
    let net = bevy_gan_style::nn::Upscaler {
        tail: bevy_gan_style::nn::UpscaleConv {
            weight: net.tail.weight.map(|w| w.mul_scalar(100.0)),
            ..net.tail
        },
        ..net
    };
    let card = UpscaleModelCard {
        name: "test_x2".into(),
        description: String::new(),
        network: config,
        weights: String::new(),
        guide_style: None,
        training: String::new(),
    };
    let path = export_upscale_model(&net, card, dir).expect("export");
    UpscaleModel::load_file(path).expect("load the exported card")
}

fn image(height: usize, width: usize, seed: u64) -> Tensor<CpuBackend, 4> {
    let device = Default::default();
    CpuBackend::seed(&device, seed);
    Tensor::random([1, 3, height, width], Distribution::Default, &device)
}

#[test]
fn the_gpu_kernels_match_the_cpu_network() {
    let dir = root().join("target/test-output/upscale_parity");
    let model = model_in(&dir);
    let gpu = Gpu::new();
    let cpu_net = model.build::<CpuBackend>(&Default::default()).expect("cpu");
    let gpu_net = model.build::<GpuBackend>(&gpu.burn).expect("gpu");
    let input = image(40, 56, 3);
    let data = input.to_data();
    let cpu = cpu_net.forward(input.clone());
    let gpu_out = gpu_net.forward(Tensor::<GpuBackend, 4>::from_data(data, &gpu.burn));
    assert_eq!(gpu_out.dims(), [1, 3, 80, 112]);
    let (cpu, gpu_out) = (
        cpu.into_data().to_vec::<f32>().expect("f32"),
        gpu_out.into_data().to_vec::<f32>().expect("f32"),
    );
    let gap = max_abs_diff(&cpu, &gpu_out);
    assert!(gap < 1e-4, "GPU and CPU differ by {gap}");
    // The residual is there: not just the bicubic upsampling.
    let bicubic = upsample_bicubic(input, 2)
        .into_data()
        .to_vec::<f32>()
        .expect("f32");
    assert!(max_abs_diff(&cpu, &bicubic) > 0.01);
}

/// A guided network (the style-aware upscaler's) on the GPU kernels, with
/// its full-size guide, whole and in tiles: the CPU network's output. Where
/// there is no full-size frame it is refused with a clear error.
#[test]
fn a_guided_upscaler_runs_on_the_gpu_like_the_cpu_and_is_refused_without_its_guide() {
    use bevy_gan_style::texture::{TextureParams, generate_upscaled};
    use bevy_gan_style::upscale::upscale_guided;
    let dir = root().join("target/test-output/upscale_guided");
    let model = model_of(UpscalerConfig::new().with_guide(Some(3)), &dir);
    assert!(model.guided());
    let gpu = Gpu::new();
    let cpu_net = model.build::<CpuBackend>(&Default::default()).expect("cpu");
    let gpu_net = model.build::<GpuBackend>(&gpu.burn).expect("gpu");
    let (input, guide) = (image(24, 40, 3), image(48, 80, 4));
    let cpu = cpu_net.forward_guided(input.clone(), guide.clone());
    let on_gpu =
        |x: &Tensor<CpuBackend, 4>| Tensor::<GpuBackend, 4>::from_data(x.to_data(), &gpu.burn);
    let gpu_out = upscale_guided(&gpu_net, on_gpu(&input), on_gpu(&guide), Some(13));
    let (cpu_values, gpu_values) = (
        cpu.to_data().to_vec::<f32>().expect("f32"),
        gpu_out.into_data().to_vec::<f32>().expect("f32"),
    );
    let gap = max_abs_diff(&cpu_values, &gpu_values);
    assert!(gap < 1e-4, "GPU and CPU differ by {gap}");
    // The guide matters: another one gives another picture.
    let other = cpu_net.forward_guided(input, image(48, 80, 5));
    assert!((cpu - other).abs().max().into_scalar() > 0.01);

    let needs_guide = model.unguided().expect_err("refused").to_string();
    assert!(
        needs_guide.contains("guided by the full-size frame"),
        "{needs_guide}"
    );
    let textures = TextureModel::load_file(root().join("assets/textures/gravel.texture.ron"))
        .expect("shipped texture model");
    let generator = textures
        .build::<CpuBackend>(&Default::default())
        .expect("weights");
    let params = TextureParams {
        size: UVec2::splat(64),
        ..default()
    };
    let refused = generate_upscaled(
        &generator,
        &textures.card().generator,
        &params,
        (&cpu_net, 1),
        None,
    );
    assert!(refused.is_err());
}

#[test]
fn tiles_join_exactly_and_wrapped_textures_stay_tileable() {
    let dir = root().join("target/test-output/upscale_tiles");
    let model = model_in(&dir);
    let net = model.build::<CpuBackend>(&Default::default()).expect("cpu");
    let texture = image(24, 32, 5);
    for edges in [Edges::Mirror, Edges::Wrap] {
        let whole = upscale(&net, texture.clone(), 2, edges, None);
        assert_eq!(whole.dims(), [1, 3, 96, 128]);
        for tile in [5, 11, 16] {
            let tiled = upscale(&net, texture.clone(), 2, edges, Some(tile));
            let gap = (whole.clone() - tiled).abs().max().into_scalar();
            assert!(gap < 1e-5, "{edges:?}, tiles of {tile}: {gap}");
        }
    }
    // Wrapping commutes with a circular shift: the output of a shifted
    // texture is the shifted output, so the wrap-around is like any other
    // place in it.
    let whole = upscale(&net, texture.clone(), 1, Edges::Wrap, None);
    let shifted = upscale(&net, texture.roll(&[7, 11], &[2, 3]), 1, Edges::Wrap, None);
    let gap = (whole.roll(&[14, 22], &[2, 3]) - shifted)
        .abs()
        .max()
        .into_scalar();
    assert!(gap < 1e-5, "not shift-equivariant on the torus: {gap}");
}

#[test]
fn tiles_fit_the_devices_binding_limit() {
    let config = UpscalerConfig::new();
    // lavapipe's and most GPUs' 128 MiB.
    let side = tile_side(&config, 128 << 20).expect("fits");
    assert!((1000..2000).contains(&side), "{side}");
    assert_eq!(tile_side(&config, 64), None);
}

#[test]
fn bad_upscale_cards_are_clear_errors() {
    let dir = root().join("target/test-output/upscale_bad_cards");
    let model = model_in(&dir);
    let card_path = dir.join("test_x2.upscale.ron");
    let text = std::fs::read_to_string(&card_path).expect("card");
    for (change, expected) in [
        (("factor: 2", "factor: 3"), "factor"),
        (("channels: 16", "channels: 0"), "channels"),
        (("channels: 16", "channels: 8"), "do not fit"),
        (("guide: None", "guide: Some(4)"), "guide"),
        (("guide: None", "guide: Some(3)"), "do not fit"),
        (("base: None", "base: Some(Guide)"), "network.base"),
        (
            ("guide_style: None", "guide_style: Some(\"x.style.ron\")"),
            "guide_style",
        ),
    ] {
        let bad = dir.join("bad.upscale.ron");
        std::fs::write(&bad, text.replace(change.0, change.1)).expect("write");
        let error = UpscaleModel::load_file(&bad)
            .expect_err("refused")
            .to_string();
        assert!(error.contains(expected), "{change:?}: {error}");
    }
    drop(model);
}

#[test]
fn the_upscale_tool_writes_a_larger_picture() {
    let dir = root().join("target/test-output/upscale_tool");
    model_in(&dir);
    let output = dir.join("out.png");
    let _ = std::fs::remove_file(&output);
    let run = std::process::Command::new(example_binary("upscale"))
        .args([
            "--model",
            &dir.join("test_x2.upscale.ron").to_string_lossy(),
        ])
        .args([
            "--input",
            &root()
                .join("assets/images/chelsea_256x168.png")
                .to_string_lossy(),
        ])
        .args([
            "--output",
            &output.to_string_lossy(),
            "--scale",
            "4",
            "--runs",
            "0",
            "--gpu",
        ])
        .output()
        .expect("run upscale");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("device:    GPU: Bevy's render device")
            && stdout.contains("256×168 → 1024×672"),
        "{stdout}"
    );
    let written = image::open(&output).expect("a PNG");
    assert_eq!((written.width(), written.height()), (1024, 672));
    // Without --gpu, a software rasteriser is passed over for the CPU
    // backend (faster on the same cores), and the device line says why.
    let run = std::process::Command::new(example_binary("upscale"))
        .args([
            "--model",
            &dir.join("test_x2.upscale.ron").to_string_lossy(),
            "--output",
            &output.to_string_lossy(),
            "--runs",
            "0",
        ])
        .output()
        .expect("run upscale");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}");
    let adapter = bevy_gan_style::device::default_adapter(crate::headless::BACKENDS);
    match adapter {
        Some(info) if info.device_type != wgpu::DeviceType::Cpu => {
            assert!(stdout.contains("device:    GPU"), "{stdout}");
        }
        _ => assert!(
            stdout.contains("device:    CPU: burn's CPU backend ("),
            "{stdout}"
        ),
    }
    // A scale the model cannot make is refused, and nothing is written.
    let _ = std::fs::remove_file(&output);
    let run = std::process::Command::new(example_binary("upscale"))
        .args([
            "--model",
            &dir.join("test_x2.upscale.ron").to_string_lossy(),
        ])
        .args([
            "--output",
            &output.to_string_lossy(),
            "--scale",
            "3",
            "--cpu",
        ])
        .output()
        .expect("run upscale");
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--scale 3"));
    assert!(!output.exists());
}

#[cfg(feature = "train")]
#[test]
fn a_short_upscaler_run_learns_reports_and_resumes() {
    use bevy_gan_style::train::{
        RunEvent, Trainer, TrainingRun, UpscaleTrainConfig, UpscaleTrainer, upscale_images,
    };
    type B = burn::backend::Autodiff<CpuBackend>;
    let out = root().join("target/test-output/train_upscaler");
    let _ = std::fs::remove_dir_all(&out);
    // One photo, so that a few hundred steps are enough to see learning.
    let images = || {
        upscale_images(&[root().join("assets/images/chelsea_256x168.png")], 256, 32)
            .expect("images")
    };
    let config = UpscaleTrainConfig::new(UpscalerConfig::new().with_blocks(1))
        .with_size(32)
        .with_batch(4)
        .with_learning_rate(5e-3);
    let device = Default::default();
    let trainer = UpscaleTrainer::<B>::new(config, images(), &device).expect("start");
    let mut run = TrainingRun::new(trainer, &out, 300).expect("run");
    let mut rows = Vec::new();
    run.run(600, |event| {
        if let RunEvent::Step(row) = event {
            rows.push(row.values.clone());
        }
    })
    .expect("train");
    assert_eq!(rows.len(), 600);
    // The network pulls ahead of its own starting point, the bicubic
    // upsampling, on the training batches (PSNR gain over the last 100).
    let gain: f32 = rows[500..].iter().map(|r| r[1] - r[2]).sum::<f32>() / 100.0;
    assert!(gain > 0.08, "PSNR gain over bicubic {gain} dB");
    for file in [
        "losses.csv",
        "losses.png",
        "samples-000300.png",
        "checkpoint/state.ron",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let resumed =
        UpscaleTrainer::<B>::resume(&out.join("checkpoint"), images(), &device).expect("resume");
    assert_eq!(resumed.iteration(), 600);
    // Bad settings are clear errors.
    for (config, expected) in [
        (
            UpscaleTrainConfig::new(UpscalerConfig::new()).with_size(33),
            "multiple",
        ),
        (
            UpscaleTrainConfig::new(UpscalerConfig::new()).with_batch(0),
            "batch",
        ),
        (
            UpscaleTrainConfig::new(UpscalerConfig::new().with_factor(3)),
            "factor",
        ),
        (
            UpscaleTrainConfig::new(UpscalerConfig::new()).with_size(4096),
            "at least",
        ),
    ] {
        let error = UpscaleTrainer::<B>::new(config, images(), &device)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains(expected), "{error}");
    }
}

/// Runs frames until the camera's upscaling has been active in three frames
/// in a row (its network warmed up at the main pass's size).
fn wait_upscaled(scene: &mut crate::camera::Scene) -> NeuralUpscaleStatus {
    let start = std::time::Instant::now();
    let mut in_a_row = 0;
    while in_a_row < 3 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(300),
            "the upscaler never became active"
        );
        scene.app.update();
        let status = scene.app.world().get::<NeuralUpscaleStatus>(scene.camera);
        in_a_row = if status.is_some_and(|s| s.active) {
            in_a_row + 1
        } else {
            0
        };
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    scene
        .app
        .world()
        .get::<NeuralUpscaleStatus>(scene.camera)
        .cloned()
        .expect("status")
}

/// `NeuralUpscale` renders the main pass at half the view and the network
/// restores the view on Bevy's device: the camera's 128×96 output is the
/// CPU network's upscaling of the same scene rendered natively at 64×48.
#[test]
fn the_camera_upscales_its_half_resolution_main_pass_like_the_cpu_network() {
    use crate::camera::Scene;
    use crate::reference::difference;
    let mut scene = Scene::new(64, 48, false);
    let low = scene.render(4);
    let native = {
        scene.resize(128, 96);
        scene.render(3)
    };
    let path = root().join("assets/upscalers/photo_x2.upscale.ron");
    let model = UpscaleModel::load_file(&path).expect("shipped upscaler");
    let device = Default::default();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let handle = scene
        .app
        .world_mut()
        .resource_mut::<Assets<UpscaleModel>>()
        .add(model);
    scene.insert(NeuralUpscale {
        model: handle,
        ..default()
    });
    let status = wait_upscaled(&mut scene);
    assert_eq!(status.render_size, UVec2::new(64, 48));
    let upscaled = scene.render(2);

    let input = bevy_gan_style::bridge::image_to_tensor::<CpuBackend>(&low, (0.0, 1.0), &device);
    let expected =
        bevy_gan_style::bridge::tensor_to_image(net.forward(input).clamp(0.0, 1.0), (0.0, 1.0));
    let expected = image::DynamicImage::from(expected).to_rgba8();
    let out = root().join("target/test-output");
    std::fs::create_dir_all(&out).ok();
    for (name, picture) in [
        ("low", &low),
        ("native", &native),
        ("neural", &upscaled),
        ("cpu", &expected),
    ] {
        picture
            .save(out.join(format!("camera_upscale_{name}.png")))
            .ok();
    }
    let (max, mean) = difference(&upscaled, &expected);
    let (_, from_native) = difference(&upscaled, &native);
    println!(
        "camera upscaling vs the CPU network: max {max}, mean {mean:.3}; vs native: mean {from_native:.2} (8-bit levels)"
    );
    assert!(mean < 1.0 && max <= 8, "max {max}, mean {mean}");

    // Bilinear through the same path, and off: native again.
    let mut settings = scene
        .app
        .world_mut()
        .get_mut::<NeuralUpscale>(scene.camera)
        .expect("set");
    settings.method = UpscaleMethod::Bilinear;
    let bilinear = scene.render(3);
    let (_, apart) = difference(&bilinear, &upscaled);
    assert!(
        apart > 0.3,
        "bilinear and the network gave the same frame ({apart})"
    );
    scene
        .app
        .world_mut()
        .get_mut::<NeuralUpscale>(scene.camera)
        .expect("set")
        .enabled = false;
    let off = scene.render(3);
    let (max, _) = difference(&off, &native);
    assert!(
        max <= 2,
        "disabled upscaling did not render natively (max {max})"
    );
    assert!(
        !scene
            .app
            .world()
            .get::<NeuralUpscaleStatus>(scene.camera)
            .expect("status")
            .active
    );
}

/// Perceptual + adversarial fine-tuning of a style-aware upscaler (a style
/// teacher's output at half and full size): six loss columns, finite, the
/// discriminator checkpointed and resumed; a starting network of another
/// architecture is refused.
#[test]
fn gan_fine_tuning_of_a_style_aware_upscaler_runs_and_resumes() {
    use bevy_gan_style::train::{
        RunEvent, TeacherConfig, Trainer, TrainingRun, UpscaleGanConfig, UpscaleTrainConfig,
        UpscaleTrainer, upscale_images,
    };
    type B = burn::backend::Autodiff<CpuBackend>;
    let out = root().join("target/test-output/train_upscaler_gan");
    let _ = std::fs::remove_dir_all(&out);
    let images = || {
        upscale_images(&[root().join("assets/images/chelsea_256x168.png")], 256, 32)
            .expect("images")
    };
    let vgg = root().join("assets/training/vgg16_features.safetensors");
    let teacher = root().join("assets/models/multistyle26_lite.style.ron");
    let config = UpscaleTrainConfig::new(UpscalerConfig::new().with_blocks(1))
        .with_size(32)
        .with_batch(2)
        .with_learning_rate(1e-4)
        .with_teacher(Some(TeacherConfig::new(teacher.display().to_string())))
        .with_gan(Some(UpscaleGanConfig::new(vgg.display().to_string())));
    let device = Default::default();
    let trainer = UpscaleTrainer::<B>::new(config, images(), &device).expect("start");
    let other = UpscalerConfig::new().with_blocks(2).init::<B>(&device);
    assert!(
        UpscaleTrainer::<B>::new(trainer.config.clone(), images(), &device)
            .expect("start")
            .start_from(other)
            .is_err()
    );
    let mut run = TrainingRun::new(trainer, &out, 4).expect("run");
    let mut rows = Vec::new();
    run.run(4, |event| {
        if let RunEvent::Step(row) = event {
            rows.push(row.values.clone());
        }
    })
    .expect("train");
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|r| r.len() == 6 && r.iter().all(|v| v.is_finite())),
        "{rows:?}"
    );
    assert!(out.join("samples-000004.png").exists());
    let resumed =
        UpscaleTrainer::<B>::resume(&out.join("checkpoint"), images(), &device).expect("resume");
    assert_eq!(resumed.iteration(), 4);
    assert_eq!(resumed.columns().len(), 6);

    // Guided by the pictures the teacher ran on, with the content distance
    // alone (no adversarial weight: no discriminator step, d and g 0).
    let teacher = TeacherConfig::new(teacher.display().to_string());
    let guided = UpscaleTrainConfig::new(UpscalerConfig::new().with_blocks(1).with_guide(Some(3)))
        .with_size(32)
        .with_batch(2)
        .with_gan(Some(
            UpscaleGanConfig::new(vgg.display().to_string())
                .with_adversarial(0.0)
                .with_content_only(true),
        ));
    // A guide without a teacher has nothing to be guided by.
    assert!(UpscaleTrainer::<B>::new(guided.clone(), images(), &device).is_err());
    let guided = guided.with_teacher(Some(teacher.clone()));
    let mut trainer = UpscaleTrainer::<B>::new(guided.clone(), images(), &device).expect("start");
    for _ in 0..2 {
        let row = trainer.step().expect("step");
        assert!(
            row[3].is_finite() && row[3] > 0.0 && row[4] == 0.0 && row[5] == 0.0,
            "{row:?}"
        );
    }
    assert_eq!(trainer.inference_network().guide_planes(), 12);

    // Guided by a style model's output, the detail added to it.
    let student = UpscaleTrainConfig {
        network: guided.network.clone().with_base(Some(UpscaleBase::Guide)),
        ..guided.clone()
    }
    .with_guide_style(Some(teacher.card.clone()));
    let mut trainer = UpscaleTrainer::<B>::new(student, images(), &device).expect("start");
    assert!(trainer.step().expect("step")[3].is_finite());
    assert!(trainer.inference_network().guide_base);
    // The detail added to a guide needs one.
    let unguided = UpscaleTrainConfig {
        network: UpscalerConfig::new().with_base(Some(UpscaleBase::Guide)),
        ..guided
    };
    assert!(UpscaleTrainer::<B>::new(unguided, images(), &device).is_err());
}

/// `StyleUpscale` with a `StyleTransfer` at half resolution: the style
/// network runs on the frame box-filtered to 64×48 and the upscaler brings
/// its output to the 128×96 view on Bevy's device, as the CPU backend
/// runs the same two networks; without it the compose pass upsamples
/// bilinearly (a different frame).
#[test]
fn style_at_half_resolution_is_upscaled_by_the_network_like_the_cpu() {
    style_upscale_like_the_cpu("assets/upscalers/photo_x2.upscale.ron");
}

/// The same with the style-aware upscaler, which also reads the rendered
/// frame at full size (its guide): on the GPU, the bridge's copy of the
/// view target; on the CPU, the rendered picture.
#[test]
fn a_guided_style_upscaler_reads_the_full_size_frame_like_the_cpu() {
    style_upscale_like_the_cpu("assets/upscalers/ml5_wave_x2.upscale.ron");
}

/// The same with an upscaler whose guide is a real-time student's
/// stylization of the frame (its card's `guide_style`, loaded with it by
/// the asset server), run on the GPU in the same frame.
#[test]
fn a_student_guided_style_upscaler_runs_the_student_like_the_cpu() {
    style_upscale_like_the_cpu("assets/upscalers/ml5_wave_x2_lite.upscale.ron");
}

fn style_upscale_like_the_cpu(card: &str) {
    use crate::camera::Scene;
    use crate::reference::difference;
    use burn::tensor::module::avg_pool2d;
    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    let style = StyleWeights::single(3);
    let card_path = card;
    let upscaler = UpscaleModel::load_file(root().join(card)).expect("shipped upscaler");
    let styler = StyleModel::load_file(root().join("assets/models/multistyle26.style.ron"))
        .expect("shipped model");
    let device = Default::default();
    let expected = {
        let card = styler.card();
        let frame =
            bevy_gan_style::bridge::image_to_tensor::<CpuBackend>(&plain, (0.0, 1.0), &device);
        let small = avg_pool2d(frame.clone(), [2, 2], [2, 2], [0, 0], false, false);
        let (lo, hi) = card.input_range;
        let net = styler.build::<CpuBackend>(&device).expect("weights");
        let styled = net.forward(
            small.mul_scalar(hi - lo).add_scalar(lo),
            styler.style_tensor(&style, &device).expect("style"),
        );
        let (lo, hi) = card.output_range;
        let unit = styled.sub_scalar(lo).div_scalar(hi - lo);
        let net = upscaler.build::<CpuBackend>(&device).expect("weights");
        let up = match (upscaler.guided(), &upscaler.card().guide_style) {
            (true, Some(student)) => {
                let student = StyleModel::load_file(root().join(card_path).with_file_name(student))
                    .expect("the guide's style model");
                let (lo, hi) = student.card().input_range;
                let styled = student
                    .build::<CpuBackend>(&device)
                    .expect("weights")
                    .forward(
                        frame.mul_scalar(hi - lo).add_scalar(lo),
                        student
                            .style_tensor(&StyleWeights::single(0), &device)
                            .expect("style"),
                    );
                let (lo, hi) = student.card().output_range;
                let guide = styled.sub_scalar(lo).div_scalar(hi - lo).clamp(0.0, 1.0);
                net.forward_guided(unit, guide)
            }
            (true, None) => net.forward_guided(unit, frame),
            (false, _) => net.forward(unit),
        };
        let image = bevy_gan_style::bridge::tensor_to_image(up.clamp(0.0, 1.0), (0.0, 1.0));
        image::DynamicImage::from(image).to_rgba8()
    };
    // A student-guided card names its student relative to itself: it is
    // loaded from the asset folder.
    let handle = match upscaler.card().guide_style {
        Some(_) => scene
            .app
            .world()
            .resource::<bevy::asset::AssetServer>()
            .load(card.trim_start_matches("assets/").to_string()),
        None => scene
            .app
            .world_mut()
            .resource_mut::<Assets<UpscaleModel>>()
            .add(upscaler),
    };
    scene.insert((
        StyleTransfer {
            resolution_scale: 0.5,
            ..scene.style_transfer(style)
        },
        StyleUpscale {
            model: handle,
            ..default()
        },
    ));
    // The style network and then the upscaler warm up at 64×48; until
    // then the compose pass upsamples the style's output bilinearly.
    let start = std::time::Instant::now();
    let (mut upscaled, mut apart) = (scene.render(1), (u8::MAX, f64::MAX));
    while start.elapsed() < std::time::Duration::from_secs(300) {
        upscaled = scene.render(1);
        apart = difference(&upscaled, &expected);
        if apart.1 < 1.0 {
            upscaled = scene.render(2);
            apart = difference(&upscaled, &expected);
            break;
        }
    }
    let out = root().join("target/test-output");
    std::fs::create_dir_all(&out).ok();
    let name = card
        .rsplit('/')
        .next()
        .unwrap_or(card)
        .trim_end_matches(".upscale.ron");
    upscaled
        .save(out.join(format!("style_upscale_{name}_gpu.png")))
        .ok();
    expected
        .save(out.join(format!("style_upscale_{name}_cpu.png")))
        .ok();
    let (max, mean) = apart;
    println!("style at ½ + upscaler vs the CPU: max {max}, mean {mean:.3} (8-bit levels)");
    assert!(mean < 1.0 && max <= 8, "max {max}, mean {mean}");

    scene
        .app
        .world_mut()
        .get_mut::<StyleUpscale>(scene.camera)
        .expect("set")
        .enabled = false;
    let bilinear = scene.render(3);
    let (_, from_bilinear) = difference(&bilinear, &upscaled);
    println!("bilinear vs upscaled: mean {from_bilinear:.2}");
    assert!(
        from_bilinear > 0.3,
        "the upscaler changed nothing ({from_bilinear})"
    );
}
