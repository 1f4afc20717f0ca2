//! What a training run leaves to look at: a CSV of losses, a loss-curve PNG
//! and sample sheets.

use std::path::Path;

use image::{Rgb, RgbImage};

use super::error::TrainError;
use crate::model::write_atomic;

/// One loss column of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// CSV header name.
    pub name: &'static str,
    /// One-letter legend label on the loss curve (A–Z), or `None` for a
    /// column that is logged but not plotted.
    pub label: Option<char>,
}

/// Losses (and other numbers) of one iteration, in the trainer's column
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct LossRow {
    /// Iteration number (1-based).
    pub iteration: u64,
    /// One value per column.
    pub values: Vec<f32>,
}

/// Reads back the rows of a `losses.csv` up to `until` (inclusive) as rows
/// of `columns` values (cut or padded with NaN), skipping what cannot be
/// parsed (an empty field is a value not measured, NaN); used when a run
/// resumes.
pub fn read_csv(path: &Path, columns: usize, until: u64) -> Vec<LossRow> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split(',');
            let iteration = fields.next()?.parse().ok()?;
            let mut values: Vec<f32> = fields
                .map(|v| {
                    if v.is_empty() {
                        Some(f32::NAN)
                    } else {
                        v.parse().ok()
                    }
                })
                .collect::<Option<_>>()?;
            // Monitors may be switched on or off when a run resumes.
            values.resize(columns, f32::NAN);
            Some(LossRow { iteration, values })
        })
        .filter(|row| row.iteration <= until)
        .collect()
}

/// Writes `iteration,<column names>` and all rows to `path` (atomically);
/// NaN (not measured in that iteration) is written as an empty field.
pub fn write_csv(path: &Path, columns: &[Column], rows: &[LossRow]) -> Result<(), TrainError> {
    let mut text = String::from("iteration");
    for column in columns {
        text.push(',');
        text.push_str(column.name);
    }
    text.push('\n');
    for row in rows {
        text.push_str(&row.iteration.to_string());
        for value in &row.values {
            if value.is_nan() {
                text.push(',');
            } else {
                text.push_str(&format!(",{value:.6}"));
            }
        }
        text.push('\n');
    }
    Ok(write_atomic(path, text.as_bytes())?)
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;
const MARGIN: u32 = 40;
const PALETTE: [Rgb<u8>; 6] = [
    Rgb([214, 60, 48]),
    Rgb([40, 100, 210]),
    Rgb([40, 160, 70]),
    Rgb([230, 150, 20]),
    Rgb([150, 60, 190]),
    Rgb([60, 60, 60]),
];

/// Height of each monitor panel below the loss curves.
const MONITOR_HEIGHT: u32 = 170;

/// Plots the labelled columns that are not all zero against the iteration,
/// each smoothed by a moving average and in its own colour with its letter
/// in the legend, with the axis ranges written at the ends of the axes.
/// With `log`, values are plotted as log10 (for loss terms of very different
/// sizes). Below, one panel per labelled monitor column (values after the
/// losses in each row, NaN where not measured), its measurements joined by
/// lines on their own linear scale.
pub fn plot_losses(
    rows: &[LossRow],
    columns: &[Column],
    monitors: &[Column],
    log: bool,
    path: &Path,
) -> Result<(), TrainError> {
    let series = |i: usize| -> Vec<f32> {
        rows.iter()
            .map(|r| r.values.get(i).copied().unwrap_or(f32::NAN))
            .collect()
    };
    let smooth = |values: Vec<f32>| -> Vec<f32> {
        let window = (values.len() / 50).max(1);
        (0..values.len())
            .map(|i| {
                let from = i.saturating_sub(window - 1);
                values[from..=i].iter().sum::<f32>() / (i - from + 1) as f32
            })
            .collect()
    };
    let losses: Vec<(char, Vec<f32>)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, column)| {
            let label = column.label?;
            let raw = series(i);
            if raw.iter().all(|&v| v == 0.0) {
                return None;
            }
            let values = raw
                .into_iter()
                .map(|v| if log { v.max(1e-12).log10() } else { v })
                .collect();
            Some((label, smooth(values)))
        })
        .collect();
    let monitors: Vec<(char, Vec<f32>)> = monitors
        .iter()
        .enumerate()
        .filter_map(|(k, column)| {
            let values = series(columns.len() + k);
            let label = column.label?;
            values
                .iter()
                .any(|v| v.is_finite())
                .then_some((label, values))
        })
        .collect();
    let height = HEIGHT + MONITOR_HEIGHT * monitors.len() as u32;
    let mut image = RgbImage::from_pixel(WIDTH, height, Rgb([255, 255, 255]));
    panel(&mut image, 0, HEIGHT, rows, &losses, log, 0);
    for (k, monitor) in monitors.iter().enumerate() {
        let top = HEIGHT + MONITOR_HEIGHT * k as u32;
        let colour = losses.len() + k;
        panel(
            &mut image,
            top,
            MONITOR_HEIGHT,
            rows,
            std::slice::from_ref(monitor),
            false,
            colour,
        );
    }
    save(&image, path)
}

