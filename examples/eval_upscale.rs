//! Evaluate an upscaling model on photos it was not trained on: PSNR, SSIM
//! and LPIPS of its reconstruction against the original, next to bicubic
//! interpolation and to bilinear upsampling plus Bevy's contrast-adaptive
//! sharpening (what a game has without a neural upscaler). Writes a
//! Markdown report and a grid of crops.
//!
//! ```text
//! cargo run --release --example eval_upscale -- --model assets/upscalers/photo_x2.upscale.ron
//! ```
//!
//! Each photo is cut to a multiple of the factor, downscaled with the
//! antialiased filter the trainer uses, and brought back to full size by
//! each method. Everything runs on the CPU backend.
//!
//! With `--teacher`, a style-aware upscaler is judged instead: how close
//! (VGG16 relu3_3, LPIPS) the style network at half size plus the upscaler
//! comes to the style network at full size, against half size plus
//! bilinear or bicubic upsampling and against a `--student` at full size,
//! with the Gram style distance to `--painting` (as a fraction of the
//! photo's own) and the CPU time of each, measured in the same run:
//!
//! ```text
//! cargo run --release --example eval_upscale -- --model assets/upscalers/ml5_wave_x2.upscale.ron \
//!     --teacher assets/models/ml5_wave.style.ron --student assets/models/ml5_wave_lite.style.ron \
//!     --painting assets/styles/great_wave_hokusai.jpg
//! ```

use std::error::Error;
use std::fmt::Write as _;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use bevy_gan_style::bridge::{image_to_tensor, open_image, tensor_to_image};
use bevy_gan_style::eval::{Lpips, content_distance, psnr, sharpen_cas, ssim, style_distance};
use bevy_gan_style::model::write_atomic;
use bevy_gan_style::nn::{Precision, Upscaler, upsample_bicubic, upsample_bilinear};
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{Teacher, TeacherConfig, UpscalePairs, downscale};
use burn::tensor::Tensor;
use clap::Parser;
use image::{Rgb, RgbImage};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[derive(Parser)]
struct Args {
    /// Upscaling model card.
    #[arg(long, default_value_t = format!("{ROOT}/assets/upscalers/photo_x2.upscale.ron"))]
    model: String,
    /// Photos to judge on (none of them in the model's training set).
    #[arg(long, num_args = 1.., default_values_t = [
        format!("{ROOT}/assets/images/chelsea_cat.png"),
        format!("{ROOT}/assets/images/content/astronaut.png"),
        format!("{ROOT}/assets/images/content/coffee.png"),
    ])]
    images: Vec<String>,
    /// Strength of the sharpening after bilinear upsampling (Bevy's
    /// `ContrastAdaptiveSharpening` default: 0.6).
    #[arg(long, default_value_t = 0.6)]
    sharpening: f32,
    /// VGG16 and LPIPS weights.
    #[arg(long, default_value_t = format!("{ROOT}/assets/training"))]
    metric_weights: String,
    /// Where to write `report.md` and `crops.png`.
    #[arg(long, default_value = "out/eval_upscale")]
    out: PathBuf,
    /// Judge a style-aware upscaler of this style model's output.
    #[arg(long)]
    teacher: Option<String>,
    /// With --teacher: a real-time student of it, run at full size.
    #[arg(long)]
    student: Option<String>,
    /// With --teacher: the painting of its style (for the Gram distance).
    #[arg(long)]
    painting: Option<String>,
    /// Judge on rendered frames instead of photos: a folder of
    /// `NNN_low.png` / `NNN_full.png` pairs rendered natively at 1/factor
    /// and at full size (`upscale_scene --pairs`).
    #[arg(long)]
    frames: Option<PathBuf>,
}

