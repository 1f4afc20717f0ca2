//! What the training examples share: the backend choice, data-parallel
//! peers and the progress bar.

use std::error::Error;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bevy_gan_style::prelude::*;
use bevy_gan_style::train::{DataParallel, Nodes, Peer, RunEvent, StyleTrainBackend};
use burn::backend::Autodiff;
use burn::backend::wgpu::WgpuDevice;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};

/// `--backend auto|cpu|gpu`.
#[derive(Clone, Copy, ValueEnum)]
pub enum BackendArg {
    /// The GPU when it is a hardware one; burn's CPU backend when the only
    /// adapter is a software rasteriser (slower than the CPU backend on the
    /// same cores) or there is none.
    Auto,
    Cpu,
    Gpu,
}

/// An error a peer's thread can hand back.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// A training job, generic over the autodiff backend; `peer` is its place
/// in a data-parallel run (`None`: it trains alone).
pub trait Train: Clone + Send + Sync + 'static {
    /// What is done once before any peer starts (rendering data).
    fn prepare(&self) -> Result<(), BoxError> {
        Ok(())
    }
    fn train<B: StyleTrainBackend>(
        &self,
        device: &B::Device,
        peer: Option<Peer>,
    ) -> Result<(), BoxError>;
}

/// Data-parallel training: `--devices`, `--nodes`, `--node-rank`,
/// `--coordinator`, `--peer-timeout`.
#[derive(clap::Args, Clone)]
pub struct ParallelArgs {
    /// Peers on this machine, each with batch / peers of every batch and
    /// gradients averaged every step: GPUs 0..N, or N threads of the CPU
    /// backend.
    #[arg(long, default_value_t = 1)]
    devices: usize,
    /// Machines in the run; each runs the same command with its own
    /// --node-rank (node 0 writes reports and checkpoints).
    #[arg(long, default_value_t = 1)]
    nodes: u32,
    /// This machine's index, 0..nodes.
    #[arg(long, default_value_t = 0)]
    node_rank: u32,
    /// HOST:PORT of the coordinator, which node 0 runs (with --nodes > 1).
    #[arg(long)]
    coordinator: Option<String>,
    /// Seconds a peer may wait on the others before the run stops with an
    /// error (a peer or machine that died).
    #[arg(long, default_value_t = 600)]
    peer_timeout: u64,
}

impl ParallelArgs {
    /// The run's split, or `None` for one process on one device.
    fn data_parallel(&self) -> Result<Option<DataParallel>, BoxError> {
        let nodes = match (self.nodes, &self.coordinator) {
            (1, None) if self.node_rank == 0 => None,
            (_, Some(coordinator)) => Some(Nodes {
                count: self.nodes,
                rank: self.node_rank,
                coordinator: coordinator.clone(),
            }),
            _ => return Err("--nodes and --node-rank need --coordinator HOST:PORT".into()),
        };
        if self.devices == 1 && nodes.is_none() {
            return Ok(None);
        }
        let parallel = DataParallel {
            devices: self.devices,
            nodes,
            timeout: Duration::from_secs(self.peer_timeout),
        };
        parallel.validate()?;
        Ok(Some(parallel))
    }
}

