//! Evaluate style models on a folder of content images: content distance
//! (VGG16 relu3_3), Gram style distance to each style image (in all and per
//! VGG layer), SIFID to each style image (Fréchet distance between the
//! relu2_2 features at every position of output and painting), LPIPS-VGG to
//! the content, and speed; writes a Markdown report with an image grid and
//! feature maps of one example. FID and KID, which compare two sets of
//! images, do not apply: each style has a single painting.
//!
//! ```text
//! cargo run --release --example eval_style -- \
//!     --models assets/models/multistyle26.style.ron:0,7 assets/models/ml5_wave.style.ron \
//!     --content assets/images/content --styles assets/styles/great_wave_hokusai.jpg \
//!     --size 256 --out out/eval
//! ```
//!
//! A model may be followed by `:i,j,…` to pick its styles (default: all).
//! With `--teacher CARD[:i,j,…]`, each model's k-th evaluated style is also
//! compared with the teacher's k-th: how close a distilled student comes to
//! its teacher.
//! An arbitrary-style model (`magenta_arbitrary.style.ron`) is evaluated
//! once per `--styles` image, with that image as its style; `:i,j,…` then
//! picks among the `--styles` images. Everything runs on the CPU backend.

use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use bevy_gan_style::bridge::open_image;
use bevy_gan_style::eval::{
    Lpips, STYLE_LAYERS, content_distance, frechet_distance, position_features,
    style_layer_distances,
};
use bevy_gan_style::model::{save_image, write_atomic};
use bevy_gan_style::nn::{MacReport, Vgg16, VggTap};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::ImageSet;
use burn::prelude::*;
use clap::Parser;
use image::{Rgb, RgbImage};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
struct Args {
    /// Style models (`.style.ron`), each optionally `:i,j,…` for its styles.
    #[arg(long, num_args = 1..)]
    models: Vec<String>,
    /// Folder of content images (searched recursively).
    #[arg(long)]
    content: PathBuf,
    /// Style images to measure the Gram distance to (and the styles of
    /// arbitrary-style models).
    #[arg(long, num_args = 1.., required = true)]
    styles: Vec<PathBuf>,
    /// The teacher the models were distilled from (`CARD[:i,j,…]`): each
    /// model's k-th evaluated style is compared with the teacher's k-th
    /// (VGG16 relu3_3 distance and LPIPS to the teacher's output, beside the
    /// photo's own distance to it).
    #[arg(long)]
    teacher: Option<String>,
    /// Content images are centre-cropped to this square size.
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// Style images are resized to this shorter side.
    #[arg(long, default_value_t = 256)]
    style_size: usize,
    /// Output folder (`report.md`, `grid.png`).
    #[arg(long)]
    out: PathBuf,
    /// VGG16 weights.
    #[arg(long, default_value = "assets/training/vgg16_features.safetensors")]
    vgg: PathBuf,
    /// LPIPS heads.
    #[arg(long, default_value = "assets/training/lpips_vgg_lin.safetensors")]
    lpips: PathBuf,
}

type B = CpuBackend;

/// Where one evaluated model takes its style from.
#[derive(Clone, Copy)]
enum JobStyle {
    /// One of the model's stored styles.
    Stored(usize),
    /// The vector predicted from one of the `--styles` images.
    Image(usize),
}

/// One model style's results.
struct Row {
    label: String,
    content: f32,
    lpips: f32,
    style: Vec<f32>,
    /// Per style image, the SIFID.
    sifid: Vec<f64>,
    /// Per style image, the Gram distance per VGG layer ([`STYLE_LAYERS`]).
    layers: Vec<[f32; 4]>,
    ms: f64,
    /// Closeness to the teacher's output for this style, if there is a
    /// teacher.
    teacher: Option<Closeness>,
    /// Multiply-accumulates per layer at the content size.
    macs: MacReport,
    outputs: Vec<Tensor<B, 4>>,
}

