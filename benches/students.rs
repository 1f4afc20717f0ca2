//! The lite students beside their teachers, measured in one run:
//! multiply-accumulates; forward-pass time on burn's CPU backend and on the
//! GPU adapter Bevy renders with; how close the students come to their
//! teachers on photos they never saw (VGG16 relu3_3 distance to the
//! teacher's output against the photo's own distance to it, LPIPS); and the
//! warping error of each on the camera filter's scripted orbit, without
//! run-time stabilisation. Writes the picture grid
//! `out/students/grid.png`: photo | teacher | students, per family.
//!
//! ```text
//! cargo bench --bench students
//! ```
//!
//! Candidates not shipped yet join a family as `TEACHER=CARD` arguments;
//! then only the families named are measured:
//!
//! ```text
//! cargo bench --features train --bench students -- ml5_wave=out/W/W.style.ron
//! ```

#[path = "common/adapter.rs"]
mod adapter;
#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/gpu.rs"]
mod gpu;
#[path = "../examples/common/headless.rs"]
mod headless;
#[path = "common/root.rs"]
mod root;
#[path = "common/scene.rs"]
mod scene;
#[path = "common/timing.rs"]
mod timing;

use std::collections::HashMap;
use std::path::Path;

use bevy::prelude::*;
use bevy_gan_style::bridge::tensor_to_image;
use bevy_gan_style::eval::{Lpips, content_distance};
use bevy_gan_style::nn::Vgg16;
use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{ImageSet, Teacher, TeacherConfig};
use burn::prelude::Tensor;
use image::RgbImage;
use scene::{ORBIT_FRAMES, ORBIT_SIZE, ORBIT_WARM, orbit_transform, set_target, spawn_scene};
use timing::forward_ms;

/// Forward-pass sizes of the time columns.
const SIZES: [(usize, usize); 2] = [(256, 168), (640, 360)];
const RUNS: usize = 5;
/// Square crop of the photos for the closeness columns and the grid.
const CROP: usize = 256;

/// A teacher, the stored styles it taught, and its students (student style
/// `k` learned teacher style `styles[k]`).
struct Family {
    teacher: &'static str,
    styles: &'static [usize],
    students: &'static [&'static str],
    /// Student styles flown on the orbit.
    orbit_styles: &'static [usize],
}

const FAMILIES: [Family; 2] = [
    Family {
        teacher: "multistyle26",
        styles: &[0, 3, 5, 7, 12, 18, 20, 23],
        students: &["multistyle26_lite", "multistyle26_lite_temporal"],
        orbit_styles: &[0, 3],
    },
    Family {
        teacher: "ml5_wave",
        styles: &[0],
        students: &["ml5_wave_lite"],
        orbit_styles: &[0],
    },
];

type Cpu = CpuBackend;

/// `TEACHER=CARD` arguments: candidate student cards per family.
fn candidates() -> Result<Vec<(String, String)>, String> {
    std::env::args()
        .skip(1)
        // cargo passes `--bench` to benches without a harness.
        .filter(|arg| !arg.starts_with("--"))
        .map(|arg| {
            let (teacher, card) = arg
                .split_once('=')
                .ok_or_else(|| format!("`{arg}`: expected TEACHER=CARD"))?;
            if !FAMILIES.iter().any(|f| f.teacher == teacher) {
                return Err(format!("`{teacher}`: not a family's teacher"));
            }
            if !Path::new(card).is_file() {
                return Err(format!("`{card}`: no such card"));
            }
            Ok((teacher.to_string(), card.to_string()))
        })
        .collect()
}

/// The cards of a family's students: the shipped ones and the candidates.
fn student_cards(root: &str, family: &Family, candidates: &[(String, String)]) -> Vec<String> {
    family
        .students
        .iter()
        .map(|name| format!("{root}/assets/models/{name}.style.ron"))
        .chain(
            candidates
                .iter()
                .filter(|(teacher, _)| teacher == family.teacher)
                .map(|(_, card)| card.clone()),
        )
        .collect()
}