/// Runs `job` on the chosen backend, saying which, once or once per peer of
/// `parallel`; errors are printed, not panicked on. Call it first in
/// `main`, before any thread exists.
pub fn run<J: Train>(backend: BackendArg, parallel: Option<&ParallelArgs>, job: &J) -> ExitCode {
    let parallel = match parallel.map(ParallelArgs::data_parallel).transpose() {
        Ok(parallel) => parallel.flatten(),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Mesa's Vulkan drivers print an `error:` line per adapter probe on a
    // machine without a session; pointed at the temporary folder they look
    // quietly (as `headless::quiet_display_probe` does for the other tools).
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: called from `main` before the process has other threads
        // that could read the environment concurrently.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
    let adapter = bevy_gan_style::device::default_adapter(wgpu::Backends::PRIMARY);
    let gpu = match (backend, &adapter) {
        (BackendArg::Cpu, _) => Err("--backend cpu".to_string()),
        (BackendArg::Gpu, _) => Ok(()),
        (BackendArg::Auto, None) => Err("no GPU adapter".into()),
        (BackendArg::Auto, Some(info)) if info.device_type == wgpu::DeviceType::Cpu => {
            Err(format!(
                "the only GPU adapter, {}, is a software rasteriser, slower here; --backend gpu runs on it",
                info.name
            ))
        }
        (BackendArg::Auto, Some(_)) => Ok(()),
    };
    let result = match job.prepare() {
        Err(error) => Err(error),
        Ok(()) => match gpu {
            Err(why) => {
                println!("device: CPU: burn's CPU backend ({why})");
                let devices = parallel.as_ref().map_or(1, |p| p.devices);
                on_peers::<Autodiff<CpuBackend>, J>(
                    job,
                    parallel.as_ref(),
                    vec![Default::default(); devices],
                )
            }
            Ok(()) => {
                let name = adapter.map_or_else(|| "no adapter found".into(), |info| info.name);
                println!("device: GPU: burn's wgpu device ({name})");
                let gpus = match &parallel {
                    Some(p) if p.devices > 1 => {
                        bevy_gan_style::device::discrete_gpus(wgpu::Backends::PRIMARY)
                    }
                    _ => 1,
                };
                match &parallel {
                    Some(p) if p.devices > gpus => Err(format!(
                        "--devices {} needs as many discrete GPUs; this machine has {gpus}",
                        p.devices
                    )
                    .into()),
                    Some(p) if p.devices > 1 => {
                        let devices = (0..p.devices).map(WgpuDevice::DiscreteGpu).collect();
                        on_peers::<Autodiff<GpuBackend>, J>(job, parallel.as_ref(), devices)
                    }
                    _ => on_peers::<Autodiff<GpuBackend>, J>(
                        job,
                        parallel.as_ref(),
                        vec![WgpuDevice::default()],
                    ),
                }
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `job` alone on the first of `devices`, or as one peer per device of
/// `parallel`.
fn on_peers<B: StyleTrainBackend, J: Train>(
    job: &J,
    parallel: Option<&DataParallel>,
    devices: Vec<B::Device>,
) -> Result<(), BoxError> {
    let Some(parallel) = parallel else {
        return job.train::<B>(&devices[0], None);
    };
    println!(
        "data-parallel: {} peer(s) here, {} in all",
        parallel.devices,
        parallel.peers()
    );
    let job = Arc::new(job.clone());
    parallel.launch::<B::InnerBackend, BoxError, _>(devices, move |peer, device| {
        job.train::<B>(&device, Some(peer))
    })
}

/// A bar from iteration `first` to `until`, showing it/s, ETA and a message.
pub fn progress_bar(first: u64, until: u64) -> Result<ProgressBar, BoxError> {
    let bar = ProgressBar::new(until).with_position(first);
    bar.set_style(ProgressStyle::with_template(
        "{bar:32} {pos}/{len} it · {per_sec} · ETA {eta} · {msg}",
    )?);
    Ok(bar)
}

/// Moves `bar` on a step (its message from `message(losses)`) and prints
/// NaN recoveries and monitor warnings above it.
pub fn show(bar: &ProgressBar, event: &RunEvent, message: impl Fn(&[f32]) -> String) {
    match event {
        RunEvent::Step(row) => {
            bar.set_position(row.iteration);
            bar.set_message(message(&row.values));
        }
        RunEvent::Recovered {
            failed,
            restored,
            learning_rate_scale,
        } => bar.suspend(|| {
            // Not `bar.println`: a hidden bar (output not a terminal) drops it.
            eprintln!(
                "NaN at iteration {failed}: back to {restored}, learning rates ×{learning_rate_scale}"
            )
        }),
        RunEvent::Warning { iteration, message } => {
            bar.suspend(|| eprintln!("warning at iteration {iteration}: {message}"))
        }
    }
}