/// The methods compared, in report order.
const METHODS: [&str; 3] = ["bicubic", "bilinear + CAS", "network"];

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let device = Default::default();
    let model = UpscaleModel::load_file(&args.model)?;
    let net = model.build::<CpuBackend>(&device)?;
    let factor = model.factor() as usize;
    let weights = PathBuf::from(&args.metric_weights);
    let lpips = Lpips::<CpuBackend>::load(
        &weights.join("vgg16_features.safetensors"),
        &weights.join("lpips_vgg_lin.safetensors"),
        &device,
    )?;
    if let Some(teacher) = &args.teacher {
        // A student-guided upscaler's guide comes from its own style model.
        let guide_style = model
            .card()
            .guide_style
            .as_ref()
            .map(|card| Path::new(&args.model).with_file_name(card));
        let up = (
            &net,
            factor,
            model.card().name.as_str(),
            guide_style.as_deref(),
        );
        return style_aware(&args, teacher, up, &lpips);
    }
    let cases = match &args.frames {
        Some(dir) => frame_pairs(dir, factor)?,
        None => args
            .images
            .iter()
            .map(|path| photo_case(path, factor))
            .collect::<Result<_, _>>()?,
    };
    let count = cases.len();
    let (kind, against) = match args.frames {
        Some(_) => ("rendered frames", "the native render"),
        None => ("photos", "the photo"),
    };
    let mut report = format!(
        "# `{}` (×{factor}) on {count} {kind}, against {against}\n\n\
         | picture | method | PSNR (dB) | SSIM | LPIPS |\n|---|---|---|---|---|\n",
        model.card().name,
    );
    let mut sums = [[0.0f64; 3]; 3];
    let mut rows = Vec::new();
    for (name, original, low) in cases {
        let results = [
            upsample_bicubic(low.clone(), factor),
            sharpen_cas(upsample_bilinear(low.clone(), factor), args.sharpening),
            net.forward(low),
        ];
        let mut row = Vec::new();
        for (i, result) in results.iter().enumerate() {
            let result = result.clone().clamp(0.0, 1.0);
            let scores = [
                psnr(result.clone(), original.clone()),
                ssim(result.clone(), original.clone()),
                f64::from(lpips.distance(result.clone(), original.clone())),
            ];
            for (sum, score) in sums[i].iter_mut().zip(scores) {
                *sum += score;
            }
            writeln!(
                report,
                "| {name} | {} | {:.2} | {:.4} | {:.4} |",
                METHODS[i], scores[0], scores[1], scores[2]
            )?;
            row.push(tensor_to_image(result, (0.0, 1.0)));
        }
        row.push(tensor_to_image(original, (0.0, 1.0)));
        rows.push(row);
    }
    let n = count as f64;
    writeln!(report)?;
    writeln!(
        report,
        "| mean | PSNR (dB) | SSIM | LPIPS |\n|---|---|---|---|"
    )?;
    for (i, method) in METHODS.iter().enumerate() {
        writeln!(
            report,
            "| {method} | {:.2} | {:.4} | {:.4} |",
            sums[i][0] / n,
            sums[i][1] / n,
            sums[i][2] / n
        )?;
    }
    let gain = (sums[2][0] - sums[0][0]) / n;
    let lpips_ratio = sums[2][2] / sums[0][2];
    writeln!(
        report,
        "\nThe network against bicubic: {gain:+.2} dB PSNR, LPIPS ×{lpips_ratio:.2}."
    )?;
    std::fs::create_dir_all(&args.out)?;
    write_atomic(&args.out.join("report.md"), report.as_bytes())?;
    let grid = crop_grid(&rows, 96, 2);
    let mut png = Vec::new();
    grid.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)?;
    write_atomic(&args.out.join("crops.png"), &png)?;
    print!("{report}");
    println!(
        "wrote {} and {} (columns: {}, original)",
        args.out.join("report.md").display(),
        args.out.join("crops.png").display(),
        METHODS.join(", ")
    );
    Ok(())
}

