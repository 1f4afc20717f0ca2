//! One optimiser step of `train_style`'s network (`--width 32 --depth 5`,
//! one style) and of the lite student distilled from multistyle26
//! (`--teacher … --lite --alpha 0 --pixel-weight 50`) on burn's CPU
//! backend beside the same step in PyTorch (`benches/torch_training.py`:
//! the same networks, VGG16 loss network, losses and Adam) on the same CPU
//! and thread count, median after two warm-up steps, in one run; then where
//! burn's step spends its time (data, forward, discriminator, backward,
//! optimiser) and PyTorch's per-op profile (`torch.profiler`) of the first
//! configuration. Then `train_texture`'s step (PSGAN generator and patch
//! discriminator, default sizes) the same way. Last, the step's
//! convolutions one by one (VGG16's and the style network's, at the first
//! configuration's sizes), forward and backward, by burn-flex's own kernels,
//! by the crate's (`nn::conv2d`, what the networks run) and by PyTorch. And the steps
//! per second of data-parallel training here: the first configuration at
//! batch 4 by one peer and by two (threads, batch 2 each).
//!
//! ```text
//! pip install torch     # the comparison only
//! cargo bench --features train --bench training
//! cargo bench --features train --bench training -- parallel   # that part only
//! cargo bench --features train --bench training -- convs      # that part only
//! cargo bench --features train --bench training -- steps [WORD] # the step table (setups named WORD)
//! ```

#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/root.rs"]
mod root;
#[path = "common/timing.rs"]
mod timing;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use bevy_gan_style::nn::{self, MultiStyleConfig, PsganConfig};
use bevy_gan_style::prelude::CpuBackend;
use bevy_gan_style::train::{
    AdversarialLoss, DataParallel, PatchDiscriminatorConfig, StyleTrainConfig, StyleTrainer,
    TeacherConfig, TextureTrainConfig, TextureTrainer, TrainError, Trainer,
};
use burn::backend::Autodiff;
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

type Train = Autodiff<CpuBackend>;

/// Which trainer a configuration runs.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `train_style`'s network learning one style.
    Style,
    /// The lite student distilled from multistyle26.
    Student,
    /// `train_texture`'s generator and discriminator.
    Texture,
}

/// A training configuration: crop side, batch, adversarial loss
/// (`train_style --adv`'s names; the texture GAN's is its default BCE).
struct Setup {
    kind: Kind,
    size: usize,
    batch: usize,
    adv: &'static str,
    runs: usize,
}

/// multistyle26's styles its lite student learned.
const STUDENT_STYLES: [usize; 8] = [0, 3, 5, 7, 12, 18, 20, 23];

const SETUPS: [Setup; 5] = [
    Setup {
        size: 128,
        batch: 2,
        adv: "none",
        kind: Kind::Style,
        runs: 5,
    },
    Setup {
        size: 256,
        batch: 4,
        adv: "none",
        kind: Kind::Style,
        runs: 3,
    },
    Setup {
        size: 128,
        batch: 2,
        adv: "lsgan",
        kind: Kind::Style,
        runs: 5,
    },
    Setup {
        size: 128,
        batch: 4,
        adv: "none",
        kind: Kind::Student,
        runs: 5,
    },
    Setup {
        size: 64,
        batch: 8,
        adv: "bce",
        kind: Kind::Texture,
        runs: 5,
    },
];

impl Setup {
    fn name(&self) -> String {
        let what = match self.kind {
            Kind::Style => "style",
            Kind::Student => "lite student",
            Kind::Texture => "texture GAN",
        };
        format!(
            "{what} {}² batch {} adv {}",
            self.size, self.batch, self.adv
        )
    }

