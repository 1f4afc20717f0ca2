//! Style training: VGG16 against a numpy reference, the losses against hand
//! computed values, and short runs of the trainer on tiny data (CPU).

use std::path::{Path, PathBuf};

use bevy::camera::RenderTarget;
use bevy::prelude::{Assets, Camera3d, Image};
use bevy_gan_style::device::CpuBackend;
use bevy_gan_style::eval::Lpips;
use bevy_gan_style::nn::{
    MultiStyleConfig, Vgg16, VggTap, WeightsError, content_loss, gram, style_loss, total_variation,
};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{
    AdversarialLoss, CaptureFrames, Column, FrameCapturePlugin, FramesSaved, RandomScenes,
    RandomScenesPlugin, RunEvent, SceneCamera, StyleTrainConfig, StyleTrainer, TeacherConfig,
    TrainError, Trainer, TrainingRun, frame_target,
};
use burn::backend::Autodiff;
use burn::prelude::*;

use crate::util::{max_abs_diff, read_tensors, root};

type B = Autodiff<CpuBackend>;

fn vgg_path() -> PathBuf {
    root().join("assets/training/vgg16_features.safetensors")
}

#[test]
fn vgg16_matches_the_numpy_reference() {
    let reference = read_tensors(&root().join("tests/data/vgg16_reference.safetensors"));
    let device = Default::default();
    let vgg = Vgg16::<CpuBackend>::load(&vgg_path(), &device).expect("shipped VGG16");
    let (shape, input) = &reference["input"];
    let input =
        Tensor::<CpuBackend, 4>::from_data(TensorData::new(input.clone(), shape.clone()), &device);
    let taps = vgg.forward(input, VggTap::Relu5_3);
    for (tap, name) in taps
        .into_iter()
        .zip(["relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"])
    {
        let (shape, expected) = &reference[name];
        assert_eq!(tap.dims().to_vec(), *shape, "{name} shape");
        let got: Vec<f32> = tap.into_data().to_vec().expect("f32");
        let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
        let error = max_abs_diff(&got, expected) / scale;
        println!("VGG16 {name}: max error {error:.2e} of the largest activation");
        assert!(error < 1e-4, "{name}: {error}");
    }
}