fn main() {
    let candidates = match candidates() {
        Ok(candidates) => candidates,
        Err(message) => {
            eprintln!("students: {message}");
            std::process::exit(2);
        }
    };
    let families: Vec<&Family> = FAMILIES
        .iter()
        .filter(|f| candidates.is_empty() || candidates.iter().any(|(t, _)| t == f.teacher))
        .collect();
    println!("CPU: {}", cpu::cpu_name());
    let gpu = gpu::bevy_gpu();
    let adapter = gpu
        .as_ref()
        .map_or("no GPU".to_string(), |g| g.adapter.clone());
    if let Some(gpu) = &gpu {
        println!("GPU: {}", gpu.driver);
    }
    let root = root::root();
    let device = Default::default();
    let vgg_path = format!("{root}/assets/training/vgg16_features.safetensors");
    let vgg = Vgg16::<Cpu>::load(Path::new(&vgg_path), &device).expect("VGG16 weights");
    let lpips = Lpips::<Cpu>::load(
        Path::new(&vgg_path),
        Path::new(&format!("{root}/assets/training/lpips_vgg_lin.safetensors")),
        &device,
    )
    .expect("LPIPS heads");
    let (photos, _) = ImageSet::from_folder(
        Path::new(&format!("{root}/assets/images/content")),
        CROP,
        CROP,
    )
    .expect("bundled photos");
    let photos: Vec<Tensor<Cpu, 4>> = (0..photos.len())
        .map(|i| photos.centre_crop(i, CROP, &device))
        .collect();

    println!(
        "\n| model | GMAC at {}×{} | × teacher | CPU ms {} | × teacher | {adapter} ms {} | × teacher | VGG relu3_3 distance to the teacher's output (photo's own) | ratio | LPIPS to the teacher's output | warping error on the orbit | × teacher |",
        SIZES[0].0,
        SIZES[0].1,
        sizes_label(),
        sizes_label()
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    // Every network is timed before any orbit app exists (those leave
    // threads and caches behind that would skew later timings).
    let cards: Vec<String> = families
        .iter()
        .flat_map(|family| {
            std::iter::once(format!("{root}/assets/models/{}.style.ron", family.teacher))
                .chain(student_cards(&root, family, &candidates))
        })
        .filter(|card| Path::new(card).exists())
        .collect();
    let timings: HashMap<String, Timing> = cards
        .into_iter()
        .map(|card| {
            let timing = Timing::of(&card, &gpu);
            (card, timing)
        })
        .collect();
    let mut columns: Vec<Vec<RgbImage>> = vec![photos.iter().map(to_rgb).collect()];
    for family in families {
        let teacher_card = format!("{root}/assets/models/{}.style.ron", family.teacher);
        let teacher = Teacher::<Cpu>::load(
            &TeacherConfig::new(teacher_card.clone()).with_styles(family.styles.to_vec()),
            &device,
        )
        .expect("bundled teacher");
        // The teacher's outputs, photo-major, per taught style.
        let taught: Vec<Vec<Tensor<Cpu, 4>>> = photos
            .iter()
            .map(|photo| {
                (0..teacher.len())
                    .map(|k| teacher.forward(photo.clone(), &[k]))
                    .collect()
            })
            .collect();
        let photo_distance = mean(photos.iter().zip(&taught).flat_map(|(photo, outputs)| {
            outputs
                .iter()
                .map(|t| content_distance(&vgg, photo.clone(), t.clone()))
        }));
        let base = Measured::of(&teacher_card, &teacher, &timings, gpu.is_some(), family);
        base.print(family.teacher, &base, None);
        columns.push(grid_column(&taught, teacher.len()));
        for card in student_cards(&root, family, &candidates) {
            let student = Path::new(&card)
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".style.ron"))
                .unwrap_or(&card)
                .to_string();
            if !Path::new(&card).exists() {
                println!("| {student} | missing: {card} (train it, see MODELS.md) |");
                continue;
            }
            let net = Teacher::<Cpu>::load(&TeacherConfig::new(card.clone()), &device)
                .expect("student card");
            let outputs: Vec<Vec<Tensor<Cpu, 4>>> = photos
                .iter()
                .map(|photo| {
                    (0..net.len())
                        .map(|k| net.forward(photo.clone(), &[k]))
                        .collect()
                })
                .collect();
            let pairs = || {
                outputs
                    .iter()
                    .zip(&taught)
                    .flat_map(|(s, t)| s.iter().zip(t))
            };
            let closeness = Closeness {
                vgg: mean(pairs().map(|(s, t)| content_distance(&vgg, s.clone(), t.clone()))),
                photo: photo_distance,
                lpips: mean(pairs().map(|(s, t)| lpips.distance(s.clone(), t.clone()))),
            };
            let measured = Measured::of(&card, &net, &timings, gpu.is_some(), family);
            measured.print(&student, &base, Some(&closeness));
            columns.push(grid_column(&outputs, net.len()));
        }
    }
    let grid = grid(&columns);
    std::fs::create_dir_all("out/students").expect("out/students");
    grid.save("out/students/grid.png").expect("grid written");
    println!(
        "\ngrid: out/students/grid.png — columns: photo, then per family teacher and students; row r in taught style 2r (of one-style families, style 0)"
    );
}