/// Means over the content images: relu3_3 distance of the output to the
/// teacher's output, the photo's own distance to it, and LPIPS to it.
#[derive(Default)]
struct Closeness {
    distance: f32,
    photo: f32,
    lpips: f32,
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let device = Default::default();
    let vgg = Vgg16::<B>::load(&args.vgg, &device)?;
    let lpips = Lpips::<B>::load(&args.vgg, &args.lpips, &device)?;
    let (content, skipped) = ImageSet::from_folder(&args.content, args.size, args.size)?;
    for s in skipped {
        eprintln!("skipping {}: {}", s.path.display(), s.reason);
    }
    let contents: Vec<Tensor<B, 4>> = (0..content.len())
        .map(|i| content.centre_crop(i, args.size, &device))
        .collect();
    let style_set = ImageSet::load_short_side(&args.styles, args.style_size)?;
    let styles: Vec<Tensor<B, 4>> = (0..style_set.len())
        .map(|i| style_set.image(i, &device))
        .collect();
    let style_positions: Vec<_> = styles
        .iter()
        .map(|style| position_features(&vgg, style.clone()))
        .collect();

    let mut jobs = Vec::new();
    for spec in &args.models {
        jobs.extend(model_jobs(args, spec)?.into_iter().enumerate());
    }
    let teacher_jobs = args
        .teacher
        .as_deref()
        .map(|spec| model_jobs(args, spec))
        .transpose()?;
    if let Some(teacher) = &teacher_jobs
        && let Some((k, _)) = jobs.iter().find(|(k, _)| *k >= teacher.len())
    {
        return Err(format!(
            "--teacher evaluates {} style(s); a model evaluates {} (its k-th style is compared \
             with the teacher's k-th)",
            teacher.len(),
            k + 1
        )
        .into());
    }
    // The photos' own SIFID to each painting: what a model starts from.
    let photo_sifid: Vec<f64> = style_positions
        .iter()
        .map(|style| {
            let total: f64 = contents
                .iter()
                .map(|image| {
                    let positions = position_features(&vgg, image.clone());
                    frechet_distance(&positions, style).unwrap_or(f64::NAN)
                })
                .sum();
            total / contents.len() as f64
        })
        .collect();
    // The photos' own Gram distances per layer: what a model starts from.
    let baseline: Vec<[f32; 4]> = styles
        .iter()
        .map(|style| {
            let mut sums = [0.0; 4];
            for image in &contents {
                let terms = style_layer_distances(&vgg, image.clone(), style.clone());
                sums.iter_mut()
                    .zip(terms)
                    .for_each(|(sum, term)| *sum += term);
            }
            sums.map(|sum| sum / contents.len() as f32)
        })
        .collect();
    let bar = ProgressBar::new((jobs.len() * contents.len()) as u64);
    bar.set_style(ProgressStyle::with_template(
        "{bar:32} {pos}/{len} images · ETA {eta} · {msg}",
    )?);
    let teacher_outputs = teacher_jobs
        .iter()
        .flatten()
        .map(|job| Ok(stylize(args, job, &contents, &device)?.outputs))
        .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
    let mut rows = Vec::new();
    for (k, job) in &jobs {
        bar.set_message(job_label(args, job));
        let mut row = stylize(args, job, &contents, &device)?;
        row.style = vec![0.0; styles.len()];
        row.sifid = vec![0.0; styles.len()];
        row.layers = vec![[0.0; 4]; styles.len()];
        let mut closeness = Closeness::default();
        for (i, (output, image)) in row.outputs.iter().zip(&contents).enumerate() {
            row.content += content_distance(&vgg, output.clone(), image.clone());
            row.lpips += lpips.distance(output.clone(), image.clone());
            for ((distance, layers), style_image) in
                row.style.iter_mut().zip(&mut row.layers).zip(&styles)
            {
                let terms = style_layer_distances(&vgg, output.clone(), style_image.clone());
                *distance += terms.iter().sum::<f32>();
                layers
                    .iter_mut()
                    .zip(terms)
                    .for_each(|(sum, term)| *sum += term);
            }
            let positions = position_features(&vgg, output.clone());
            for (sifid, style) in row.sifid.iter_mut().zip(&style_positions) {
                *sifid += frechet_distance(&positions, style).unwrap_or(f64::NAN);
            }
            if let Some(teacher) = teacher_outputs.get(*k) {
                let target = teacher[i].clone();
                closeness.distance += content_distance(&vgg, output.clone(), target.clone());
                closeness.photo += content_distance(&vgg, image.clone(), target.clone());
                closeness.lpips += lpips.distance(output.clone(), target);
            }
            bar.inc(1);
        }
        let n = contents.len() as f32;
        row.content /= n;
        row.lpips /= n;
        row.style.iter_mut().for_each(|d| *d /= n);
        row.sifid.iter_mut().for_each(|d| *d /= n as f64);
        row.layers.iter_mut().flatten().for_each(|d| *d /= n);
        row.teacher = teacher_jobs.is_some().then(|| Closeness {
            distance: closeness.distance / n,
            photo: closeness.photo / n,
            lpips: closeness.lpips / n,
        });
        rows.push(row);
    }
    bar.finish_and_clear();
    std::fs::create_dir_all(&args.out)?;
    write_grid(&contents, &rows, args.size, &args.out.join("grid.png"))?;
    if let (Some(row), Some(content), Some(style)) =
        (rows.first(), contents.first(), styles.first())
    {
        write_feature_maps(
            &vgg,
            [content, style, &row.outputs[0]],
            &args.out.join("features.png"),
        )?;
    }
    let report = report(args, &rows, &baseline, &photo_sifid);
    write_atomic(&args.out.join("report.md"), report.as_bytes())?;
    print!("{report}");
    Ok(())
}