/// A PyTorch `.pth` state dict is read through burn-store. The fixture
/// holds torchvision's `features.0` and `features.2` only (written by
/// `tests/data/make_pth.py`), so loading it names exactly the other eleven
/// convolutions, under the crate's contiguous indices: `features.2` of the
/// file became the crate's second convolution.
#[test]
fn vgg16_reads_pytorch_state_dicts() {
    let path = root().join("tests/data/vgg16_first_two_convs.pth");
    let error = Vgg16::<CpuBackend>::load(&path, &Default::default())
        .expect_err("eleven convolutions are missing");
    let WeightsError::Missing(mut names) = error else {
        panic!("expected missing tensors, got: {error}");
    };
    names.sort();
    let mut expected: Vec<String> = (2..13)
        .flat_map(|i| [format!("features.{i}.weight"), format!("features.{i}.bias")])
        .collect();
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn lpips_matches_the_numpy_reference() {
    let reference = read_tensors(&root().join("tests/data/vgg16_reference.safetensors"));
    let device = Default::default();
    let lpips = Lpips::<CpuBackend>::load(
        &vgg_path(),
        &root().join("assets/training/lpips_vgg_lin.safetensors"),
        &device,
    )
    .expect("shipped LPIPS heads");
    let tensor = |name: &str| {
        let (shape, values) = &reference[name];
        Tensor::<CpuBackend, 4>::from_data(TensorData::new(values.clone(), shape.clone()), &device)
    };
    let (a, b) = (tensor("input"), tensor("input_b"));
    let expected = reference["lpips"].1[0];
    let got = lpips.distance(a.clone(), b.clone());
    println!("LPIPS: {got} (numpy {expected})");
    assert!(
        (got - expected).abs() < 1e-4 * expected.max(1.0),
        "{got} vs {expected}"
    );
    assert_eq!(lpips.distance(a.clone(), a.clone()), 0.0);
    assert!((lpips.distance(b, a) - got).abs() < 1e-6, "symmetric");
}

#[test]
fn losses_match_hand_computed_values() {
    let device = Default::default();
    let t = |values: &[f32], shape: [usize; 4]| {
        Tensor::<CpuBackend, 4>::from_data(TensorData::new(values.to_vec(), shape), &device)
    };
    let value = |x: Tensor<CpuBackend, 1>| x.into_scalar();
    // Two channels of 2×1: a = (1, 2), b = (3, 0). G = [[5, 3], [3, 9]] / (2·2·1).
    let features = t(&[1.0, 2.0, 3.0, 0.0], [1, 2, 2, 1]);
    let g: Vec<f32> = gram(features.clone()).into_data().to_vec().expect("f32");
    assert_eq!(g, [1.25, 0.75, 0.75, 2.25]);
    // Content: mean of squared differences, (1 + 4 + 0 + 0) / 4.
    let other = t(&[0.0, 0.0, 3.0, 0.0], [1, 2, 2, 1]);
    assert_eq!(value(content_loss(features.clone(), other.clone())), 1.25);
    // Style: against the Gram of `other` ([[0, 0], [0, 9/4]]): differences
    // 1.25, 0.75, 0.75, 0 → mean of squares (1.5625 + 0.5625·2) / 4 = 0.671875;
    // weighted by 2 on the first tap and 0 on the (identical) second.
    let target = gram(other);
    let loss = style_loss(
        &[features.clone(), features.clone()],
        &[target, gram(features)],
        &[2.0, 0.0],
    );
    assert!((value(loss) - 1.34375).abs() < 1e-6);
    // TV of a 2×2 image [[0, 1], [2, 3]]: horizontal differences 1, 1 →
    // mean of squares 1; vertical 2, 2 → mean of squares 4.
    let image = t(&[0.0, 1.0, 2.0, 3.0], [1, 1, 2, 2]);
    assert_eq!(value(total_variation(image)), 5.0);
}

/// A folder of small content images, plus a file that is not an image.
fn content_folder(name: &str) -> PathBuf {
    let dir = root().join("target/test-output").join(name).join("content");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("nested")).expect("folder");
    let photo = image::open(root().join("assets/images/chelsea_cat.png")).expect("photo");
    photo
        .resize(96, 64, image::imageops::FilterType::Triangle)
        .save(dir.join("cat.png"))
        .expect("write");
    photo
        .crop_imm(150, 40, 200, 200)
        .resize(64, 64, image::imageops::FilterType::Triangle)
        .save(dir.join("nested/face.png"))
        .expect("write");
    std::fs::write(dir.join("broken.jpg"), b"not a jpeg").expect("write");
    dir
}

fn tiny_config(name: &str, styles: usize) -> StyleTrainConfig {
    let style_files = ["starry_night.jpg", "great_wave_hokusai.jpg"];
    StyleTrainConfig::new(
        MultiStyleConfig::new(styles, [8, 8, 8], 1, [8, 4]),
        style_files[..styles]
            .iter()
            .map(|f| {
                root()
                    .join("assets/styles")
                    .join(f)
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        vec![content_folder(name).to_string_lossy().into_owned()],
        vgg_path().to_string_lossy().into_owned(),
    )
    .with_size(32)
    .with_batch(2)
    .with_style_size(64)
    .with_discriminator_channels(vec![8, 16])
}

#[test]
fn a_few_steps_lower_the_loss() {
    let config = tiny_config("style_steps", 2)
        .with_adversarial(None)
        .with_learning_rate(1e-2);
    let mut trainer = StyleTrainer::<B>::new(config, &Default::default()).expect("trainer");
    let skipped: Vec<_> = trainer.skipped.iter().map(|s| s.path.clone()).collect();
    assert_eq!(skipped.len(), 1, "the broken file is skipped: {skipped:?}");
    assert!(skipped[0].ends_with("broken.jpg"));
    let totals: Vec<f32> = (0..24).map(|_| trainer.step().expect("step")[0]).collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&totals[..4]), mean(&totals[20..]));
    println!("total loss: first four steps {first:.4}, last four {last:.4}");
    assert!(last < 0.8 * first, "{first} → {last}");
}