/// A photo cut to a multiple of `factor`, and its antialiased downscale:
/// `(name, original, low)`.
fn photo_case(path: &str, factor: usize) -> Result<Case, Box<dyn Error>> {
    let device = Default::default();
    let photo = open_image(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let (w, h) = (w - w % factor, h - h % factor);
    if w < 16 * factor || h < 16 * factor {
        return Err(format!("{path} is too small to judge an upscaler on").into());
    }
    let photo = photo.crop_imm(0, 0, w as u32, h as u32).to_rgba8();
    let original = image_to_tensor::<CpuBackend>(&photo, (0.0, 1.0), &device);
    let low = downscale(original.clone(), factor);
    Ok((file_name(path), original, low))
}

/// The rendered pairs in `dir`: each `NNN_full.png` with its `NNN_low.png`,
/// `factor` times smaller.
fn frame_pairs(dir: &std::path::Path, factor: usize) -> Result<Vec<Case>, Box<dyn Error>> {
    let pairs = UpscalePairs::load(dir, factor)?;
    let device = Default::default();
    Ok((0..pairs.len())
        .map(|index| {
            let (name, low, full) = pairs.pair(index, &device);
            (format!("frame {name}"), full, low)
        })
        .collect())
}

/// What a method is judged on: a name, the full-size picture, its low
/// resolution version.
type Case = (String, Tensor<CpuBackend, 4>, Tensor<CpuBackend, 4>);

fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map_or(path.to_owned(), |n| n.to_string_lossy().into_owned())
}

/// Ways to a stylized full-size frame, in report order.
const STYLE_METHODS: [&str; 4] = [
    "style at ½ + bilinear",
    "style at ½ + bicubic",
    "style at ½ + upscaler",
    "student at full size",
];

