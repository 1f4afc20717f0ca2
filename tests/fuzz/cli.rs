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
