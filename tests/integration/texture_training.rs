//! Training texture GANs (feature `train`).

use bevy_gan_style::eval::TextureJudge;
use bevy_gan_style::nn::PsganConfig;
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{
    AdversarialLoss, PatchDiscriminatorConfig, RunEvent, TextureTrainConfig, TextureTrainer,
    Trainer, TrainingRun,
};
use burn::backend::Autodiff;

use crate::util::root;

#[test]
fn a_short_training_run_reports_and_resumes() {
    let out = root().join("target/test-output/train_texture");
    let _ = std::fs::remove_dir_all(&out);
    let exemplar = vec![root().join("assets/images/chelsea_256x168.png")];
    let config = TextureTrainConfig::new(
        PsganConfig::new(vec![8, 8]),
        PatchDiscriminatorConfig::new(vec![8, 16]),
    )
    .with_size(16)
    .with_batch(2)
    .with_exemplar_scale(0.25);
    type B = Autodiff<CpuBackend>;
    let device = Default::default();
    let trainer = TextureTrainer::<B>::new(config, &exemplar, &device).expect("start");
    let mut run = TrainingRun::new(trainer, &out, 10).expect("run");
    let mut seen = Vec::new();
    run.run(20, |event| seen.extend(iteration(event)))
        .expect("train");
    assert_eq!(seen, (1..=20).collect::<Vec<_>>());
    for file in [
        "losses.csv",
        "losses.png",
        "samples-000010.png",
        "samples-000020.png",
        "checkpoint/state.ron",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let csv = std::fs::read_to_string(out.join("losses.csv")).expect("csv");
    assert_eq!(csv.lines().count(), 21, "header + 20 rows");
    assert!(
        run.history()
            .iter()
            .all(|row| row.values.iter().all(|v| v.is_finite()))
    );

    let trainer =
        TextureTrainer::<B>::resume(&out.join("checkpoint"), &exemplar, &device).expect("resume");
    assert_eq!(trainer.iteration(), 20);
    let mut resumed = TrainingRun::new(trainer, &out, 10).expect("run");
    let mut next = Vec::new();
    resumed
        .run(25, |event| next.extend(iteration(event)))
        .expect("train on");
    assert_eq!(next, (21..=25).collect::<Vec<_>>());
    let csv = std::fs::read_to_string(out.join("losses.csv")).expect("csv");
    assert_eq!(
        csv.lines().count(),
        26,
        "the resumed run appends to the history"
    );
}

#[test]
fn bad_texture_models_and_exemplars_are_clear_errors() {
    let dir = root().join("target/test-output/bad_texture");
    std::fs::create_dir_all(&dir).expect("folder");
    let shipped = root().join("assets/textures");
    std::fs::copy(
        shipped.join("water_caustics.safetensors"),
        dir.join("caustics.safetensors"),
    )
    .expect("copy weights");
    let card = std::fs::read_to_string(shipped.join("water_caustics.texture.ron"))
        .expect("card")
        .replace("water_caustics.safetensors", "caustics.safetensors");
    // Widths that do not match the weights.
    std::fs::write(dir.join("wide.texture.ron"), card.replacen("64,", "48,", 1)).expect("write");
    let error = TextureModel::load_file(dir.join("wide.texture.ron")).expect_err("wrong width");
    println!("{error}");
    assert!(error.to_string().contains("stages.0.w"), "{error}");
    // A typo in a field name.
    std::fs::write(
        dir.join("typo.texture.ron"),
        card.replace("weights:", "wieghts:"),
    )
    .expect("write");
    let error = TextureModel::load_file(dir.join("typo.texture.ron")).expect_err("typo");
    assert!(error.to_string().contains("wieghts"), "{error}");

    let config = TextureTrainConfig::new(
        PsganConfig::new(vec![8, 8]),
        PatchDiscriminatorConfig::new(vec![8]),
    )
    .with_size(512);
    type B = Autodiff<CpuBackend>;
    let exemplar = vec![root().join("assets/images/chelsea_256x168.png")];
    let error = TextureTrainer::<B>::new(config.clone(), &exemplar, &Default::default())
        .err()
        .expect("exemplar smaller than the crops");
    assert!(
        error
            .to_string()
            .contains("smaller than the 512-pixel crops"),
        "{error}"
    );
    let missing = vec![dir.join("nope.png")];
    let error = TextureTrainer::<B>::new(config.with_size(16), &missing, &Default::default())
        .err()
        .expect("missing exemplar");
    assert!(error.to_string().contains("nope.png"), "{error}");
    let error = TextureTrainer::<B>::resume(&dir.join("no-run"), &exemplar, &Default::default())
        .err()
        .expect("no checkpoint");
    assert!(error.to_string().contains("state.ron"), "{error}");
}

/// The iteration of a step event.
fn iteration(event: &RunEvent) -> Option<u64> {
    match event {
        RunEvent::Step(row) => Some(row.iteration),
        RunEvent::Recovered { .. } | RunEvent::Warning { .. } => None,
    }
}

#[test]
fn a_wgan_run_with_spectral_norm_penalty_and_monitors_resumes_its_state() {
    let out = root().join("target/test-output/train_texture_wgan");
    let _ = std::fs::remove_dir_all(&out);
    let exemplar = vec![root().join("assets/images/chelsea_256x168.png")];
    let config = TextureTrainConfig::new(
        PsganConfig::new(vec![8, 8]),
        PatchDiscriminatorConfig::new(vec![8, 16]).with_spectral_norm(true),
    )
    .with_size(16)
    .with_batch(2)
    .with_exemplar_scale(0.25)
    .with_loss(AdversarialLoss::Wgan)
    .with_lipschitz_penalty(10.0);
    type B = Autodiff<CpuBackend>;
    let device = Default::default();
    let mut trainer = TextureTrainer::<B>::new(config, &exemplar, &device).expect("start");
    let judge = TextureJudge::load(
        &root().join("assets/training/vgg16_features.safetensors"),
        &root().join("assets/training/lpips_vgg_lin.safetensors"),
        &device,
    )
    .expect("shipped weights");
    // An untrained generator is far less diverse than photo crops; a
    // fraction of 10 makes sure the warning comes, and only once.
    let yardstick = trainer.monitor(judge, 3, 10.0);
    assert!(yardstick > 0.0);
    let mut run = TrainingRun::new(trainer, &out, 10).expect("run");
    let mut warnings = Vec::new();
    run.run(20, |event| {
        if let RunEvent::Warning { iteration, message } = event {
            warnings.push((*iteration, message.clone()));
        }
    })
    .expect("train");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, 10);
    assert!(warnings[0].1.contains("collapsing"), "{}", warnings[0].1);

    let csv = std::fs::read_to_string(out.join("losses.csv")).expect("csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "iteration,loss_d,loss_g,real_logit,fake_logit,sifid,diversity"
    );
    // Monitors at the reports (10, 20), empty fields in between.
    for line in &lines[1..] {
        let fields: Vec<&str> = line.split(',').collect();
        let report = fields[0] == "10" || fields[0] == "20";
        assert_eq!(fields.len(), 7, "{line}");
        assert_eq!(
            !fields[5].is_empty() && !fields[6].is_empty(),
            report,
            "{line}"
        );
    }
    let curve = image::open(out.join("losses.png")).expect("curve");
    assert!(curve.height() > 360, "monitor panels below the losses");

    // The spectral norms' power-iteration state is in the checkpoint.
    let u = |t: &TextureTrainer<B>| -> Vec<Vec<f32>> {
        t.discriminator
            .spectral
            .iter()
            .map(|norm| norm.u.val().into_data().to_vec().expect("f32"))
            .collect()
    };
    assert_eq!(run.trainer.discriminator.spectral.len(), 3);
    let saved = u(&run.trainer);
    let resumed =
        TextureTrainer::<B>::resume(&out.join("checkpoint"), &exemplar, &device).expect("resume");
    assert_eq!(resumed.config.loss, AdversarialLoss::Wgan);
    assert_eq!(u(&resumed), saved);
    // Resumed runs read back the monitor columns' empty fields.
    let mut resumed = TrainingRun::new(resumed, &out, 10).expect("run");
    resumed.run(21, |_| ()).expect("train on");
    assert_eq!(resumed.history().len(), 21);
}