/// The evaluations `CARD[:i,j,…]` names: the model with each picked style
/// (default: all).
fn model_jobs(args: &Args, spec: &str) -> Result<Vec<(StyleModel, JobStyle)>, Box<dyn Error>> {
    let (path, picks) = match spec.rsplit_once(':') {
        Some((path, list)) if !list.contains('/') => {
            let picks = list
                .split(',')
                .map(str::parse)
                .collect::<Result<Vec<usize>, _>>()
                .map_err(|e| format!("{spec}: {e}"))?;
            (path, Some(picks))
        }
        _ => (spec, None),
    };
    let model = StyleModel::load_file(path)?;
    let by_image = model.card().takes_style_image();
    let count = if by_image {
        args.styles.len()
    } else {
        model.num_styles()
    };
    let picks = picks.unwrap_or_else(|| (0..count).collect());
    if let Some(&pick) = picks.iter().find(|&&pick| pick >= count) {
        return Err(format!("{path}: style {pick} is out of range (it has {count})").into());
    }
    Ok(picks
        .into_iter()
        .map(|pick| {
            let style = if by_image {
                JobStyle::Image(pick)
            } else {
                JobStyle::Stored(pick)
            };
            (model.clone(), style)
        })
        .collect())
}

/// `model / style`, the label of one evaluation.
fn job_label(args: &Args, (model, style): &(StyleModel, JobStyle)) -> String {
    let name = match *style {
        JobStyle::Stored(index) => model
            .card()
            .styles
            .get(index)
            .cloned()
            .unwrap_or_else(|| index.to_string()),
        JobStyle::Image(index) => style_names(args)[index].clone(),
    };
    format!("{} / {name}", model.card().name)
}