/// Distillation: a lite student of two multistyle26 styles (no style
/// images, no Gram loss) moves towards the teacher's output.
#[test]
fn a_student_moves_towards_its_teacher() {
    let teacher = TeacherConfig::new(
        root()
            .join("assets/models/multistyle26.style.ron")
            .to_string_lossy()
            .into_owned(),
    )
    .with_styles(vec![3, 7])
    .with_pixel_weight(50.0);
    let config = StyleTrainConfig {
        net: MultiStyleConfig::lite(2),
        styles: Vec::new(),
        teacher: Some(teacher),
        style_weight: 0.0,
        ..tiny_config("distil", 2)
    }
    .with_adversarial(None)
    .with_learning_rate(1e-2);
    let mut trainer = StyleTrainer::<B>::new(config, &Default::default()).expect("trainer");
    // Column 2 is the pixel distance to the teacher.
    let pixels: Vec<f32> = (0..24).map(|_| trainer.step().expect("step")[2]).collect();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (first, last) = (mean(&pixels[..4]), mean(&pixels[20..]));
    println!("pixel distance to the teacher: first four steps {first:.4}, last four {last:.4}");
    assert!(last < 0.7 * first, "{first} → {last}");
}

#[test]
fn a_run_reports_resumes_and_exports_a_model() {
    let out = root().join("target/test-output/train_style");
    let _ = std::fs::remove_dir_all(&out);
    let config = tiny_config("train_style", 2).with_adversarial(Some(AdversarialLoss::Hinge));
    let device = Default::default();
    let mut trainer = StyleTrainer::<B>::new(config, &device).expect("trainer");
    trainer.monitor().expect("style images to monitor against");
    let mut run = TrainingRun::new(trainer, &out, 3).expect("run");
    run.run(6, |_| {}).expect("train");
    for file in [
        "losses.csv",
        "losses.png",
        "samples-000003.png",
        "samples-000006.png",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let header = std::fs::read_to_string(out.join("losses.csv")).expect("csv");
    assert!(
        header.starts_with(
            "iteration,total,content,pixel,style,tv,adversarial_g,loss_d,temporal,sifid\n"
        ),
        "{header}"
    );
    // SIFID against the paintings at the reports (3, 6) only.
    for line in header.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let report = fields[0] == "3" || fields[0] == "6";
        let sifid: Option<f32> = fields[9].parse().ok();
        assert_eq!(sifid.is_some_and(|v| v > 0.0), report, "{line}");
    }
    assert!(
        run.history().iter().all(|row| row.values[6] > 0.0),
        "D trained"
    );

    // Resuming restores the weights, the optimiser states and the step
    // count: the next step is the same as the original trainer's.
    let mut resumed = StyleTrainer::<B>::resume(&run.checkpoint_dir(), &device).expect("resume");
    assert_eq!(resumed.iteration(), 6);
    let original = run.trainer.step().expect("step");
    let again = resumed.step().expect("step");
    assert_eq!(original, again, "same losses after resuming");
    assert_eq!(resumed.iteration(), 7);

    // The export loads as a style model and stylizes.
    let card = resumed.export(&out, "tiny", "test model").expect("export");
    let model = StyleModel::load_file(&card).expect("exported model loads");
    assert_eq!(model.card().styles, ["starry_night", "great_wave_hokusai"]);
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let image = Tensor::<CpuBackend, 4>::full([1, 3, 16, 16], 0.5, &device);
    let styled = net.forward(image, Tensor::from_floats([[0.0, 1.0]], &device));
    assert_eq!(styled.dims(), [1, 3, 16, 16]);
}