/// The `--teacher` report: see the module docs.
fn style_aware(
    args: &Args,
    teacher: &str,
    (net, factor, name, guide_style): (&Upscaler<CpuBackend>, usize, &str, Option<&Path>),
    lpips: &Lpips<CpuBackend>,
) -> Result<(), Box<dyn Error>> {
    let device = Default::default();
    let load = |card: &str| Teacher::<CpuBackend>::load(&TeacherConfig::new(card.into()), &device);
    let teacher = load(teacher)?;
    let guide_style = guide_style
        .map(|card| load(&card.to_string_lossy()))
        .transpose()?;
    let student = args.student.as_deref().map(load).transpose()?;
    let painting = match &args.painting {
        Some(path) => {
            let image = open_image(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            Some(image_to_tensor::<CpuBackend>(
                &image.to_rgba8(),
                (0.0, 1.0),
                &device,
            ))
        }
        None => None,
    };
    let vgg = lpips.vgg();
    // Timed runs are each method's second: the first compiles and plans.
    let timed = |f: &dyn Fn() -> Tensor<CpuBackend, 4>| {
        let _ = f();
        let start = Instant::now();
        let out = f();
        (out, start.elapsed().as_secs_f64() * 1e3)
    };
    let mut report = format!(
        "# Style-aware upscaling: `{}` (×{factor}) after `{}` on {} photos\n\n\
         Distances to the style network's output at full size; Gram: style distance to the \
         painting as a fraction of the photo's own; ms: CPU backend, this run.\n\n\
         | photo | method | VGG relu3_3 | LPIPS | Gram | ms |\n|---|---|---|---|---|---|\n",
        name,
        teacher.names().first().map_or("teacher", String::as_str),
        args.images.len()
    );
    let mut sums = [[0.0f64; 4]; 5];
    let mut rows = Vec::new();
    let step = 4 * factor;
    for path in &args.images {
        let photo = open_image(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let (w, h) = (photo.width() as usize, photo.height() as usize);
        let (w, h) = (w - w % step, h - h % step);
        let photo = photo.crop_imm(0, 0, w as u32, h as u32).to_rgba8();
        let x = image_to_tensor::<CpuBackend>(&photo, (0.0, 1.0), &device);
        let (full, full_ms) = timed(&|| teacher.forward(x.clone(), &[0]));
        let (half, half_ms) = timed(&|| teacher.forward(downscale(x.clone(), factor), &[0]));
        // A guided upscaler also reads the full-size photo (the frame the
        // style network ran on), or its guide style model's output on it,
        // timed with the upscaler.
        let (upscaled, up_ms) = timed(&|| {
            let guide = match &guide_style {
                Some(style) => Some(style.forward(x.clone(), &[0])),
                None => (net.guide_planes() > 0).then(|| x.clone()),
            };
            net.forward_with(half.clone(), guide, Precision::F32)
                .clamp(0.0, 1.0)
        });
        let mut results = vec![
            (
                upsample_bilinear(half.clone(), factor).clamp(0.0, 1.0),
                half_ms,
            ),
            (
                upsample_bicubic(half.clone(), factor).clamp(0.0, 1.0),
                half_ms,
            ),
            (upscaled, half_ms + up_ms),
        ];
        if let Some(student) = &student {
            results.push(timed(&|| student.forward(x.clone(), &[0])));
        }
        results.push((full.clone(), full_ms));
        let own = painting
            .as_ref()
            .map(|p| style_distance(vgg, x.clone(), p.clone()));
        let photo_name = file_name(path);
        let mut row = Vec::new();
        for (i, (result, ms)) in results.iter().enumerate() {
            let slot = if i == results.len() - 1 { 4 } else { i };
            let label = if slot == 4 {
                "style at full size"
            } else {
                STYLE_METHODS[slot]
            };
            let scores = [
                f64::from(content_distance(vgg, result.clone(), full.clone())),
                f64::from(lpips.distance(result.clone(), full.clone())),
                match (&painting, own) {
                    (Some(p), Some(own)) => {
                        f64::from(style_distance(vgg, result.clone(), p.clone()) / own)
                    }
                    _ => f64::NAN,
                },
                *ms,
            ];
            for (sum, score) in sums[slot].iter_mut().zip(scores) {
                *sum += score;
            }
            writeln!(
                report,
                "| {photo_name} | {label} | {:.3} | {:.4} | {:.3} | {:.0} |",
                scores[0], scores[1], scores[2], scores[3]
            )?;
            row.push(tensor_to_image(result.clone(), (0.0, 1.0)));
        }
        rows.push(row);
    }
    let n = args.images.len() as f64;
    writeln!(
        report,
        "\n| mean | VGG relu3_3 | LPIPS | Gram | ms | × full-size cost |\n|---|---|---|---|---|---|"
    )?;
    let labels = STYLE_METHODS.iter().copied().chain(["style at full size"]);
    for (slot, label) in labels.enumerate() {
        if slot == 3 && student.is_none() {
            continue;
        }
        let m = sums[slot].map(|s| s / n);
        writeln!(
            report,
            "| {label} | {:.3} | {:.4} | {:.3} | {:.0} | {:.2} |",
            m[0],
            m[1],
            m[2],
            m[3],
            m[3] / (sums[4][3] / n)
        )?;
    }
    let closer = 1.0 - sums[2][0] / sums[0][0];
    writeln!(
        report,
        "\nThe upscaler after style at ½ is {:.0} % closer (VGG relu3_3) to the full-size \
         stylization than bilinear upsampling, at {:.2}× the full-size cost.",
        100.0 * closer,
        sums[2][3] / sums[4][3]
    )?;
    std::fs::create_dir_all(&args.out)?;
    write_atomic(&args.out.join("style_report.md"), report.as_bytes())?;
    let grid = crop_grid(&rows, 96, 2);
    let mut png = Vec::new();
    grid.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)?;
    write_atomic(&args.out.join("style_crops.png"), &png)?;
    print!("{report}");
    println!(
        "wrote {} and {} (columns: {}, style at full size)",
        args.out.join("style_report.md").display(),
        args.out.join("style_crops.png").display(),
        STYLE_METHODS[..3 + usize::from(student.is_some())].join(", ")
    );
    Ok(())
}

/// One row per photo: the same `side`-pixel crop (from the middle) of each
/// picture, enlarged `zoom` times with nearest-neighbour so that pixels show.
fn crop_grid(rows: &[Vec<RgbImage>], side: u32, zoom: u32) -> RgbImage {
    let cell = side * zoom;
    let columns = rows.first().map_or(0, Vec::len) as u32;
    let mut grid = RgbImage::from_pixel(columns * cell, rows.len() as u32 * cell, Rgb([255; 3]));
    for (r, row) in rows.iter().enumerate() {
        for (c, picture) in row.iter().enumerate() {
            let (x0, y0) = (
                picture.width().saturating_sub(side) / 2,
                picture.height().saturating_sub(side) / 2,
            );
            let crop = image::imageops::crop_imm(picture, x0, y0, side, side).to_image();
            let large = image::imageops::resize(
                &crop,
                crop.width() * zoom,
                crop.height() * zoom,
                image::imageops::FilterType::Nearest,
            );
            image::imageops::replace(
                &mut grid,
                &large,
                i64::from(c as u32 * cell),
                i64::from(r as u32 * cell),
            );
        }
    }
    grid
}
