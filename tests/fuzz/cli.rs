//! Every command-line tool, given bad input, prints one line starting with
//! `error:` and exits non-zero: no panic, no backtrace.

use std::path::Path;
use std::process::Command;

use crate::example_binary::example_binary;
use crate::root;

#[test]
fn command_line_tools_report_bad_input_in_one_line() {
    let scratch = std::env::temp_dir().join(format!("gan_style_cli_{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let garbage = scratch.join("garbage.png");
    std::fs::write(&garbage, b"\x89PNG\r\n\x1a\nnot really").expect("garbage");
    let tiny = scratch.join("tiny.png");
    image::RgbImage::new(1, 1).save(&tiny).expect("1x1");
    let broken_card = scratch.join("broken.style.ron");
    std::fs::write(&broken_card, "(name: \"x\", architecture: Bogus(()))").expect("card");
    let broken_texture = scratch.join("broken.texture.ron");
    std::fs::write(&broken_texture, "(name: 3)").expect("card");
    let out = scratch.join("out");
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let texture = s(&root().join("assets/textures/water_caustics.texture.ron"));
    let photos = s(&root().join("assets/images/content"));
    let painting = s(&root().join("assets/styles/starry_night.jpg"));

    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "stylize",
            vec![
                "--cpu".into(),
                "--input".into(),
                s(&scratch.join("none.png")),
            ],
        ),
        (
            "stylize",
            vec!["--cpu".into(), "--input".into(), s(&garbage)],
        ),
        (
            "stylize",
            vec!["--cpu".into(), "--model".into(), s(&broken_card)],
        ),
        (
            "stylize",
            vec!["--cpu".into(), "--style".into(), "999".into()],
        ),
        // A blend of no style (weights summing to zero), a strength far
        // outside 0 to 1, a card that is a never-ending device.
        (
            "stylize",
            vec!["--cpu".into(), "--style".into(), "0=0".into()],
        ),
        (
            "stylize",
            vec![
                "--cpu".into(),
                "--model".into(),
                s(&root().join("assets/models/magenta_arbitrary.style.ron")),
                "--style-image".into(),
                painting.clone(),
                "--strength".into(),
                "1e30".into(),
            ],
        ),
        (
            "stylize",
            vec!["--cpu".into(), "--model".into(), "/dev/zero".into()],
        ),
        (
            "train_style",
            vec![
                "--styles".into(),
                painting.clone(),
                "--content".into(),
                photos.clone(),
                "--out".into(),
                s(&out),
                "--batch".into(),
                "0".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
                "--batch".into(),
                "0".into(),
            ],
        ),
        // Data-parallel settings that cannot run: no peer, a rank outside
        // the nodes, nodes without a coordinator, a batch that does not
        // split over the peers.
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
                "--devices".into(),
                "0".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
                "--nodes".into(),
                "2".into(),
                "--node-rank".into(),
                "2".into(),
                "--coordinator".into(),
                "127.0.0.1:1".into(),
            ],
        ),
        (
            "train_style",
            vec![
                "--styles".into(),
                painting.clone(),
                "--content".into(),
                photos.clone(),
                "--out".into(),
                s(&out),
                "--nodes".into(),
                "2".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
                "--batch".into(),
                "3".into(),
                "--devices".into(),
                "2".into(),
                "--backend".into(),
                "cpu".into(),
            ],
        ),
        (
            "generate_texture",
            vec!["--cpu".into(), "--model".into(), s(&broken_texture)],
        ),
        (
            "generate_texture",
            vec!["--cpu".into(), "--size".into(), "0".into()],
        ),
        (
            "generate_texture",
            vec!["--cpu".into(), "--size".into(), "4000000".into()],
        ),
        (
            "generate_texture",
            vec![
                "--cpu".into(),
                "--model".into(),
                texture.clone(),
                "--morph".into(),
                "NaN".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                s(&garbage),
                "--out".into(),
                s(&out),
                "--iters".into(),
                "1".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                s(&tiny),
                "--out".into(),
                s(&out),
                "--iters".into(),
                "1".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--exemplar".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
                "--size".into(),
                "3".into(),
            ],
        ),
        (
            "train_texture",
            vec![
                "--out".into(),
                s(&scratch.join("nothing")),
                "--resume".into(),
            ],
        ),
        (
            "train_style",
            vec![
                "--styles".into(),
                s(&garbage),
                "--content".into(),
                photos.clone(),
                "--out".into(),
                s(&out),
            ],
        ),
        (
            "train_style",
            vec![
                "--styles".into(),
                painting.clone(),
                "--content".into(),
                s(&scratch.join("none")),
                "--out".into(),
                s(&out),
            ],
        ),
        (
            "eval_style",
            vec![
                "--models".into(),
                s(&broken_card),
                "--content".into(),
                photos.clone(),
                "--styles".into(),
                painting.clone(),
                "--out".into(),
                s(&out),
            ],
        ),
        ("eval_texture", vec!["--models".into(), s(&broken_texture)]),
        (
            "eval_texture",
            vec!["--models".into(), texture, "--seeds".into(), "1".into()],
        ),
    ];
    let mut failures = Vec::new();
    for (tool, args) in &cases {
        let output = Command::new(example_binary(tool))
            .args(args)
            .current_dir(root())
            .env("RUST_BACKTRACE", "1")
            .output()
            .expect("the tool runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let last = lines.last().copied().unwrap_or_default();
        println!("{tool} {}: {last}", args.join(" "));
        let clean = !output.status.success()
            && last.starts_with("error: ")
            && !stderr.contains("panicked")
            && !stderr.contains("backtrace");
        if !clean {
            failures.push(format!("{tool} {args:?} ({}): {stderr}", output.status));
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A picture output that cannot be written completely (here: its temporary
/// file cannot be created) is an error, and the user's previous file at
/// that path is left as it was: outputs are written to a temporary file and
/// renamed, every write checked.
#[test]
fn a_failed_picture_write_leaves_the_previous_file() {
    let scratch = std::env::temp_dir().join(format!("gan_style_atomic_{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let texture = s(&root().join("assets/textures/water_caustics.texture.ron"));
    let input = s(&root().join("assets/images/chelsea_256x168.png"));
    let cases: [(&str, Vec<String>); 3] = [
        (
            "stylize",
            vec!["--input".into(), input.clone(), "--runs".into(), "0".into()],
        ),
        (
            "generate_texture",
            vec!["--model".into(), texture, "--size".into(), "64".into()],
        ),
        (
            "upscale",
            vec!["--input".into(), input, "--runs".into(), "0".into()],
        ),
    ];
    for (tool, args) in cases {
        let output = scratch.join(format!("{tool}.png"));
        std::fs::write(&output, b"the user's previous picture").expect("old file");
        // The temporary file's name taken by a folder: the write fails.
        let blocked = scratch.join(format!("{tool}.png.tmp"));
        std::fs::create_dir_all(&blocked).expect("blocker");
        let write = || {
            Command::new(example_binary(tool))
                .args(&args)
                .args(["--cpu", "--output", &s(&output)])
                .current_dir(root())
                .output()
                .expect("the tool runs")
        };
        let run = write();
        let stderr = String::from_utf8_lossy(&run.stderr);
        println!("{tool}: {}", stderr.trim());
        assert!(!run.status.success(), "{tool} reported success");
        assert!(stderr.contains("error: "), "{tool}: {stderr}");
        assert_eq!(
            std::fs::read(&output).expect("old file"),
            b"the user's previous picture",
            "{tool} overwrote the previous file"
        );
        std::fs::remove_dir_all(&blocked).expect("unblock");
        // Unblocked, the same command replaces it with a complete picture.
        let run = write();
        assert!(
            run.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(image::open(&output).is_ok(), "{tool} wrote no picture");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