#[test]
fn adding_a_style_trains_only_its_rows() {
    let device = Default::default();
    let base_config = MultiStyleConfig::new(2, [8, 8, 8], 1, [8, 4]);
    let base = base_config.init::<B>(&device);
    let data = |t: Tensor<B, 2>| -> Vec<f32> { t.into_data().to_vec().expect("f32") };
    let w = |block: &bevy_gan_style::nn::ConvBlock<B>| -> Vec<f32> {
        block.w.val().into_data().to_vec().expect("f32")
    };
    let (old_w, old_gamma) = (
        w(&base.contract[1]),
        data(base.contract[1].norm.gamma.val()),
    );
    let config = tiny_config("add_style", 1).with_adversarial(None);
    let mut trainer =
        StyleTrainer::<B>::add_styles(config, base, base_config, &device).expect("trainer");
    assert_eq!(trainer.config.frozen_styles, 2);
    let start = data(trainer.net.contract[1].norm.gamma.val());
    for _ in 0..3 {
        trainer.step().expect("step");
    }
    let block = &trainer.net.contract[1];
    let gamma = data(block.norm.gamma.val());
    assert_eq!(gamma.len(), 3 * 8);
    assert_eq!(&gamma[..16], &old_gamma[..], "base styles unchanged");
    assert_ne!(&gamma[16..], &start[16..], "new style trained");
    assert_eq!(w(block), old_w, "convolutions frozen");
}

#[test]
fn bad_training_input_is_a_clear_error() {
    let device = Default::default();
    let mut missing = tiny_config("bad_style", 1);
    missing.styles = vec!["no/such/painting.jpg".into()];
    let error = StyleTrainer::<B>::new(missing, &device)
        .err()
        .expect("missing style");
    assert!(error.to_string().contains("painting.jpg"), "{error}");
    let empty = root().join("target/test-output/bad_style/empty");
    std::fs::create_dir_all(&empty).expect("folder");
    let mut no_content = tiny_config("bad_style", 1);
    no_content.content = vec![empty.to_string_lossy().into_owned()];
    let error = StyleTrainer::<B>::new(no_content, &device)
        .err()
        .expect("no content");
    assert!(error.to_string().contains("no usable"), "{error}");
    let mut bad_vgg = tiny_config("bad_style", 1);
    bad_vgg.vgg = root()
        .join("assets/models/multistyle26.safetensors")
        .to_string_lossy()
        .into_owned();
    let error = StyleTrainer::<B>::new(bad_vgg, &device)
        .err()
        .expect("not VGG");
    assert!(matches!(error, TrainError::Weights { .. }), "{error}");
}

/// A trainer whose loss turns NaN once, at iteration 5: the run restores the
/// last checkpoint, halves the learning rate and goes on.
struct FlakyTrainer {
    iteration: u64,
    lr_scale: f64,
    failed: bool,
}

impl Trainer for FlakyTrainer {
    fn columns(&self) -> &'static [Column] {
        &[Column {
            name: "loss",
            plot: true,
        }]
    }
    fn iteration(&self) -> u64 {
        self.iteration
    }
    fn step(&mut self) -> Result<Vec<f32>, TrainError> {
        self.iteration += 1;
        if self.iteration == 5 && !self.failed {
            self.failed = true;
            return Ok(vec![f32::NAN]);
        }
        Ok(vec![1.0 / self.iteration as f32])
    }
    fn save_checkpoint(&self, _: &Path) -> Result<(), TrainError> {
        Ok(())
    }
    fn restore(&mut self, _: &Path) -> Result<(), TrainError> {
        self.iteration = 3;
        Ok(())
    }
    fn learning_rate_scale(&self) -> f64 {
        self.lr_scale
    }
    fn set_learning_rate_scale(&mut self, scale: f64) {
        self.lr_scale = scale;
    }
    fn sample_sheet(&mut self, _: &Path) -> Result<(), TrainError> {
        Ok(())
    }
}