fn sizes_label() -> String {
    SIZES
        .iter()
        .map(|(w, h)| format!("{w}×{h}"))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Cost and stability of one network.
struct Measured {
    gmac: f64,
    cpu_ms: Vec<f64>,
    gpu_ms: Vec<f64>,
    warping: Option<f64>,
}

/// How close a student's outputs are to its teacher's.
struct Closeness {
    vgg: f64,
    photo: f64,
    lpips: f64,
}

/// Forward-pass times of one network at `SIZES`.
struct Timing {
    cpu_ms: Vec<f64>,
    gpu_ms: Vec<f64>,
}

impl Timing {
    fn of(card: &str, gpu: &Option<gpu::BenchGpu>) -> Self {
        let model = StyleModel::load_file(card).expect("card");
        Self {
            cpu_ms: forward_ms::<Cpu>(&model, &Default::default(), &SIZES, RUNS),
            gpu_ms: gpu.as_ref().map_or_else(Vec::new, |gpu| {
                forward_ms::<GpuBackend>(&model, &gpu.device, &SIZES, RUNS)
            }),
        }
    }
}

impl Measured {
    fn of(
        card: &str,
        net: &Teacher<Cpu>,
        timings: &HashMap<String, Timing>,
        orbit: bool,
        family: &Family,
    ) -> Self {
        let model = StyleModel::load_file(card).expect("card");
        let timing = &timings[card];
        // A student's style k is its teacher's `styles[k]`.
        let student = model.num_styles() == family.styles.len();
        let styles: Vec<usize> = family
            .orbit_styles
            .iter()
            .map(|&k| if student { k } else { family.styles[k] })
            .collect();
        Self {
            gmac: net.net().macs(SIZES[0].0, SIZES[0].1).gmac(),
            cpu_ms: timing.cpu_ms.clone(),
            gpu_ms: timing.gpu_ms.clone(),
            warping: orbit.then(|| {
                mean(
                    styles
                        .iter()
                        .flat_map(|&style| orbit_warping_errors(&model, style)),
                )
            }),
        }
    }

    fn print(&self, name: &str, base: &Measured, closeness: Option<&Closeness>) {
        let times = |ms: &[f64]| {
            ms.iter()
                .map(|t| format!("{t:.1}"))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let ratios = |ms: &[f64], base: &[f64]| {
            ms.iter()
                .zip(base)
                .map(|(t, b)| format!("{:.2}×", t / b))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        let (close, ratio, lpips) = closeness.map_or_else(
            || ("–".to_string(), "–".to_string(), "–".to_string()),
            |c| {
                (
                    format!("{:.3} ({:.3})", c.vgg, c.photo),
                    format!("{:.2}×", c.vgg / c.photo),
                    format!("{:.3}", c.lpips),
                )
            },
        );
        let (warping, warping_ratio) = match (self.warping, base.warping) {
            (Some(w), Some(b)) => (format!("{w:.6}"), format!("{:.2}×", w / b)),
            _ => ("–".to_string(), "–".to_string()),
        };
        println!(
            "| {name} | {:.3} | {:.2}× | {} | {} | {} | {} | {close} | {ratio} | {lpips} | {warping} | {warping_ratio} |",
            self.gmac,
            self.gmac / base.gmac,
            times(&self.cpu_ms),
            ratios(&self.cpu_ms, &base.cpu_ms),
            times(&self.gpu_ms),
            ratios(&self.gpu_ms, &base.gpu_ms),
        );
    }
}

/// Warping errors of the camera filter running `model`'s stored `style`
/// on the scripted orbit, one per measured frame, without run-time
/// stabilisation (history weight 0).
fn orbit_warping_errors(model: &StyleModel, style: usize) -> Vec<f64> {
    let mut app = headless::headless_app(true);
    headless::finish_setup(&mut app);
    let camera = spawn_scene(&mut app, model.clone(), style);
    app.world_mut().entity_mut(camera).insert((
        StyleTemporal {
            history_weight: 0.0,
            ..default()
        },
        WarpingErrorProbe::default(),
    ));
    set_target(&mut app, camera, ORBIT_SIZE);
    let mut errors = Vec::new();
    // Readbacks arrive a frame or two late: count each sample once.
    let mut last = None;
    for frame in 0..ORBIT_FRAMES {
        *app.world_mut()
            .get_mut::<Transform>(camera)
            .expect("camera") = orbit_transform(frame);
        app.update();
        let latest = app
            .world()
            .get::<WarpingErrorProbe>(camera)
            .and_then(|probe| probe.latest);
        if frame >= ORBIT_WARM
            && let Some(sample) = latest
            && last != latest
        {
            errors.push(sample.error);
        }
        last = latest;
    }
    errors
}

fn mean(values: impl IntoIterator<Item = impl Into<f64>>) -> f64 {
    let (sum, count) = values
        .into_iter()
        .fold((0.0, 0usize), |(sum, count), v| (sum + v.into(), count + 1));
    sum / count.max(1) as f64
}

fn to_rgb(image: &Tensor<Cpu, 4>) -> RgbImage {
    tensor_to_image(image.clone(), (0.0, 1.0))
}

/// One grid column: photo `r` in taught style `2r` (wrapping).
fn grid_column(outputs: &[Vec<Tensor<Cpu, 4>>], styles: usize) -> Vec<RgbImage> {
    outputs
        .iter()
        .enumerate()
        .map(|(r, per_style)| to_rgb(&per_style[(2 * r) % styles]))
        .collect()
}

/// Columns side by side, 4 pixels apart.
fn grid(columns: &[Vec<RgbImage>]) -> RgbImage {
    const GAP: u32 = 4;
    let cell = CROP as u32;
    let rows = columns.first().map_or(0, Vec::len) as u32;
    let mut grid = RgbImage::from_pixel(
        columns.len() as u32 * (cell + GAP) - GAP,
        rows * (cell + GAP) - GAP,
        image::Rgb([255, 255, 255]),
    );
    for (c, column) in columns.iter().enumerate() {
        for (r, picture) in column.iter().enumerate() {
            image::imageops::replace(
                &mut grid,
                picture,
                i64::from(c as u32 * (cell + GAP)),
                i64::from(r as u32 * (cell + GAP)),
            );
        }
    }
    grid
}
