//! What a training run leaves to look at: a CSV of losses, a loss-curve PNG
//! and sample sheets.

use std::path::Path;

use burn::prelude::*;
use image::{Rgb, RgbImage};

use super::checkpoint::write_atomic;
use super::{StepLosses, TrainError};
use crate::nn::{PsganConfig, PsganGenerator, PsganLatent};
use crate::texture::to_rgb_image;

/// The header of `losses.csv`.
pub const CSV_HEADER: &str = "iteration,loss_d,loss_g,real_logit,fake_logit";

/// One CSV line for `losses`.
pub fn csv_line(losses: &StepLosses) -> String {
    format!(
        "{},{:.6},{:.6},{:.6},{:.6}",
        losses.iteration,
        losses.discriminator,
        losses.generator,
        losses.real_logit,
        losses.fake_logit
    )
}

/// Reads back the rows of a `losses.csv` up to `until` (inclusive), skipping
/// what cannot be parsed; used when a run resumes.
pub fn read_csv(path: &Path, until: u64) -> Vec<StepLosses> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let v: Vec<&str> = line.split(',').collect();
            let f = |i: usize| v.get(i)?.parse::<f32>().ok();
            Some(StepLosses {
                iteration: v.first()?.parse().ok()?,
                discriminator: f(1)?,
                generator: f(2)?,
                real_logit: f(3)?,
                fake_logit: f(4)?,
            })
        })
        .filter(|row| row.iteration <= until)
        .collect()
}

/// Writes all rows to `path` (atomically).
pub fn write_csv(path: &Path, rows: &[StepLosses]) -> Result<(), TrainError> {
    let mut text = String::from(CSV_HEADER);
    text.push('\n');
    for row in rows {
        text.push_str(&csv_line(row));
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;
const MARGIN: u32 = 40;
const D_COLOR: Rgb<u8> = Rgb([214, 60, 48]);
const G_COLOR: Rgb<u8> = Rgb([40, 100, 210]);

/// Plots the discriminator (red) and generator (blue) losses against the
/// iteration, each smoothed by a moving average, with the axis ranges
/// written at the ends of the axes.
pub fn plot_losses(rows: &[StepLosses], path: &Path) -> Result<(), TrainError> {
    let mut image = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let smooth = |values: Vec<f32>| -> Vec<f32> {
        let window = (values.len() / 50).max(1);
        (0..values.len())
            .map(|i| {
                let from = i.saturating_sub(window - 1);
                values[from..=i].iter().sum::<f32>() / (i - from + 1) as f32
            })
            .collect()
    };
    let d = smooth(rows.iter().map(|r| r.discriminator).collect());
    let g = smooth(rows.iter().map(|r| r.generator).collect());
    let (lo, hi) = d
        .iter()
        .chain(&g)
        .filter(|v| v.is_finite())
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi {
        (0.0, 1.0)
    } else {
        (lo.min(0.0), hi.max(lo + 1e-3))
    };
    let (x0, y0, x1, y1) = (MARGIN, HEIGHT - MARGIN, WIDTH - MARGIN / 2, MARGIN / 2);
    let grey = Rgb([120, 120, 120]);
    line(&mut image, (x0, y0), (x1, y0), grey);
    line(&mut image, (x0, y0), (x0, y1), grey);
    let last = rows.last().map_or(1, |r| r.iteration.max(1));
    let first = rows.first().map_or(0, |r| r.iteration);
    let to_px = |i: u64, v: f32| -> (u32, u32) {
        let t = (i - first) as f32 / (last - first).max(1) as f32;
        let s = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        (
            x0 + (t * (x1 - x0) as f32) as u32,
            y0 - (s * (y0 - y1) as f32) as u32,
        )
    };
    for (values, color) in [(&d, D_COLOR), (&g, G_COLOR)] {
        for (pair, rows) in values.windows(2).zip(rows.windows(2)) {
            line(
                &mut image,
                to_px(rows[0].iteration, pair[0]),
                to_px(rows[1].iteration, pair[1]),
                color,
            );
        }
    }
    text(&mut image, 4, y1, &format!("{hi:.2}"), grey);
    text(&mut image, 4, y0 - 6, &format!("{lo:.2}"), grey);
    text(&mut image, x0, y0 + 8, &first.to_string(), grey);
    let last_label = last.to_string();
    text(
        &mut image,
        x1 - 4 * last_label.len() as u32 * 2,
        y0 + 8,
        &last_label,
        grey,
    );
    text(&mut image, x1 - 60, y1 + 4, "D", D_COLOR);
    text(&mut image, x1 - 40, y1 + 4, "G", G_COLOR);
    save(&image, path)
}

/// A sample sheet: four generated images of `size` pixels in the top row;
/// below, a 2×2 tiling of the first one generated tileable (seams would show
/// as lines through its middle) and an exemplar crop at the same scale.
pub fn sample_sheet<B: Backend>(
    generator: &PsganGenerator<B>,
    config: &PsganConfig,
    size: usize,
    exemplar: Tensor<B, 4>,
    path: &Path,
) -> Result<(), TrainError> {
    let device = exemplar.device();
    let cells = config.latent_size(size).ok_or(TrainError::Size {
        size,
        multiple: config.scale(),
    })?;
    let samples = generator.forward(
        &PsganLatent::sample(config, &[1, 2, 3, 4], cells, cells, &device),
        false,
    );
    let tile = generator.forward(
        &PsganLatent::sample(config, &[1], cells, cells, &device),
        true,
    );
    let s = size as u32;
    let mut sheet = RgbImage::from_pixel(4 * s, 3 * s, Rgb([255, 255, 255]));
    for i in 0..4 {
        paste(
            &mut sheet,
            &to_rgb_image(samples.clone().narrow(0, i, 1)),
            i as u32 * s,
            0,
        );
    }
    let tile = to_rgb_image(tile);
    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
        paste(&mut sheet, &tile, dx * s, s + dy * s);
    }
    let exemplar = to_rgb_image(exemplar);
    paste(
        &mut sheet,
        &exemplar,
        2 * s + (2 * s - exemplar.width()) / 2,
        s + (2 * s - exemplar.height()) / 2,
    );
    save(&sheet, path)
}

fn paste(sheet: &mut RgbImage, image: &RgbImage, x: u32, y: u32) {
    image::imageops::replace(sheet, image, x as i64, y as i64);
}

fn save(image: &RgbImage, path: &Path) -> Result<(), TrainError> {
    let mut bytes = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|source| TrainError::Image {
            path: path.to_path_buf(),
            source,
        })?;
    write_atomic(path, &bytes)
}

