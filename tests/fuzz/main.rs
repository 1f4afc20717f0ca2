//! Malformed inputs, generated from a fixed seed, fed through every door a
//! user's file comes in by: model cards and weights through
//! `CardModel::load_file` and the `AssetServer`, images through the crate's
//! image reader, the style predictor's preparation and the training image
//! sets, style selections through their parser. Each must end in an error
//! or a sane success: no panic, no abort, no allocation of gigabytes (this
//! binary runs alone, so its peak memory is the fuzzing's own).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use bevy::asset::LoadState;
use bevy::prelude::*;
use bevy_gan_style::bridge::open_image;
use bevy_gan_style::model::{CardModel, style_image_input};
use bevy_gan_style::nn::{Draw, SplitMix64};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::ImageSet;

mod cli;
#[path = "../common/example_binary.rs"]
mod example_binary;
mod images;
mod mutate;

use mutate::{mutate_safetensors, mutate_text};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// How the cases of each kind ended.
#[derive(Default)]
struct Tally(BTreeMap<(String, String), usize>);

impl Tally {
    fn add(&mut self, kind: &str, outcome: String) {
        *self.0.entry((kind.to_string(), outcome)).or_default() += 1;
    }

    fn count(&self, kind: &str) -> usize {
        self.0
            .iter()
            .filter(|((k, _), _)| k == kind)
            .map(|(_, n)| n)
            .sum()
    }

    fn print(&self) {
        let mut kind = "";
        for ((k, outcome), n) in &self.0 {
            if k != kind {
                println!("{k}: {} cases", self.count(k));
                kind = k;
            }
            println!("    {n:>4}  {outcome}");
        }
    }
}

/// The kind of an outcome: an error message without what names the case
/// (paths, quoted input, positions), cut to its first words.
fn outcome<T, E: std::fmt::Display>(result: &Result<T, E>) -> String {
    let Err(error) = result else {
        return "loaded".into();
    };
    let mut unquoted = String::new();
    for (i, part) in error.to_string().split('`').enumerate() {
        unquoted.push_str(if i % 2 == 0 { part } else { "…" });
    }
    let words: Vec<&str> = unquoted
        .split_whitespace()
        .filter(|w| !w.contains('/') && !w.starts_with(|c: char| c.is_ascii_digit()))
        .take(9)
        .collect();
    format!("error: {}", words.join(" "))
}

/// Runs `case`, turning a panic into a failure naming the case.
fn guarded<T>(what: &str, panics: &mut Vec<String>, case: impl FnOnce() -> T) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(case)) {
        Ok(value) => Some(value),
        Err(_) => {
            panics.push(what.to_string());
            None
        }
    }
}

/// Peak resident memory of this process, MiB (Linux).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// A model case: a folder with a card and the weights it names.
struct ModelCase {
    kind: &'static str,
    dir: PathBuf,
    card: String,
    texture: bool,
}

/// Writes a case folder: `card_name` with `card`, `weights_name` with
/// `weights`.
fn write_case(dir: &Path, card_name: &str, card: &[u8], weights_name: &str, weights: &[u8]) {
    std::fs::create_dir_all(dir).expect("case folder");
    std::fs::write(dir.join(card_name), card).expect("card");
    std::fs::write(dir.join(weights_name), weights).expect("weights");
}

/// Style and texture cards mutated as text, and weights mutated as bytes.
fn model_cases(scratch: &Path, rng: &mut SplitMix64) -> Vec<ModelCase> {
    let bases = [
        ("multistyle26_lite", false, 80),
        ("ml5_wave_lite", false, 60),
        ("magenta_arbitrary", false, 30),
        ("water_caustics", true, 60),
        ("ink_clouds", true, 40),
    ];
    let mut cases = Vec::new();
    for (name, texture, count) in bases {
        let folder = if texture { "textures" } else { "models" };
        let extension = if texture { "texture.ron" } else { "style.ron" };
        let card =
            std::fs::read_to_string(root().join(format!("assets/{folder}/{name}.{extension}")))
                .expect("shipped card");
        let weights = std::fs::read(root().join(format!("assets/{folder}/{name}.safetensors")))
            .expect("shipped weights");
        let card_name = format!("model.{extension}");
        let weights_name = format!("{name}.safetensors");
        // Cards: the shipped weights beside a mutated card.
        for i in 0..count {
            let dir = scratch.join(format!("{name}_card_{i}"));
            let mutated = mutate_text(&card, rng);
            write_case(&dir, &card_name, &mutated, &weights_name, &weights);
            cases.push(ModelCase {
                kind: if texture {
                    "texture card"
                } else {
                    "style card"
                },
                dir,
                card: card_name.clone(),
                texture,
            });
        }
        // Weights: the shipped card beside mutated weights (the small models).
        if name != "magenta_arbitrary" {
            for i in 0..count {
                let dir = scratch.join(format!("{name}_weights_{i}"));
                let mutated = mutate_safetensors(&weights, rng);
                write_case(&dir, &card_name, card.as_bytes(), &weights_name, &mutated);
                cases.push(ModelCase {
                    kind: "safetensors",
                    dir,
                    card: card_name.clone(),
                    texture,
                });
            }
        }
    }
    cases
}

