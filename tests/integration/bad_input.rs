//! Bad model files give clear errors — through the asset server and through
//! `StyleModel::load_file` — and never a panic.

use std::path::{Path, PathBuf};

use bevy::asset::LoadState;
use bevy::prelude::*;
use bevy_gan_style::prelude::*;
use safetensors::tensor::TensorView;

use crate::util::root;

const CARD: &str = include_str!("../../assets/models/multistyle26.style.ron");

/// A scratch folder holding a card and a weights file.
fn scratch(name: &str, card: &str, weights: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gan_style_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("model.style.ron"), card).expect("write card");
    std::fs::write(dir.join("multistyle26.safetensors"), weights).expect("write weights");
    dir
}

fn real_weights() -> Vec<u8> {
    std::fs::read(root().join("assets/models/multistyle26.safetensors")).expect("bundled weights")
}

/// The real weights with `res.0.0.w` stored as `[32, 32, 1, 1]`.
fn wrong_shape_weights() -> Vec<u8> {
    let bytes = real_weights();
    let file = safetensors::SafeTensors::deserialize(&bytes).expect("valid");
    let small = vec![0u8; 32 * 32 * 4];
    let tensors: Vec<(String, TensorView)> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            if name == "res.0.0.w" {
                let view = TensorView::new(safetensors::Dtype::F32, vec![32, 32, 1, 1], &small)
                    .expect("view");
                (name, view)
            } else {
                (name, view)
            }
        })
        .collect();
    safetensors::serialize(tensors, None).expect("serialize")
}

/// Loads `model.style.ron` from `dir` with the asset server and returns the
/// load error's message.
fn asset_server_error(dir: &Path) -> String {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.to_string_lossy().into_owned(),
            ..default()
        },
        GanStylePlugin,
    ));
    app.finish();
    app.cleanup();
    let handle: Handle<StyleModel> = app
        .world()
        .resource::<AssetServer>()
        .load("model.style.ron");
    for _ in 0..2000 {
        app.update();
        match app.world().resource::<AssetServer>().load_state(&handle) {
            LoadState::Failed(error) => return error.to_string(),
            LoadState::Loaded => panic!("bad model loaded"),
            _ => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    }
    panic!("load neither failed nor finished");
}

fn file_error(dir: &Path) -> String {
    StyleModel::load_file(dir.join("model.style.ron"))
        .expect_err("bad model loaded")
        .to_string()
}

#[test]
fn truncated_weights_are_an_error() {
    let weights = real_weights();
    let dir = scratch("truncated", CARD, &weights[..weights.len() / 2]);
    for message in [file_error(&dir), asset_server_error(&dir)] {
        assert!(
            message.contains("not a readable safetensors file"),
            "{message}"
        );
        assert!(message.contains("multistyle26.safetensors"), "{message}");
    }
}

#[test]
fn wrong_shape_is_an_error_naming_the_tensor() {
    let dir = scratch("shape", CARD, &wrong_shape_weights());
    for message in [file_error(&dir), asset_server_error(&dir)] {
        assert!(message.contains("res.0.0.w"), "{message}");
        assert!(
            message.contains("[32, 32, 1, 1]") && message.contains("[32, 32, 3, 3]"),
            "{message}"
        );
    }
}

#[test]
fn card_typo_is_an_error_naming_the_field() {
    let card = CARD.replace("weights:", "wieghts:");
    let dir = scratch("typo", &card, &real_weights());
    for message in [file_error(&dir), asset_server_error(&dir)] {
        assert!(message.contains("wieghts"), "{message}");
        assert!(message.contains("model.style.ron"), "{message}");
    }
}

#[test]
fn architecture_mismatch_and_missing_files_are_errors() {
    let card = CARD.replace("residual_blocks: 6", "residual_blocks: 7");
    let dir = scratch("blocks", &card, &real_weights());
    let message = file_error(&dir);
    assert!(message.contains("res.6."), "{message}");

    let missing =
        StyleModel::load_file(root().join("assets/models/nope.style.ron")).expect_err("missing");
    assert!(missing.to_string().contains("nope.style.ron"), "{missing}");
}

#[test]
fn bad_style_selection_is_an_error() {
    let model =
        StyleModel::load_file(root().join("assets/models/multistyle26.style.ron")).expect("model");
    let error = model
        .style_tensor::<CpuBackend>(&StyleWeights::single(26), &Default::default())
        .expect_err("out of range");
    assert!(error.to_string().contains("26 styles"), "{error}");
    assert!("12=x".parse::<StyleWeights>().is_err());
    // Weights that sum to zero select no style at all (a flat picture).
    let nothing = "0=0,3=0".parse::<StyleWeights>().expect("parses");
    let error = model
        .style_tensor::<CpuBackend>(&nothing, &Default::default())
        .expect_err("no style");
    assert!(error.to_string().contains("not all zero"), "{error}");
    let too_small = model.check_size(4, 100).expect_err("too small");
    assert!(too_small.to_string().contains("at least 8"), "{too_small}");
    assert!(model.check_size(250, 100).is_err());
}

#[test]
fn a_shape_that_does_not_restore_the_size_is_an_error() {
    let card = CARD.replace(
        "epsilon: 1e-5,",
        "epsilon: 1e-5,\n        shape: Some((contract_kernels: (9, 3, 3), contract_strides: (1, 2, 1), output_kernel: 9)),",
    );
    let dir = scratch("shape_strides", &card, &real_weights());
    for message in [file_error(&dir), asset_server_error(&dir)] {
        assert!(message.contains("reduce the size by 4"), "{message}");
        assert!(message.contains("model.style.ron"), "{message}");
    }
}

#[test]
fn weights_outside_the_asset_folder_or_not_files_are_refused_before_reading() {
    // A device that never ends, a folder: refused before any byte is read.
    for (name, weights) in [("zero", "/dev/zero"), ("folder", ".")] {
        let card = CARD.replace("\"multistyle26.safetensors\"", &format!("{weights:?}"));
        let dir = scratch(name, &card, &[]);
        let message = file_error(&dir);
        assert!(
            message.contains("not a regular file"),
            "{weights}: {message}"
        );
    }
    // A model pack may not make the game read files outside its asset folder.
    for weights in ["/dev/zero", "../../../../../../../../etc/hostname"] {
        let card = CARD.replace("\"multistyle26.safetensors\"", &format!("{weights:?}"));
        let dir = scratch("escape", &card, &[]);
        let message = asset_server_error(&dir);
        println!("{weights}: {message}");
        assert!(
            message.contains("leaves the asset folder") || message.contains("not found"),
            "{weights}: {message}"
        );
    }
}