fn line(image: &mut RgbImage, from: (u32, u32), to: (u32, u32), color: Rgb<u8>) {
    let (dx, dy) = (to.0 as f32 - from.0 as f32, to.1 as f32 - from.1 as f32);
    let steps = dx.abs().max(dy.abs()).max(1.0) as u32;
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let (x, y) = (
            (from.0 as f32 + t * dx) as u32,
            (from.1 as f32 + t * dy) as u32,
        );
        if x < image.width() && y < image.height() {
            image.put_pixel(x, y, color);
        }
    }
}

/// Draws digits, `.`, `-`, `D` and `G` in a 3×5 pixel font at twice size.
fn text(image: &mut RgbImage, x: u32, y: u32, text: &str, color: Rgb<u8>) {
    for (i, ch) in text.chars().enumerate() {
        let rows: [u8; 5] = match ch {
            '0' => [7, 5, 5, 5, 7],
            '1' => [2, 6, 2, 2, 7],
            '2' => [7, 1, 7, 4, 7],
            '3' => [7, 1, 7, 1, 7],
            '4' => [5, 5, 7, 1, 1],
            '5' => [7, 4, 7, 1, 7],
            '6' => [7, 4, 7, 5, 7],
            '7' => [7, 1, 1, 1, 1],
            '8' => [7, 5, 7, 5, 7],
            '9' => [7, 5, 7, 1, 7],
            '.' => [0, 0, 0, 0, 2],
            '-' => [0, 0, 7, 0, 0],
            'D' => [6, 5, 5, 5, 6],
            'G' => [7, 4, 5, 5, 7],
            _ => [0; 5],
        };
        for (r, bits) in rows.iter().enumerate() {
            for c in 0..3 {
                if bits & (4 >> c) != 0 {
                    for (dx, dy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
                        let (px, py) = (x + i as u32 * 8 + c * 2 + dx, y + r as u32 * 2 + dy);
                        if px < image.width() && py < image.height() {
                            image.put_pixel(px, py, color);
                        }
                    }
                }
            }
        }
    }
}
