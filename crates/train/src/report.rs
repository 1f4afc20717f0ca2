//! What a training run leaves to look at: a CSV of losses, a loss-curve PNG
//! and sample sheets.

use std::path::Path;

use image::RgbImage;
use plotters::prelude::*;

use super::error::TrainError;
use bevy_gan_style_runtime::model::write_atomic;

/// One loss column of a training run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// CSV header name, and the curve's name in the plot's legend.
    pub name: &'static str,
    /// Whether the loss curve shows it (some columns are only logged).
    pub plot: bool,
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
    let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(path) else {
        return Vec::new();
    };
    reader
        .records()
        .filter_map(|record| {
            let record = record.ok()?;
            let mut fields = record.iter();
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
    let mut writer = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| TrainError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    writer
        .write_record(std::iter::once("iteration").chain(columns.iter().map(|c| c.name)))
        .map_err(csv_error)?;
    for row in rows {
        let values = row.values.iter().map(|value| {
            if value.is_nan() {
                String::new()
            } else {
                format!("{value:.6}")
            }
        });
        writer
            .write_record(std::iter::once(row.iteration.to_string()).chain(values))
            .map_err(csv_error)?;
    }
    let text = writer
        .into_inner()
        .map_err(|e| csv_error(e.into_error().into()))?;
    Ok(write_atomic(path, &text)?)
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 360;
/// Height of each monitor panel below the loss curves.
const MONITOR_HEIGHT: u32 = 170;
const PALETTE: [RGBColor; 6] = [
    RGBColor(214, 60, 48),
    RGBColor(40, 100, 210),
    RGBColor(40, 160, 70),
    RGBColor(230, 150, 20),
    RGBColor(150, 60, 190),
    RGBColor(60, 60, 60),
];
/// The plots' typeface (registered with plotters once).
const FONT: &str = "sans-serif";

/// Plots the plotted columns that are not all zero against the iteration,
/// each smoothed by a moving average, in its own colour and named in the
/// legend. With `log`, the value axis is logarithmic (for loss terms of
/// very different sizes). Below, one panel per plotted monitor column
/// (values after the losses in each row, NaN where not measured), its
/// measurements joined by lines on their own linear scale.
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
    let losses: Vec<Curve> = columns
        .iter()
        .enumerate()
        .filter(|(i, column)| column.plot && series(*i).iter().any(|&v| v != 0.0))
        .map(|(i, column)| (column.name, smooth(series(i))))
        .collect();
    let monitors: Vec<Curve> = monitors
        .iter()
        .enumerate()
        .map(|(k, column)| (column, series(columns.len() + k)))
        .filter(|(column, values)| column.plot && values.iter().any(|v| v.is_finite()))
        .map(|(column, values)| (column.name, values))
        .collect();
    let height = HEIGHT + MONITOR_HEIGHT * monitors.len() as u32;
    let mut pixels = vec![255u8; (WIDTH * height * 3) as usize];
    let plot_error = |error: String| TrainError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("loss plot: {error}")),
    };
    draw(&mut pixels, height, rows, &losses, &monitors, log).map_err(plot_error)?;
    let image = RgbImage::from_raw(WIDTH, height, pixels)
        .ok_or_else(|| plot_error("wrong buffer size".into()))?;
    save(&image, path)
}

/// A named series, one value per row (NaN where not measured).
type Curve = (&'static str, Vec<f32>);

/// Draws the loss panel and the monitor panels into `pixels` (RGB,
/// `WIDTH × height`).
fn draw(
    pixels: &mut [u8],
    height: u32,
    rows: &[LossRow],
    losses: &[Curve],
    monitors: &[Curve],
    log: bool,
) -> Result<(), String> {
    static FONT_REGISTERED: std::sync::Once = std::sync::Once::new();
    FONT_REGISTERED.call_once(|| {
        // Fails only for a font it cannot parse; text is then left out.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let breaks: Vec<u32> = (0..monitors.len() as u32)
        .map(|k| HEIGHT + MONITOR_HEIGHT * k)
        .collect();
    let areas = root.split_by_breakpoints::<u32, u32, _, _>([], breaks);
    let first = rows.first().map_or(0, |r| r.iteration);
    let last = rows.last().map_or(1, |r| r.iteration.max(first + 1));
    let iterations: Vec<u64> = rows.iter().map(|r| r.iteration).collect();
    let (lo, hi) = value_range(losses, log);
    let losses_title = if log { "losses (log scale)" } else { "losses" };
    let mut chart = ChartBuilder::on(&areas[0]);
    chart.caption(losses_title, (FONT, 16));
    if log {
        panel(
            chart,
            first..last,
            (lo..hi).log_scale(),
            &iterations,
            losses,
            0,
        )?;
    } else {
        panel(chart, first..last, lo..hi, &iterations, losses, 0)?;
    }
    for (k, monitor) in monitors.iter().enumerate() {
        let (lo, hi) = value_range(std::slice::from_ref(monitor), false);
        let chart = ChartBuilder::on(&areas[k + 1]);
        let curves = std::slice::from_ref(monitor);
        panel(
            chart,
            first..last,
            lo..hi,
            &iterations,
            curves,
            losses.len() + k,
        )?;
    }
    root.present().map_err(|e| e.to_string())
}

/// The value range of `curves`' finite values (positive with `log`).
fn value_range(curves: &[Curve], log: bool) -> (f64, f64) {
    let (lo, hi) = curves
        .iter()
        .flat_map(|(_, values)| values)
        .filter(|v| v.is_finite() && (!log || **v > 0.0))
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| {
            (lo.min(v.into()), hi.max(v.into()))
        });
    match (lo > hi, log) {
        (true, _) => (if log { 1e-3 } else { 0.0 }, 1.0),
        (false, true) => (lo, hi.max(lo * 1.01)),
        (false, false) => (lo.min(0.0), hi.max(lo + 1e-3)),
    }
}

/// One panel: axes with their labels and `curves` (one value per
/// iteration, NaN for none; consecutive finite values are joined, gaps
/// bridged), colours from `colour` on, named in a legend.
fn panel<'a, DB, Y>(
    mut chart: ChartBuilder<'a, 'a, DB>,
    x: std::ops::Range<u64>,
    y: Y,
    iterations: &[u64],
    curves: &[Curve],
    colour: usize,
) -> Result<(), String>
where
    DB: DrawingBackend + 'a,
    Y: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
    Y::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
{
    let mut chart = chart
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(56)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .label_style((FONT, 12))
        .x_labels(6)
        .y_labels(5)
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (name, values)) in curves.iter().enumerate() {
        let colour = PALETTE[(colour + k) % PALETTE.len()];
        let points = iterations
            .iter()
            .zip(values)
            .filter(|(_, v)| v.is_finite())
            .map(|(&i, &v)| (i, f64::from(v)));
        chart
            .draw_series(LineSeries::new(points, colour.stroke_width(1)))
            .map_err(|e| e.to_string())?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], colour));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, 12))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK.mix(0.3))
        .draw()
        .map_err(|e| e.to_string())
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