/// Runs one evaluation's model over the content images: a row with its
/// outputs (in `[0, 1]`), median time and multiply-accumulates; the
/// distances are left at zero.
fn stylize(
    args: &Args,
    job: &(StyleModel, JobStyle),
    contents: &[Tensor<B, 4>],
    device: &burn::tensor::Device<B>,
) -> Result<Row, Box<dyn Error>> {
    let (model, style) = job;
    let net = model.build::<B>(device)?;
    let code = match *style {
        JobStyle::Stored(index) => model.style_tensor(&StyleWeights::single(index), device)?,
        JobStyle::Image(index) => {
            let path = &args.styles[index];
            let image = open_image(path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
            net.predict_style_image(&image, device)?.tensor()
        }
    };
    let ((in_lo, in_hi), (out_lo, out_hi)) = (model.card().input_range, model.card().output_range);
    let mut times = Vec::new();
    let mut outputs = Vec::new();
    for image in contents {
        let input = image.clone().mul_scalar(in_hi - in_lo).add_scalar(in_lo);
        let start = Instant::now();
        let output = net.forward(input, code.clone());
        let output = output
            .sub_scalar(out_lo)
            .div_scalar(out_hi - out_lo)
            .clamp(0.0, 1.0);
        // Reading the result back ends the (lazy) computation.
        let output = Tensor::<B, 4>::from_data(output.into_data(), device);
        times.push(start.elapsed().as_secs_f64() * 1e3);
        outputs.push(output);
    }
    times.sort_by(f64::total_cmp);
    Ok(Row {
        label: job_label(args, job),
        content: 0.0,
        lpips: 0.0,
        style: Vec::new(),
        sifid: Vec::new(),
        layers: Vec::new(),
        ms: times.get(times.len() / 2).copied().unwrap_or_default(),
        teacher: None,
        macs: net.macs(args.size, args.size),
        outputs,
    })
}

/// File stems of the `--styles` images.
fn style_names(args: &Args) -> Vec<String> {
    args.styles
        .iter()
        .map(|p| {
            p.file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned())
        })
        .collect()
}

fn report(args: &Args, rows: &[Row], baseline: &[[f32; 4]], photo_sifid: &[f64]) -> String {
    let style_names = style_names(args);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "Content: {} images from `{}`, centre crops of {}²; CPU backend (burn flex).\n",
        rows.first().map_or(0, |r| r.outputs.len()),
        args.content.display(),
        args.size
    );
    let _ = writeln!(
        text,
        "| model / style | content distance (relu3_3) | LPIPS to content | {} | {} | GMAC / image | ms / image |",
        style_names
            .iter()
            .map(|n| format!("Gram distance to {n}"))
            .collect::<Vec<_>>()
            .join(" | "),
        style_names
            .iter()
            .map(|n| format!("SIFID to {n}"))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        text,
        "|---|---|---|{}---|---|",
        "---|".repeat(2 * style_names.len())
    );
    for row in rows {
        let styles: Vec<String> = row
            .style
            .iter()
            .map(|d| format!("{d:.2e}"))
            .chain(row.sifid.iter().map(|d| format!("{d:.1}")))
            .collect();
        let _ = writeln!(
            text,
            "| {} | {:.3} | {:.3} | {} | {:.3} | {:.0} |",
            row.label,
            row.content,
            row.lpips,
            styles.join(" | "),
            row.macs.gmac(),
            row.ms
        );
    }
    let photos: Vec<String> = style_names
        .iter()
        .zip(photo_sifid)
        .map(|(name, sifid)| format!("{sifid:.1} to {name}"))
        .collect();
    let _ = writeln!(
        text,
        "\nSIFID of the unstyled photos (what a model starts from): {}.",
        photos.join(", ")
    );
    summary(&mut text, args, &style_names, rows, baseline);
    layer_report(&mut text, &style_names, rows, baseline);
    let _ = writeln!(
        text,
        "\nMultiply-accumulates per layer at {}² (millions):\n",
        args.size
    );
    let mut listed = Vec::new();
    for row in rows {
        let model = row.label.split(" / ").next().unwrap_or_default();
        if listed.contains(&model) {
            continue;
        }
        listed.push(model);
        let layers: Vec<String> = row
            .macs
            .layers
            .iter()
            .map(|layer| format!("{} {:.1}", layer.name, layer.macs as f64 / 1e6))
            .collect();
        let _ = writeln!(
            text,
            "- {model}: {:.3} GMAC — {}",
            row.macs.gmac(),
            layers.join(", ")
        );
    }
    let columns: Vec<&str> = std::iter::once("content")
        .chain(rows.iter().map(|r| r.label.as_str()))
        .collect();
    let _ = writeln!(
        text,
        "\n![grid](grid.png)\n\nGrid columns, left to right: {}.",
        columns.join("; ")
    );
    if let Some(row) = rows.first() {
        let _ = writeln!(
            text,
            "\n![feature maps](features.png)\n\nVGG16 relu2_2 feature maps of the first content \
             image, the first style image and {}'s output (rows), the {FEATURE_CHANNELS} channels \
             most active in the output, each scaled to its own range (square-root brightness).",
            row.label
        );
    }
    text
}

