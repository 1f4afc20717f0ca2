//! Training texture GANs (feature `train`).

use bevy_gan_style::nn::PsganConfig;
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{
    PatchDiscriminatorConfig, RunEvent, TextureTrainConfig, TextureTrainer, Trainer, TrainingRun,
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
        RunEvent::Recovered { .. } => None,
    }
}
