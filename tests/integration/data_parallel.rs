//! Data-parallel training: two peers with batch b each end at the weights
//! of one process with batch 2b from the same seed — as threads of one
//! process (`--devices 2`) and as two processes on 127.0.0.1 (`--nodes 2`)
//! — and a peer killed mid-run stops the other with a clear error and the
//! last checkpoint intact.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::example_binary::example_binary;
use crate::util::{max_abs_diff, read_tensors, root};

/// How close a peer's exported weights must come to one process's. The
/// peers' averaged gradients differ from the whole batch's only in float
/// rounding, but Adam's first steps move every weight by about ±lr whatever
/// its gradient's size: a gradient that rounding flips across zero moves
/// its weight the other way. So: nearly all weights within `CLOSE`, and
/// none further than two full steps per iteration.
const CLOSE: f32 = 1e-4;
/// The share of weights allowed beyond [`CLOSE`].
const FLIPPED: f64 = 0.01;

/// Checks `a` against `b` (weights after `iterations` steps at learning
/// rates up to `lr`) and says how close they are.
fn assert_same_weights(what: &str, a: &Path, b: &Path, iterations: u32, lr: f32) {
    let (count, beyond, max) = weight_difference(a, b);
    let share = beyond as f64 / count as f64;
    println!(
        "{what}: {count} weights, {beyond} ({:.3} %) beyond {CLOSE:e}, max difference {max:e}",
        100.0 * share
    );
    assert!(
        share <= FLIPPED,
        "{what}: {beyond} of {count} weights differ"
    );
    assert!(
        max <= 2.0 * lr * iterations as f32,
        "{what}: a weight differs by {max}"
    );
}

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gan_style_dp_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn texture_args(out: &Path, iters: u32, batch: u32) -> Vec<String> {
    let mut args: Vec<String> = [
        "--exemplar",
        "assets/textures/exemplars/brick_gray.png",
        "--size",
        "32",
        "--channels",
        "16,8",
        "--disc-channels",
        "8,16",
        "--every",
        "3",
        "--monitor-seeds",
        "0",
        "--backend",
        "cpu",
        "--seed",
        "5",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend([
        "--iters".into(),
        iters.to_string(),
        "--batch".into(),
        batch.to_string(),
        "--out".into(),
        out.to_string_lossy().into_owned(),
    ]);
    args
}

fn spawn(tool: &str, args: &[String], extra: &[&str]) -> Child {
    Command::new(example_binary(tool))
        .args(args)
        .args(extra)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the trainer starts")
}

fn finished(child: Child, what: &str) -> Output {
    let output = child.wait_with_output().expect("trainer output");
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every weight of `a` against `b`: how many, how many beyond [`CLOSE`],
/// and the largest difference.
fn weight_difference(a: &Path, b: &Path) -> (usize, usize, f32) {
    let (a, b) = (read_tensors(a), read_tensors(b));
    assert_eq!(a.len(), b.len(), "same tensors");
    let (mut count, mut beyond, mut max) = (0, 0, 0f32);
    for (name, (shape, values)) in &a {
        let (other_shape, other) = &b[name];
        assert_eq!(shape, other_shape, "{name}");
        count += values.len();
        beyond += values
            .iter()
            .zip(other)
            .filter(|(x, y)| (*x - *y).abs() > CLOSE)
            .count();
        max = max.max(max_abs_diff(values, other));
    }
    (count, beyond, max)
}

/// `train_texture` into `out` as node `rank` of two, meeting at
/// `coordinator`.
fn texture_node(out: &Path, iters: u32, coordinator: &str, rank: &str) -> Child {
    let nodes = [
        "--nodes",
        "2",
        "--node-rank",
        rank,
        "--coordinator",
        coordinator,
    ];
    // A short timeout: the kill test waits on it at most.
    let timeout = ["--peer-timeout", "60"];
    spawn(
        "train_texture",
        &texture_args(out, iters, 4),
        &[&nodes[..], &timeout[..]].concat(),
    )
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[test]
fn two_peer_threads_train_like_one_process_with_the_whole_batch() {
    let (one, two) = (out_dir("one_threads"), out_dir("two_threads"));
    finished(
        spawn("train_texture", &texture_args(&one, 6, 4), &[]),
        "one process",
    );
    let output = finished(
        spawn(
            "train_texture",
            &texture_args(&two, 6, 4),
            &["--devices", "2"],
        ),
        "two peers",
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("2 peer(s) here, 2 in all"));
    assert_same_weights(
        "train_texture, two threads against one process",
        &one.join("brick_gray.safetensors"),
        &two.join("brick_gray.safetensors"),
        6,
        2e-4,
    );
    // The losses logged are the whole batch's: the same rows.
    let (a, b) = (
        std::fs::read_to_string(one.join("losses.csv")).expect("csv"),
        std::fs::read_to_string(two.join("losses.csv")).expect("csv"),
    );
    assert_eq!(a.lines().count(), b.lines().count());

    // The style trainer (with its discriminator) too.
    let style = |out: &Path, extra: &[&str]| {
        let mut args: Vec<String> = [
            "--styles",
            "assets/styles/starry_night.jpg",
            "--content",
            "assets/images/content",
            "--size",
            "32",
            "--batch",
            "4",
            "--width",
            "8",
            "--depth",
            "1",
            "--style-size",
            "64",
            "--adv",
            "lsgan",
            "--every",
            "3",
            "--iters",
            "2",
            "--no-monitor",
            "--backend",
            "cpu",
            "--name",
            "dp",
            "--out",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(out.to_string_lossy().into_owned());
        finished(spawn("train_style", &args, extra), "train_style");
    };
    let (one_style, two_style) = (out_dir("one_style"), out_dir("two_style"));
    style(&one_style, &[]);
    style(&two_style, &["--devices", "2"]);
    // Two steps only: the shift of each residual block's last norm has an
    // exactly zero gradient (the next norm removes any constant), so Adam
    // turns its rounding noise into ±lr steps (measured: its 8 values after
    // two steps, 12 % of all weights after four as the flips spread). Style
    // rows learn at 10 × 1e-3.
    assert_same_weights(
        "train_style, two threads against one process",
        &one_style.join("dp.safetensors"),
        &two_style.join("dp.safetensors"),
        2,
        1e-2,
    );

    // With the temporal loss on recorded frame pairs (recorded once on the
    // GPU adapter, then shared): the logged temporal term is the whole
    // batch's, although each peer's pairs see their own share of pixels.
    let (one_temporal, two_temporal) = (out_dir("one_temporal"), out_dir("two_temporal"));
    let temporal = ["--pairs", "4", "--temporal-weight", "10"];
    style(&one_temporal, &temporal);
    std::fs::create_dir_all(two_temporal.join("pairs")).expect("pairs folder");
    for entry in std::fs::read_dir(one_temporal.join("pairs")).expect("recorded pairs") {
        let path = entry.expect("a pair file").path();
        let name = path.file_name().expect("a file name");
        std::fs::copy(&path, two_temporal.join("pairs").join(name)).expect("copied pair");
    }
    style(
        &two_temporal,
        &[&temporal[..], &["--devices", "2"]].concat(),
    );
    let column = |dir: &Path| -> Vec<f32> {
        let csv = std::fs::read_to_string(dir.join("losses.csv")).expect("losses.csv");
        csv.lines()
            .skip(1)
            .map(|line| {
                line.rsplit(',')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("a value")
            })
            .collect()
    };
    let (alone, peers) = (column(&one_temporal), column(&two_temporal));
    println!("temporal term, one process {alone:?}, two peers {peers:?}");
    assert_eq!(alone.len(), peers.len());
    for (a, b) in alone.iter().zip(&peers) {
        assert!(*a > 0.0 && (a - b).abs() <= 1e-4 * a, "{a} against {b}");
    }

    // A batch that does not split is refused before training.
    let output = spawn(
        "train_texture",
        &texture_args(&two, 6, 3),
        &["--devices", "2"],
    )
    .wait_with_output()
    .expect("output");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("does not split evenly over 2 peers"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for dir in [one, two, one_style, two_style, one_temporal, two_temporal] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn two_processes_on_loopback_train_like_one_process_with_the_whole_batch() {
    let (one, two) = (out_dir("one_nodes"), out_dir("two_nodes"));
    finished(
        spawn("train_texture", &texture_args(&one, 6, 4), &[]),
        "one process",
    );
    let coordinator = format!("127.0.0.1:{}", free_port());
    let (first, second) = (
        texture_node(&two, 6, &coordinator, "0"),
        texture_node(&two, 6, &coordinator, "1"),
    );
    finished(first, "node 0");
    let output = finished(second, "node 1");
    // Node 1 trains but writes nothing: the one model is node 0's.
    assert!(!String::from_utf8_lossy(&output.stdout).contains("model:"));
    assert_same_weights(
        "train_texture, two processes against one process",
        &one.join("brick_gray.safetensors"),
        &two.join("brick_gray.safetensors"),
        6,
        2e-4,
    );
    let _ = std::fs::remove_dir_all(one);
    let _ = std::fs::remove_dir_all(two);
}

#[test]
fn a_killed_peer_stops_the_other_with_a_clear_error_and_the_checkpoint_intact() {
    let out = out_dir("killed");
    let coordinator = format!("127.0.0.1:{}", free_port());
    let (mut writer, mut other) = (
        texture_node(&out, 1_000_000, &coordinator, "0"),
        texture_node(&out, 1_000_000, &coordinator, "1"),
    );
    let state = out.join("checkpoint").join("state.ron");
    let deadline = Instant::now() + Duration::from_secs(300);
    // Past a few reports, so the checkpoint has been rewritten.
    while !std::fs::read_to_string(&state).is_ok_and(|s| !s.contains("iteration: 0,"))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    other.kill().expect("SIGKILL");
    other.wait().expect("killed peer");
    let killed = Instant::now();
    let output = loop {
        if writer.try_wait().expect("status").is_some() {
            break writer.wait_with_output().expect("output");
        }
        assert!(
            killed.elapsed() < Duration::from_secs(90),
            "the writer kept going after its peer died"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the writer reported success");
    assert!(
        stderr.contains("data-parallel training:") && stderr.contains("a peer or machine stopped"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The checkpoint is whole: its state names an iteration whose files
    // are all there.
    let text = std::fs::read_to_string(&state).expect("state.ron");
    let iteration: u64 = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("iteration:"))
        .and_then(|v| v.trim().trim_end_matches(',').parse().ok())
        .expect("an iteration in state.ron");
    assert!(iteration > 0 && iteration.is_multiple_of(3), "{iteration}");
    for name in [
        "generator",
        "discriminator",
        "adam-generator",
        "adam-discriminator",
    ] {
        let file = out
            .join("checkpoint")
            .join(format!("{name}-{iteration}.bin"));
        assert!(file.exists(), "{} is missing", file.display());
    }
    println!(
        "writer stopped {:.1} s after its peer was killed, checkpoint at iteration {iteration}",
        killed.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(out);
}
