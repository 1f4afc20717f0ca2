//! Training killed with SIGKILL at random moments — often in the middle of
//! writing a checkpoint — always resumes from the last complete checkpoint,
//! with the right iteration count, and finishes with an unbroken loss
//! history.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bevy_gan_style::nn::{Draw, SplitMix64};

use crate::example_binary::example_binary;
use crate::util::root;

/// The iteration `out/checkpoint/state.ron` names, if there is one; panics
/// when it is half written or its files are missing.
fn checkpoint_iteration(out: &Path, files: &[&str]) -> Option<u64> {
    let dir = out.join("checkpoint");
    let text = std::fs::read_to_string(dir.join("state.ron")).ok()?;
    let iteration: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("iteration:"))
        .and_then(|v| v.trim().trim_end_matches(',').parse().ok())
        .unwrap_or_else(|| panic!("state.ron is not complete: {text:?}"));
    assert!(
        text.trim_end().ends_with(')'),
        "state.ron is not complete: {text:?}"
    );
    for name in files {
        let file = dir.join(format!("{name}-{iteration}.bin"));
        assert!(file.exists(), "{} is missing", file.display());
    }
    Some(iteration)
}

/// Whether a temporary file of an interrupted write is left in `out`.
fn interrupted_write(out: &Path) -> bool {
    [out.to_path_buf(), out.join("checkpoint")]
        .iter()
        .any(|dir| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        })
}

fn spawn(binary: &Path, args: &[String], resume: bool) -> Child {
    let mut command = Command::new(binary);
    command.args(args).current_dir(root());
    if resume {
        command.arg("--resume");
    }
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the trainer starts")
}

/// Kills `tool` `kills` times at random moments, checks the checkpoint each
/// time and that the next run resumes from it, then lets a last run finish.
fn kill_and_resume(
    tool: &str,
    args: &[String],
    out: &Path,
    files: &[&str],
    iters: u64,
    every: u64,
) {
    let _ = std::fs::remove_dir_all(out);
    let binary = example_binary(tool);
    let mut rng = SplitMix64::seeded(17);
    let (mut kills, mut during_writes, mut confirmed) = (0, 0, 0);
    let start = Instant::now();
    while kills < 16 {
        let before = checkpoint_iteration(out, files);
        let mut child = spawn(&binary, args, before.is_some());
        // Lines as the trainer prints them: a resumed run first says where
        // it resumed (waited for, as start-up takes long on a loaded
        // machine), then trains until the kill at a random moment.
        let stdout = child.stdout.take().expect("piped stdout");
        let (lines, said) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        if let Some(resumed) = before {
            let line = said
                .iter()
                .find(|l| l.starts_with("resumed at iteration"))
                .unwrap_or_else(|| panic!("{tool} ended without saying where it resumed"));
            assert_eq!(line, format!("resumed at iteration {resumed}"), "{tool}");
            confirmed += 1;
        } else {
            // A fresh run: wait for its first checkpoint, so that every
            // kill after this one interrupts a resumed run.
            let deadline = Instant::now() + Duration::from_secs(300);
            while checkpoint_iteration(out, files).is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        std::thread::sleep(Duration::from_millis(100 + rng.below(1500) as u64));
        if let Some(status) = child.try_wait().expect("status") {
            let output = child.wait_with_output().expect("output");
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(status.success(), "{tool} failed by itself: {stderr}");
            break; // finished before the kill: the rest of the test checks it
        }
        child.kill().expect("SIGKILL");
        child.wait().expect("killed trainer");
        kills += 1;
        during_writes += interrupted_write(out) as usize;
        if let Some(after) = checkpoint_iteration(out, files) {
            assert!(
                after.is_multiple_of(every) || after == iters,
                "checkpoint at {after}"
            );
            assert!(
                after >= before.unwrap_or(0),
                "went back from {before:?} to {after}"
            );
        }
    }
    assert!(
        kills >= 4,
        "{tool} finished after {kills} kills: make the run longer"
    );
    // (A run that ends before its kill resumed too, without a kill.)
    assert!(
        confirmed + 1 >= kills,
        "{tool}: every run after the first resumed"
    );
    // The last run finishes: every iteration is in the loss history once.
    let resume = checkpoint_iteration(out, files).is_some();
    let output = spawn(&binary, args, resume)
        .wait_with_output()
        .expect("last run");
    assert!(
        output.status.success(),
        "{tool}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(checkpoint_iteration(out, files), Some(iters));
    let csv = std::fs::read_to_string(out.join("losses.csv")).expect("losses.csv");
    let logged: Vec<u64> = csv
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .next()
                .and_then(|i| i.parse().ok())
                .expect("iteration")
        })
        .collect();
    assert_eq!(
        logged,
        (1..=iters).collect::<Vec<_>>(),
        "{tool}'s loss history"
    );
    println!(
        "{tool}: {kills} kills ({during_writes} during a write), {confirmed} resumes confirmed, \
         finished at {iters} in {:.0} s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn killed_texture_training_resumes_from_its_last_checkpoint() {
    let out = std::env::temp_dir().join(format!("gan_style_kill_texture_{}", std::process::id()));
    let args: Vec<String> = [
        "--exemplar",
        "assets/images/chelsea_256x168.png",
        "--size",
        "16",
        "--batch",
        "2",
        "--channels",
        "16,8",
        "--disc-channels",
        "8,16",
        "--every",
        "1",
        "--iters",
        "800",
        "--monitor-seeds",
        "0",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.to_string_lossy().into_owned()])
    .collect();
    let files = [
        "generator",
        "discriminator",
        "adam-generator",
        "adam-discriminator",
    ];
    kill_and_resume("train_texture", &args, &out, &files, 800, 1);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn killed_style_training_resumes_from_its_last_checkpoint() {
    let out = std::env::temp_dir().join(format!("gan_style_kill_style_{}", std::process::id()));
    let args: Vec<String> = [
        "--styles",
        "assets/styles/starry_night.jpg",
        "--content",
        "assets/images/content",
        "--size",
        "32",
        "--batch",
        "1",
        "--width",
        "8",
        "--depth",
        "1",
        "--style-size",
        "64",
        "--adv",
        "none",
        "--every",
        "1",
        "--iters",
        "150",
        "--no-monitor",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([out.to_string_lossy().into_owned()])
    .collect();
    kill_and_resume("train_style", &args, &out, &["net", "adam-net"], 150, 1);
    let _ = std::fs::remove_dir_all(&out);
}
