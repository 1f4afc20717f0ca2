//! What the training examples share: the backend choice and the progress
//! bar.

use std::error::Error;
use std::process::ExitCode;

use bevy_gan_style::prelude::*;
use bevy_gan_style::train::RunEvent;
use bevy_gan_style::train::StyleTrainBackend;
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

/// A training job, generic over the autodiff backend.
pub trait Train {
    fn train<B: StyleTrainBackend>(&self, device: &B::Device) -> Result<(), Box<dyn Error>>;
}

/// Runs `job` on the chosen backend, saying which; errors are printed, not
/// panicked on. Call it first in `main`, before any thread exists.
pub fn run(backend: BackendArg, job: &impl Train) -> ExitCode {
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
    let result = match gpu {
        Err(why) => {
            println!("device: CPU: burn's CPU backend ({why})");
            job.train::<Autodiff<CpuBackend>>(&Default::default())
        }
        Ok(()) => {
            let name = adapter.map_or_else(|| "no adapter found".into(), |info| info.name);
            println!("device: GPU: burn's wgpu device ({name})");
            job.train::<Autodiff<GpuBackend>>(&WgpuDevice::default())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A bar from iteration `first` to `until`, showing it/s, ETA and a message.
pub fn progress_bar(first: u64, until: u64) -> Result<ProgressBar, Box<dyn Error>> {
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