#[test]
fn a_nan_restores_the_checkpoint_and_lowers_the_learning_rate() {
    let out = root().join("target/test-output/nan_guard");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.join("checkpoint")).expect("folder");
    std::fs::write(out.join("checkpoint/state.ron"), "").expect("marker");
    let trainer = FlakyTrainer {
        iteration: 0,
        lr_scale: 1.0,
        failed: false,
    };
    let mut run = TrainingRun::new(trainer, &out, 3).expect("run");
    let mut events = Vec::new();
    run.run(8, |event| events.push(event.clone()))
        .expect("recovers");
    assert!(events.contains(&RunEvent::Recovered {
        failed: 5,
        restored: 3,
        learning_rate_scale: 0.5
    }));
    let iterations: Vec<u64> = run.history().iter().map(|row| row.iteration).collect();
    assert_eq!(
        iterations,
        [1, 2, 3, 4, 5, 6, 7, 8],
        "rows after 3 were redone"
    );
    assert_eq!(run.trainer.learning_rate_scale(), 0.5);
}

#[test]
fn the_frame_generator_writes_decodable_frames() {
    assert!(
        bevy_gan_style::device::gpu_adapter_available(crate::headless::BACKENDS),
        "no GPU adapter found: install software Vulkan (apt-get install -y mesa-vulkan-drivers libvulkan1)"
    );
    let dir = root().join("target/test-output/frames");
    let _ = std::fs::remove_dir_all(&dir);
    let mut app = crate::headless::headless_app(true);
    app.add_plugins((RandomScenesPlugin, FrameCapturePlugin))
        .insert_resource(RandomScenes {
            frames_per_scene: 2,
            textures: vec![root().join("assets/images/content/coffee.png")],
            seed: 5,
        });
    crate::headless::finish_setup(&mut app);
    let target = app
        .world_mut()
        .resource_mut::<Assets<Image>>()
        .add(frame_target(64, 48));
    app.world_mut().spawn((
        Camera3d::default(),
        RenderTarget::Image(target.into()),
        SceneCamera,
        CaptureFrames::new(&dir, 5),
    ));
    for _ in 0..60 {
        app.update();
        if app.world().resource::<FramesSaved>().paths.len() == 5 {
            break;
        }
    }
    let saved = app.world().resource::<FramesSaved>();
    assert!(saved.errors.is_empty(), "{:?}", saved.errors);
    assert_eq!(saved.paths.len(), 5, "frames written");
    let frames: Vec<image::RgbImage> = saved
        .paths
        .iter()
        .map(|path| image::open(path).expect("decodable PNG").to_rgb8())
        .collect();
    for frame in &frames {
        assert_eq!(frame.dimensions(), (64, 48));
        let (lo, hi) = frame
            .pixels()
            .fold((255u8, 0u8), |(lo, hi), p| (lo.min(p.0[1]), hi.max(p.0[1])));
        assert!(hi - lo > 40, "a scene, not a blank frame ({lo}..{hi})");
    }
    assert_ne!(frames[0], frames[4], "scenes and camera change");
}

#[test]
fn shipped_trained_styles_load_and_differ() {
    let device = Default::default();
    let model = StyleModel::load_file(root().join("assets/models/starry_wave.style.ron"))
        .expect("shipped trained model");
    assert_eq!(model.card().styles, ["starry_night", "great_wave_hokusai"]);
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let photo = image::open(root().join("assets/images/chelsea_256x168.png")).expect("photo");
    let input = bevy_gan_style::bridge::image_to_tensor::<CpuBackend>(
        &photo.to_rgba8(),
        (0.0, 1.0),
        &device,
    );
    let stylize = |style| -> Vec<f32> {
        let code = model
            .style_tensor(&StyleWeights::single(style), &device)
            .expect("style");
        net.forward(input.clone(), code)
            .into_data()
            .to_vec()
            .expect("f32")
    };
    let (a, b) = (stylize(0), stylize(1));
    let input: Vec<f32> = input.into_data().to_vec().expect("f32");
    let mean_diff = |x: &[f32], y: &[f32]| {
        x.iter().zip(y).map(|(p, q)| (p - q).abs()).sum::<f32>() / x.len() as f32
    };
    println!(
        "starry_wave: styles differ by {:.3}, each from the photo by {:.3} / {:.3}",
        mean_diff(&a, &b),
        mean_diff(&a, &input),
        mean_diff(&b, &input)
    );
    assert!(mean_diff(&a, &b) > 0.05, "the two styles look alike");
}