    fn config(&self) -> StyleTrainConfig {
        let root = root::root();
        let adversarial = (self.adv != "none")
            .then(|| self.adv.parse::<AdversarialLoss>().expect("a known loss"));
        let content = vec![format!("{root}/assets/images/content")];
        let vgg = format!("{root}/assets/training/vgg16_features.safetensors");
        let config = if self.kind == Kind::Student {
            let teacher =
                TeacherConfig::new(format!("{root}/assets/models/multistyle26.style.ron"))
                    .with_styles(STUDENT_STYLES.to_vec())
                    .with_pixel_weight(50.0);
            let net = MultiStyleConfig::lite(STUDENT_STYLES.len());
            StyleTrainConfig::new(net, Vec::new(), content, vgg)
                .with_teacher(Some(teacher))
                .with_style_weight(0.0)
        } else {
            let net = MultiStyleConfig::new(1, [32, 32, 32], 5, [16, 8]);
            let style = format!("{root}/assets/styles/great_wave_hokusai.jpg");
            StyleTrainConfig::new(net, vec![style], content, vgg)
        };
        config
            .with_size(self.size)
            .with_batch(self.batch)
            .with_adversarial(adversarial)
    }

    /// The texture GAN's run: `train_texture`'s defaults on the gravel exemplar.
    fn texture(&self) -> (TextureTrainConfig, Vec<PathBuf>) {
        let generator = PsganConfig::new(vec![64, 32, 16]).with_periodic_dim(4);
        let discriminator = PatchDiscriminatorConfig::new(vec![32, 64, 128]);
        let config = TextureTrainConfig::new(generator, discriminator)
            .with_size(self.size)
            .with_batch(self.batch);
        let exemplar = format!("{}/assets/textures/exemplars/gravel_gray.png", root::root());
        (config, vec![exemplar.into()])
    }
}

