//! Evaluate texture models against their exemplars: SIFID, FID and KID on
//! VGG16 features, diversity between seeds next to the exemplar crops' own,
//! Gram distance, seam ratio and generation time; writes a Markdown report
//! with a picture grid per model.
//!
//! ```text
//! cargo run --release --example eval_texture -- --models assets/textures/*.texture.ron
//! ```
//!
//! Each model is judged at the scale it was trained at (its card's
//! `exemplar_scale`) against all its exemplars, looked up in `--exemplars`
//! (crops come from each in turn; SIFID and Gram take the nearest).
//! FID and KID compare global-average-pooled VGG16 relu4_3 and relu5_3
//! features of the `--seeds` samples with those of as many random exemplar
//! crops: Inception weights cannot be shipped, so by default these are VGG
//! FIDs, comparable between the models here, not with published figures.
//! `--inception inception_v3_google-0cc3c7bd.pth` (torchvision's state
//! dict) puts FID and KID on Inception-v3's 2048 pool features instead
//! (samples resized to 299²); the report says which. Everything runs on the
//! CPU backend.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bevy::prelude::*;
use bevy_gan_style::bridge::tensor_to_image;
use bevy_gan_style::eval::{Seam, TextureJudge, TextureScores};
use bevy_gan_style::model::{save_image, write_atomic};
use bevy_gan_style::nn::{InceptionV3, TEXTURE_RANGE};
use bevy_gan_style::prelude::*;
use bevy_gan_style::texture::generate;
use bevy_gan_style::train::ImageSet;
use burn::prelude::*;
use clap::Parser;
use image::{Rgb, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
struct Args {
    /// Texture models (`.texture.ron`).
    #[arg(long, num_args = 1.., required = true)]
    models: Vec<PathBuf>,
    /// Folder holding the models' exemplars (by the file names on their
    /// cards).
    #[arg(long, default_value = "assets/textures/exemplars")]
    exemplars: PathBuf,
    /// Samples per model (seeds 1…N), and as many exemplar crops.
    #[arg(long, default_value_t = 16)]
    seeds: usize,
    /// Side of the samples and crops, at most: a model is judged at the
    /// largest multiple of its cell up to this and up to ¾ of its scaled
    /// exemplar's short side (so that crops differ).
    #[arg(long, default_value_t = 128)]
    size: usize,
    /// Seed of the exemplar crops.
    #[arg(long, default_value_t = 1)]
    crop_seed: u64,
    /// Output folder (`report.md`, `grid-<model>.png`).
    #[arg(long, default_value = "out/eval_texture")]
    out: PathBuf,
    /// VGG16 weights.
    #[arg(long, default_value = "assets/training/vgg16_features.safetensors")]
    vgg: PathBuf,
    /// LPIPS heads.
    #[arg(long, default_value = "assets/training/lpips_vgg_lin.safetensors")]
    lpips: PathBuf,
    /// torchvision's Inception-v3 weights (`.pth` state dict, or
    /// safetensors under the same names): FID and KID on its pool features
    /// instead of VGG16's.
    #[arg(long)]
    inception: Option<PathBuf>,
}

/// One model's results.
struct Row {
    name: String,
    size: usize,
    scores: TextureScores,
    seam: f64,
    ms: f64,
    grid: String,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match evaluate(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn evaluate(args: &Args) -> Result<(), Box<dyn Error>> {
    if args.seeds < 2 {
        return Err("--seeds must be at least 2 (diversity and KID compare pairs)".into());
    }
    std::fs::create_dir_all(&args.out)?;
    let device = Default::default();
    let mut judge = TextureJudge::<CpuBackend>::load(&args.vgg, &args.lpips, &device)?;
    if let Some(path) = &args.inception {
        judge = judge.with_inception(InceptionV3::load(path, &device)?);
    }
    let spaces = judge.pooled_names();
    println!("FID and KID on {}", spaces.join(" and "));
    let bar = ProgressBar::new(args.models.len() as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:32} {pos}/{len} models · {elapsed} · {msg}",
    )?);
    let mut rows = Vec::new();
    for path in &args.models {
        bar.set_message(path.display().to_string());
        let row = evaluate_model(args, &judge, path)?;
        // Not `bar.println`: a hidden bar (output not a terminal) drops it.
        bar.suspend(|| println!("{}", line(&row, spaces)));
        rows.push(row);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let report = report(args, &rows, spaces);
    let path = args.out.join("report.md");
    write_atomic(&path, report.as_bytes())?;
    println!("report: {}", path.display());
    Ok(())
}

fn evaluate_model(
    args: &Args,
    judge: &TextureJudge<CpuBackend>,
    path: &Path,
) -> Result<Row, Box<dyn Error>> {
    let device = &Default::default();
    let model = TextureModel::load_file(path)?;
    let card = model.card();
    if card.exemplars.is_empty() {
        return Err(format!("{}: the card names no exemplar", path.display()).into());
    }
    let cell = card.generator.scale();
    let paths: Vec<PathBuf> = card
        .exemplars
        .iter()
        .map(|e| args.exemplars.join(e))
        .collect();
    let exemplars = ImageSet::load(&paths, card.exemplar_scale, cell)?;
    let size = args.size.min(3 * exemplars.min_side() / 4) / cell * cell;
    model.latent_size(size as u32, size as u32)?;
    let exemplars: Vec<_> = (0..exemplars.len())
        .map(|i| exemplars.image::<CpuBackend>(i, device))
        .collect();
    let reference = judge.reference(&exemplars, size, args.seeds, args.crop_seed);

    let net = model.build::<CpuBackend>(device)?;
    let params = |seed: u64, tileable: bool| TextureParams {
        size: UVec2::splat(size as u32),
        seed,
        tileable,
        ..default()
    };
    let to_unit = |t: Tensor<CpuBackend, 4>| {
        t.sub_scalar(TEXTURE_RANGE.0)
            .div_scalar(TEXTURE_RANGE.1 - TEXTURE_RANGE.0)
            .clamp(0.0, 1.0)
    };
    // One run first, so that the timing leaves out first-call set-up.
    generate(&net, &card.generator, &params(0, false)).into_data();
    let start = Instant::now();
    let samples: Vec<Tensor<CpuBackend, 4>> = (1..=args.seeds as u64)
        .map(|seed| {
            let sample = generate(&net, &card.generator, &params(seed, false));
            // Reading back waits for the work, so the time is the whole job.
            Tensor::from_data(sample.into_data(), device)
        })
        .collect();
    let ms = start.elapsed().as_secs_f64() * 1e3 / args.seeds as f64;
    let samples = to_unit(Tensor::cat(samples, 0));
    let scores = judge.judge(samples.clone(), &reference);

    let (mut wrap, mut interior) = (0.0, 0.0);
    let mut tile = None;
    for seed in 1..=args.seeds as u64 {
        let texture = generate(&net, &card.generator, &params(seed, true));
        let pixels: Vec<f32> = texture.clone().into_data().to_vec()?;
        let seam = Seam::measure(&pixels, size, size);
        wrap += seam.wrap;
        interior += seam.interior;
        tile.get_or_insert(texture);
    }
    let seam = wrap / interior.max(f64::MIN_POSITIVE);

    let grid = format!("grid-{}.png", card.name);
    let sheet = picture_grid(&samples, tile.map(to_unit), &reference.crops, size);
    save_image(&sheet.into(), &args.out.join(&grid))?;
    Ok(Row {
        name: card.name.clone(),
        size,
        scores,
        seam,
        ms,
        grid,
    })
}

/// Four samples; a 2×2 tiling of the first seed generated tileable; two
/// exemplar crops.
fn picture_grid(
    samples: &Tensor<CpuBackend, 4>,
    tile: Option<Tensor<CpuBackend, 4>>,
    crops: &Tensor<CpuBackend, 4>,
    size: usize,
) -> RgbImage {
    let s = size as u32;
    let gap = 8;
    let [n, ..] = samples.dims();
    let [crop_count, _, crop, _] = crops.dims();
    let shown = n.min(4) as u32;
    let width = shown * (s + gap) + 2 * s + gap + 2 * (crop as u32 + gap);
    let mut sheet = RgbImage::from_pixel(width, 2 * s, Rgb([255, 255, 255]));
    let paste = |sheet: &mut RgbImage, t: Tensor<CpuBackend, 4>, x: u32, y: u32| {
        image::imageops::replace(sheet, &tensor_to_image(t, (0.0, 1.0)), x as i64, y as i64);
    };
    for i in 0..shown as usize {
        let (x, y) = ((i as u32 / 2) * (s + gap), (i as u32 % 2) * s);
        paste(&mut sheet, samples.clone().narrow(0, i, 1), x, y);
    }
    let mut x = shown.div_ceil(2) * (s + gap);
    if let Some(tile) = tile {
        for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            paste(&mut sheet, tile.clone(), x + dx * s, dy * s);
        }
        x += 2 * s + gap;
    }
    for i in 0..crop_count.min(2) {
        paste(&mut sheet, crops.clone().narrow(0, i, 1), x, i as u32 * s);
    }
    let used = x + crop as u32;
    image::imageops::crop_imm(&sheet, 0, 0, used, 2 * s).to_image()
}

/// The table's columns after model and size: heading and value.
fn columns(row: &Row, spaces: &[&str]) -> Vec<(String, String)> {
    let s = &row.scores;
    let mut columns = vec![("SIFID (relu2_2)".to_string(), format!("{:.3}", s.sifid))];
    for (space, kid) in spaces.iter().zip(&s.kid) {
        columns.push((format!("KID {space}"), format!("{kid:.4}")));
    }
    for (space, fid) in spaces.iter().zip(&s.fid) {
        columns.push((format!("FID {space}"), format!("{fid:.1}")));
    }
    let rest = [
        ("diversity", format!("{:.3}", s.diversity)),
        ("crops' diversity", format!("{:.3}", s.exemplar_diversity)),
        ("ratio", format!("{:.2}", s.diversity_ratio())),
        ("Gram", format!("{:.2e}", s.gram)),
        ("seam", format!("{:.2}", row.seam)),
        ("ms", format!("{:.1}", row.ms)),
    ];
    columns.extend(rest.map(|(h, v)| (h.to_string(), v)));
    columns
}

/// One model's results as a console line.
fn line(row: &Row, spaces: &[&str]) -> String {
    let mut line = format!("{:<20} {:>3}²", row.name, row.size);
    for (heading, value) in columns(row, spaces) {
        let _ = write!(line, "  {heading} {value}");
    }
    line
}

fn report(args: &Args, rows: &[Row], spaces: &[&str]) -> String {
    let mut md = String::from("# Texture evaluation\n\n");
    let _ = writeln!(
        md,
        "{} samples per model (seeds 1–{}) against as many random crops of its exemplar \
         at the trained scale, of the size in the table (at most {}², at most ¾ of the \
         scaled exemplar); FID and KID on {}; CPU backend.\n",
        args.seeds,
        args.seeds,
        args.size,
        spaces.join(" and ")
    );
    let cells = |row: &Row, value: bool| -> Vec<String> {
        let pick = |(h, v): (String, String)| if value { v } else { h };
        columns(row, spaces).into_iter().map(pick).collect()
    };
    let headings = rows
        .first()
        .map(|row| cells(row, false))
        .unwrap_or_default();
    let _ = writeln!(
        md,
        "| model | size | {} |\n|---|---|{}",
        headings.join(" | "),
        "---|".repeat(headings.len())
    );
    for row in rows {
        let values = cells(row, true).join(" | ");
        let _ = writeln!(md, "| {} | {}² | {values} |", row.name, row.size);
    }
    md.push_str(
        "\nSIFID: Fréchet distance between the relu2_2 features at every position of a \
         sample and of the whole exemplar, averaged over samples. FID / KID: between the \
         global-average-pooled features of the samples and of the crops (KID: unbiased, \
         cubic kernel; can be slightly negative for matching sets). Diversity: mean \
         pairwise LPIPS-VGG; ratio = samples' / crops' (below ½ suggests mode collapse). \
         Gram: style distance to the exemplar. Seam: mean difference across the \
         wrap-around of tileable samples over that between interior neighbours (1 is \
         seamless).\n\n",
    );
    for row in rows {
        let _ = writeln!(
            md,
            "## {}\n\nFour samples · a tileable sample tiled 2×2 · two exemplar crops\n\n![{}]({})\n",
            row.name, row.name, row.grid
        );
    }
    md
}