/// Draws `curves` (one value per row, NaN for none) in the band of `image`
/// from `top`, `height` pixels high; colours start at `colour`. Consecutive
/// finite values are joined, gaps of NaN bridged.
fn panel(
    image: &mut RgbImage,
    top: u32,
    height: u32,
    rows: &[LossRow],
    curves: &[(char, Vec<f32>)],
    log: bool,
    colour: usize,
) {
    let (lo, hi) = curves
        .iter()
        .flat_map(|(_, values)| values)
        .filter(|v| v.is_finite())
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let (lo, hi) = if lo > hi {
        (0.0, 1.0)
    } else if log {
        (lo, hi.max(lo + 1e-3))
    } else {
        (lo.min(0.0), hi.max(lo + 1e-3))
    };
    let (x0, y0, x1, y1) = (
        MARGIN,
        top + height - MARGIN,
        WIDTH - MARGIN / 2,
        top + MARGIN / 2,
    );
    let grey = Rgb([120, 120, 120]);
    line(image, (x0, y0), (x1, y0), grey);
    line(image, (x0, y0), (x0, y1), grey);
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
    for (k, (label, values)) in curves.iter().enumerate() {
        let colour = PALETTE[(colour + k) % PALETTE.len()];
        let mut previous: Option<(u32, u32)> = None;
        for (value, row) in values.iter().zip(rows) {
            if !value.is_finite() {
                continue;
            }
            let point = to_px(row.iteration, *value);
            if let Some(previous) = previous {
                line(image, previous, point, colour);
            }
            previous = Some(point);
        }
        let legend_x = x1 - 20 * (curves.len() - k) as u32;
        text(image, legend_x, y1 + 4, &label.to_string(), colour);
    }
    let axis = |v: f32| {
        if log {
            format!("1E{v:.1}")
        } else if v.abs() < 0.1 && v != 0.0 {
            format!("{v:.4}")
        } else {
            format!("{v:.2}")
        }
    };
    text(image, 4, y1, &axis(hi), grey);
    text(image, 4, y0 - 6, &axis(lo), grey);
    text(image, x0, y0 + 8, &first.to_string(), grey);
    let last_label = last.to_string();
    text(
        image,
        x1 - 4 * last_label.len() as u32 * 2,
        y0 + 8,
        &last_label,
        grey,
    );
}

pub(crate) fn paste(sheet: &mut RgbImage, image: &RgbImage, x: u32, y: u32) {
    image::imageops::replace(sheet, image, x as i64, y as i64);
}

pub(crate) fn save(image: &RgbImage, path: &Path) -> Result<(), TrainError> {
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
    Ok(write_atomic(path, &bytes)?)
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

/// Draws digits, `.`, `-` and a few capitals in a 3×5 pixel font at twice
/// size.
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
            'A' => [2, 5, 7, 5, 5],
            'C' => [7, 4, 4, 4, 7],
            'D' => [6, 5, 5, 5, 6],
            'E' => [7, 4, 6, 4, 7],
            'F' => [7, 4, 6, 4, 4],
            'G' => [7, 4, 5, 5, 7],
            'L' => [4, 4, 4, 4, 7],
            'P' => [6, 5, 6, 4, 4],
            'S' => [7, 4, 7, 1, 7],
            'T' => [7, 2, 2, 2, 2],
            'V' => [5, 5, 5, 5, 2],
            'W' => [5, 5, 5, 7, 5],
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