/// Loads every case's card with one asset server; the outcome per case.
fn asset_server_outcomes(scratch: &Path, cases: &[ModelCase]) -> Vec<String> {
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: scratch.to_string_lossy().into_owned(),
            ..default()
        },
        GanStylePlugin,
    ));
    app.finish();
    app.cleanup();
    let server = app.world().resource::<AssetServer>().clone();
    let handles: Vec<UntypedHandle> = cases
        .iter()
        .map(|case| {
            let dir = case.dir.file_name().expect("case folder").to_string_lossy();
            let path = format!("{dir}/{}", case.card);
            if case.texture {
                server.load::<TextureModel>(path).untyped()
            } else {
                server.load::<StyleModel>(path).untyped()
            }
        })
        .collect();
    let mut outcomes = vec![None; cases.len()];
    for _ in 0..20_000 {
        app.update();
        for (handle, outcome) in handles.iter().zip(&mut outcomes) {
            if outcome.is_some() {
                continue;
            }
            *outcome = match server.load_state(handle.id()) {
                LoadState::Failed(error) => Some(Err(error.to_string())),
                LoadState::Loaded => Some(Ok(())),
                _ => None,
            };
        }
        if outcomes.iter().all(Option::is_some) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    outcomes
        .into_iter()
        .map(|o| match o {
            Some(result) => outcome(&result),
            None => "unfinished".into(),
        })
        .collect()
}

#[test]
fn malformed_inputs_end_in_errors_not_panics() {
    let scratch = std::env::temp_dir().join(format!("gan_style_fuzz_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch");
    let mut rng = SplitMix64::seeded(2026);
    let mut tally = Tally::default();
    let mut panics = Vec::new();

    // Model cards and weights, from the file system and the asset server.
    let cases = model_cases(&scratch, &mut rng);
    let mut file_outcomes = Vec::new();
    for case in &cases {
        let path = case.dir.join(&case.card);
        let what = format!("{} {}", case.kind, path.display());
        let result = guarded(&what, &mut panics, || {
            if case.texture {
                outcome(&TextureModel::load_file(&path))
            } else {
                outcome(&StyleModel::load_file(&path))
            }
        });
        file_outcomes.push(result.unwrap_or_else(|| "PANIC".into()));
    }
    let server_outcomes = asset_server_outcomes(&scratch, &cases);
    for ((case, file), server) in cases.iter().zip(&file_outcomes).zip(&server_outcomes) {
        tally.add(case.kind, file.clone());
        let agree = (file == "loaded") == (server == "loaded");
        assert!(
            agree && server != "unfinished",
            "{}: load_file {file}, asset server {server}",
            case.dir.display()
        );
    }
    println!("peak memory after the models: {:.0} MiB", peak_rss_mib());

    // Images: the reader, the style predictor's preparation, training sets.
    for (i, (label, bytes)) in images::cases(&mut rng).into_iter().enumerate() {
        let path = scratch.join(format!("image_{i}.{}", label.extension));
        std::fs::write(&path, &bytes).expect("image");
        let what = format!("image {} ({})", path.display(), label.name);
        let result = guarded(&what, &mut panics, || {
            let image = open_image(&path);
            if let Ok(image) = &image {
                let prepared = style_image_input(image);
                assert_eq!(prepared.dimensions(), (256, 256));
                let _ = ImageSet::load(std::slice::from_ref(&path), 1.0, 8);
                let _ = ImageSet::load_short_side(std::slice::from_ref(&path), 64);
            }
            outcome(&image)
        });
        tally.add("image", result.unwrap_or_else(|| "PANIC".into()));
    }
    println!("peak memory after the images: {:.0} MiB", peak_rss_mib());

    // Style selections.
    let model = StyleModel::load_file(root().join("assets/models/multistyle26_lite.style.ron"))
        .expect("shipped model");
    for spec in mutate::style_specs(&mut rng, 120) {
        let result = guarded(&format!("style `{spec}`"), &mut panics, || {
            spec.parse::<StyleWeights>()
                .map(|weights| model.style_tensor::<CpuBackend>(&weights, &Default::default()))
        });
        let kind = match &result {
            None => "PANIC".to_string(),
            Some(Err(error)) => outcome::<(), _>(&Err(error)),
            Some(Ok(selected)) => outcome(selected),
        };
        tally.add("style selection", kind);
    }

    tally.print();
    let peak = peak_rss_mib();
    println!("peak memory: {peak:.0} MiB");
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(panics.is_empty(), "panics: {panics:#?}");
    let total: usize = tally.0.values().sum();
    assert!(total >= 500, "{total} cases");
    assert!(peak < 2048.0, "peak memory {peak:.0} MiB");
}