/// Median step time of burn, and the phases of one more step.
fn burn_step(setup: &Setup) -> (f64, Vec<(&'static str, Duration)>) {
    let device = Default::default();
    let mut trainer: Box<dyn Trainer> = match setup.kind {
        Kind::Texture => {
            let (config, exemplars) = setup.texture();
            Box::new(TextureTrainer::<Train>::new(config, &exemplars, &device).expect("assets"))
        }
        _ => Box::new(StyleTrainer::<Train>::new(setup.config(), &device).expect("assets")),
    };
    for _ in 0..2 {
        trainer.step().expect("a step");
    }
    let mut times: Vec<f64> = (0..setup.runs)
        .map(|_| {
            let start = Instant::now();
            trainer.step().expect("a step");
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    trainer.profile_phases(true);
    trainer.step().expect("a step");
    let phases = trainer
        .last_phases()
        .map(|p| p.0.clone())
        .unwrap_or_default();
    (times[times.len() / 2], phases)
}

/// PyTorch's median step time (and with `profile`, its op table printed),
/// or why it could not run.
fn torch_step(setup: &Setup, threads: usize, profile: bool) -> Result<f64, String> {
    let mut command = Command::new("python3");
    command
        .arg(format!("{}/benches/torch_training.py", root::root()))
        .args(["--threads", &threads.to_string()])
        .args(["--runs", &setup.runs.to_string()])
        .args(["--size", &setup.size.to_string()])
        .args(["--batch", &setup.batch.to_string()])
        .args(["--adv", setup.adv]);
    match setup.kind {
        Kind::Style => {}
        Kind::Student => {
            command.arg("--student");
        }
        Kind::Texture => {
            command.arg("--texture");
        }
    }
    if profile {
        command.arg("--profile");
    }
    let output = command.output().map_err(|e| format!("python3: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.lines().last().unwrap_or("python3 failed").into());
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut lines = stdout.lines();
    let step = lines
        .next()
        .and_then(|line| line.strip_prefix("step ")?.trim().parse().ok())
        .ok_or("no step time in the script's output")?;
    if profile {
        println!(
            "PyTorch, {} (one step, self CPU time per op):",
            setup.name()
        );
        for line in lines {
            println!("  {line}");
        }
    }
    Ok(step)
}

/// The first configuration's convolutions, `(batch, in, out, kernel,
/// input side)` with the padding already applied: VGG16's at each block,
/// then the style network's 9×9 input and output convolutions and a
/// residual block's 3×3.
const CONVS: [(usize, usize, usize, usize, usize); 8] = [
    (2, 64, 64, 3, 130),
    (2, 128, 128, 3, 66),
    (2, 256, 256, 3, 34),
    (2, 512, 512, 3, 18),
    (2, 3, 32, 9, 136),
    (2, 32, 32, 3, 34),
    (2, 16, 8, 3, 130),
    (2, 8, 3, 9, 136),
];

/// A convolution: burn's own (`burn::tensor::module::conv2d`) or the
/// crate's (`nn::conv2d`, what the networks run).
type Conv<B> = fn(Tensor<B, 4>, Tensor<B, 4>, Option<Tensor<B, 1>>, ConvOptions<2>) -> Tensor<B, 4>;

/// Median forward and backward (both gradients of the output's sum) ms of
/// one convolution on burn's CPU backend, by `forward` and `tracked`.
fn time_conv(
    (n, cin, cout, k, side): (usize, usize, usize, usize, usize),
    forward: Conv<CpuBackend>,
    tracked: Conv<Train>,
) -> (f64, f64) {
    let device = Default::default();
    let options = ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
    let x = Tensor::<CpuBackend, 4>::random([n, cin, side, side], Distribution::Default, &device);
    let w = Tensor::<CpuBackend, 4>::random([cout, cin, k, k], Distribution::Default, &device);
    let forward = timing::median_ms::<CpuBackend>(&device, 5, || {
        drop(forward(x.clone(), w.clone(), None, options.clone()));
    });
    let x = Tensor::<Train, 4>::from_inner(x).require_grad();
    let w = Tensor::<Train, 4>::from_inner(w).require_grad();
    let both = timing::median_ms::<Train>(&device, 5, || {
        drop(
            tracked(x.clone(), w.clone(), None, options.clone())
                .sum()
                .backward(),
        );
    });
    (forward, both - forward)
}

/// PyTorch's forward and backward ms per shape of [`CONVS`].
fn torch_convs(threads: usize) -> Result<Vec<(f64, f64)>, String> {
    let shapes = CONVS.map(|(n, cin, cout, k, side)| format!("{n},{cin},{cout},{k},{side}"));
    let output = Command::new("python3")
        .arg(format!("{}/benches/torch_training.py", root::root()))
        .args(["--threads", &threads.to_string(), "--runs", "5", "--conv"])
        .args(&shapes)
        .output()
        .map_err(|e| format!("python3: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(stderr.lines().last().unwrap_or("python3 failed").into());
    }
    let times: Vec<(f64, f64)> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace().skip(2);
            Some((words.next()?.parse().ok()?, words.next()?.parse().ok()?))
        })
        .collect();
    if times.len() == CONVS.len() {
        Ok(times)
    } else {
        Err("the script timed fewer convolutions".into())
    }
}

/// The convolution table: burn's, the crate's and PyTorch's, forward and
/// backward.
fn compare_convs(threads: usize) {
    println!("\nThe step's convolutions alone (batch, in → out, kernel, padded input side), ms:");
    println!(
        "| convolution | burn-flex fwd | crate fwd | PyTorch fwd | crate / PyTorch | burn-flex bwd | crate bwd | PyTorch bwd | crate / PyTorch |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let torch = torch_convs(threads);
    if let Err(why) = &torch {
        println!("PyTorch skipped: {why}");
    }
    for (index, shape) in CONVS.into_iter().enumerate() {
        let (flex_forward, flex_backward) = time_conv(shape, conv2d, conv2d);
        let (forward, backward) = time_conv(shape, nn::conv2d, nn::conv2d);
        let (n, cin, cout, k, side) = shape;
        let (tf, tf_ratio, tb, tb_ratio) = match &torch {
            Ok(times) => {
                let (f, b) = times[index];
                let ratio = |ours: f64, torch: f64| format!("{:.1}×", ours / torch);
                (
                    format!("{f:.1}"),
                    ratio(forward, f),
                    format!("{b:.1}"),
                    ratio(backward, b),
                )
            }
            Err(_) => ("–".into(), "–".into(), "–".into(), "–".into()),
        };
        println!(
            "| {n}×{cin}→{cout}, {k}×{k}, {side}² | {flex_forward:.1} | {forward:.1} | {tf} | {tf_ratio} | {flex_backward:.1} | {backward:.1} | {tb} | {tb_ratio} |"
        );
    }
}

/// Steps per second of `config` by `peers` threads of this machine (one
/// trainer alone for 1), after two warm-up steps.
fn steps_per_second(config: &StyleTrainConfig, peers: usize, steps: u64) -> f64 {
    let time = move |trainer: &mut StyleTrainer<Train>| -> Result<f64, TrainError> {
        for _ in 0..2 {
            trainer.step()?;
        }
        let start = Instant::now();
        for _ in 0..steps {
            trainer.step()?;
        }
        Ok(steps as f64 / start.elapsed().as_secs_f64())
    };
    if peers == 1 {
        let mut trainer = StyleTrainer::<Train>::new(config.clone(), &Default::default())
            .expect("the trainer starts");
        return time(&mut trainer).expect("training runs");
    }
    let parallel = DataParallel {
        devices: peers,
        nodes: None,
        timeout: Duration::from_secs(600),
    };
    let (rate, rates) = std::sync::mpsc::channel();
    let config = config.clone();
    parallel
        .launch::<CpuBackend, TrainError, _>(
            vec![Default::default(); peers],
            move |peer, device| {
                let writer = peer.is_writer();
                let mut trainer = StyleTrainer::<Train>::new(config.clone(), &device)?;
                trainer.join(peer)?;
                let measured = time(&mut trainer)?;
                if writer {
                    let _ = rate.send(measured);
                }
                Ok(())
            },
        )
        .expect("data-parallel training runs");
    rates.recv().expect("the writer's rate")
}

/// Steps per second of the first configuration at batch 4 by one peer and
/// by two, in one run.
fn data_parallel(threads: usize) {
    let config = SETUPS[0].config().with_batch(4);
    let steps = 6;
    let one = steps_per_second(&config, 1, steps);
    let two = steps_per_second(&config, 2, steps);
    println!(
        "\ndata-parallel, style 128² batch 4 ({threads} CPU threads), {steps} steps after 2 warm-ups:"
    );
    println!("| peers | batch per peer | steps/s | × one peer |");
    println!("|---|---|---|---|");
    println!("| 1 | 4 | {one:.3} | 1.00× |");
    println!("| 2 (threads) | 2 | {two:.3} | {:.2}× |", two / one);
}

fn main() {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("CPU: {} ({threads} threads)", cpu::cpu_name());
    if std::env::args().any(|a| a == "parallel") {
        data_parallel(threads);
        return;
    }
    if std::env::args().any(|a| a == "convs") {
        compare_convs(threads);
        return;
    }
    // `steps [WORD]`: the step table alone, of the setups whose name holds WORD.
    let args: Vec<String> = std::env::args().collect();
    let steps_only = args.iter().position(|a| a == "steps");
    let word = steps_only
        .and_then(|i| args.get(i + 1))
        .map_or("", String::as_str);
    println!("| step | burn CPU ms | PyTorch ms | burn / PyTorch |");
    println!("|---|---|---|---|");
    let mut profiles = Vec::new();
    for (index, setup) in SETUPS.iter().enumerate() {
        if !setup.name().contains(word) {
            continue;
        }
        let (burn, phases) = burn_step(setup);
        let torch = torch_step(setup, threads, index == 0);
        let (torch_ms, ratio) = match &torch {
            Ok(ms) => (format!("{ms:.0}"), format!("{:.2}×", burn / ms)),
            Err(why) => (format!("skipped ({why})"), "–".into()),
        };
        println!("| {} | {burn:.0} | {torch_ms} | {ratio} |", setup.name());
        profiles.push((setup.name(), phases));
    }
    println!("\nburn's step by phase (each ended by a device sync), ms:");
    for (name, phases) in profiles {
        let parts: Vec<String> = phases
            .iter()
            .map(|(phase, time)| format!("{phase} {:.0}", time.as_secs_f64() * 1e3))
            .collect();
        println!("  {name}: {}", parts.join(", "));
    }
    if steps_only.is_some() {
        return;
    }
    compare_convs(threads);
    data_parallel(threads);
}