/// Per row, the style ratio to each painting (its Gram distance as a
/// fraction of the photos' own: 1 is the photo, lower is more style) and,
/// with a teacher, the closeness to the teacher's output.
fn summary(text: &mut String, args: &Args, names: &[String], rows: &[Row], baseline: &[[f32; 4]]) {
    let teacher = args.teacher.as_deref().unwrap_or_default();
    let _ = writeln!(
        text,
        "\nStyle ratio: Gram distance to the painting as a fraction of the photos' own (1 is \
         the photo; lower is more style){}:\n",
        if teacher.is_empty() {
            String::new()
        } else {
            format!(
                "; closeness to the teacher `{teacher}`: relu3_3 distance to its output, the \
                 photo's own distance to it, their ratio, and LPIPS to its output"
            )
        }
    );
    let closeness = if teacher.is_empty() {
        ""
    } else {
        " distance to the teacher (the photo's) | ratio | LPIPS to the teacher |"
    };
    let ratios: Vec<String> = names
        .iter()
        .map(|n| format!(" style ratio to {n} |"))
        .collect();
    let _ = writeln!(text, "| model / style |{}{closeness}", ratios.concat());
    let columns = names.len() + if teacher.is_empty() { 0 } else { 3 };
    let _ = writeln!(text, "|---|{}", "---|".repeat(columns));
    for row in rows {
        let mut cells: Vec<String> = row
            .style
            .iter()
            .zip(baseline)
            .map(|(d, own)| format!("{:.3}", d / own.iter().sum::<f32>()))
            .collect();
        if let Some(c) = &row.teacher {
            cells.push(format!("{:.3} ({:.3})", c.distance, c.photo));
            cells.push(format!("{:.2}×", c.distance / c.photo));
            cells.push(format!("{:.3}", c.lpips));
        }
        let _ = writeln!(text, "| {} | {} |", row.label, cells.join(" | "));
    }
}

/// Where each painting's style lives: per VGG layer, the output's Gram
/// distance to the painting as a fraction of the photos' own (lower: the
/// model moved that layer's statistics further towards the painting).
fn layer_report(text: &mut String, style_names: &[String], rows: &[Row], baseline: &[[f32; 4]]) {
    let _ = writeln!(
        text,
        "\nGram distance per VGG16 layer, output to painting as a fraction of the photos' own \
         distance (lower: that layer's statistics moved further towards the painting); the \
         photos' own distances in the first rows:\n"
    );
    let _ = writeln!(
        text,
        "| model / style | painting | {} |",
        STYLE_LAYERS.join(" | ")
    );
    let _ = writeln!(text, "|---|---|{}", "---|".repeat(STYLE_LAYERS.len()));
    for (name, own) in style_names.iter().zip(baseline) {
        let cells: Vec<String> = own.iter().map(|d| format!("{d:.2e}")).collect();
        let _ = writeln!(text, "| (the photos) | {name} | {} |", cells.join(" | "));
    }
    let ratio = |d: f32, own: f32| if own > 0.0 { d / own } else { 0.0 };
    for row in rows {
        for ((name, layers), own) in style_names.iter().zip(&row.layers).zip(baseline) {
            let cells: Vec<String> = layers
                .iter()
                .zip(own)
                .map(|(d, o)| format!("{:.2}", ratio(*d, *o)))
                .collect();
            let _ = writeln!(text, "| {} | {name} | {} |", row.label, cells.join(" | "));
        }
    }
    // Which painting each layer's statistics point to: a layer that names
    // the model's own painting carries what tells the styles apart.
    let _ = writeln!(
        text,
        "\nThe painting each layer's statistics are closest to (lowest fraction above):\n"
    );
    let _ = writeln!(text, "| model / style | {} |", STYLE_LAYERS.join(" | "));
    let _ = writeln!(text, "|---|{}", "---|".repeat(STYLE_LAYERS.len()));
    for row in rows {
        let cells: Vec<&str> = (0..STYLE_LAYERS.len())
            .map(|layer| {
                row.layers
                    .iter()
                    .zip(baseline)
                    .map(|(d, o)| ratio(d[layer], o[layer]))
                    .enumerate()
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map_or("–", |(i, _)| style_names[i].as_str())
            })
            .collect();
        let _ = writeln!(text, "| {} | {} |", row.label, cells.join(" | "));
    }
}

/// Channels shown per image in `features.png`, and their tile size.
const FEATURE_CHANNELS: usize = 12;
const FEATURE_TILE: u32 = 64;

/// VGG16 relu2_2 feature maps of `[content, style, output]`, one row each:
/// the channels most active in the output, so the rows compare the same
/// channels (what the network changed, and towards what).
fn write_feature_maps(
    vgg: &Vgg16<B>,
    images: [&Tensor<B, 4>; 3],
    path: &std::path::Path,
) -> Result<(), Box<dyn Error>> {
    let features: Vec<Tensor<B, 4>> = images
        .iter()
        .map(|image| {
            vgg.forward((*image).clone(), VggTap::Relu2_2)
                .pop()
                .ok_or("VGG16 gave no relu2_2")
        })
        .collect::<Result<_, _>>()?;
    let [_, channels, _, _] = features[2].dims();
    let activity: Vec<f32> = features[2]
        .clone()
        .mean_dim(3)
        .mean_dim(2)
        .reshape([channels])
        .into_data()
        .to_vec()
        .unwrap_or_default();
    let mut order: Vec<usize> = (0..channels).collect();
    order.sort_by(|&a, &b| activity[b].total_cmp(&activity[a]));
    order.truncate(FEATURE_CHANNELS);
    let t = FEATURE_TILE;
    let mut sheet = image::GrayImage::new(t * order.len() as u32, t * 3);
    for (row, feature) in features.iter().enumerate() {
        let [_, _, h, w] = feature.dims();
        for (column, &channel) in order.iter().enumerate() {
            let values: Vec<f32> = feature
                .clone()
                .narrow(1, channel, 1)
                .into_data()
                .to_vec()
                .unwrap_or_default();
            let (lo, hi) = values
                .iter()
                .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
            let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
            // Square root: ReLU maps are sparse, and faint responses matter.
            let tile = image::GrayImage::from_fn(w as u32, h as u32, |x, y| {
                let v = (values[y as usize * w + x as usize] - lo) * scale;
                image::Luma([(v.sqrt() * 255.0) as u8])
            });
            let tile = image::imageops::resize(&tile, t, t, image::imageops::FilterType::Triangle);
            image::imageops::replace(
                &mut sheet,
                &tile,
                i64::from(column as u32 * t),
                i64::from(row as u32 * t),
            );
        }
    }
    save_image(&sheet.into(), path)?;
    Ok(())
}

fn write_grid(
    contents: &[Tensor<B, 4>],
    rows: &[Row],
    size: usize,
    path: &std::path::Path,
) -> Result<(), Box<dyn Error>> {
    let s = size as u32;
    let mut grid = RgbImage::from_pixel(
        (rows.len() as u32 + 1) * s,
        contents.len() as u32 * s,
        Rgb([255; 3]),
    );
    for (y, content) in contents.iter().enumerate() {
        let mut paste = |x: u32, image: &Tensor<B, 4>| {
            let values: Vec<f32> = image.clone().into_data().to_vec().unwrap_or_default();
            let plane = size * size;
            for py in 0..size {
                for px in 0..size {
                    let at = |c: usize| (values[c * plane + py * size + px] * 255.0).round() as u8;
                    grid.put_pixel(
                        x * s + px as u32,
                        y as u32 * s + py as u32,
                        Rgb([at(0), at(1), at(2)]),
                    );
                }
            }
        };
        paste(0, content);
        for (x, row) in rows.iter().enumerate() {
            paste(x as u32 + 1, &row.outputs[y]);
        }
    }
    save_image(&grid.into(), path)?;
    Ok(())
}
