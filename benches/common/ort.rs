//! onnxruntime timings of the same network on the same weights, for the
//! side-by-side benchmarks.

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Median milliseconds of multistyle26 in onnxruntime (CPU) at each
/// `width × height`, through `benches/ort_multistyle.py`; `None` (with the
/// reason printed) when the ONNX file or onnxruntime is missing.
pub fn onnxruntime(sizes: &[(u32, u32)]) -> Option<Vec<f64>> {
    let onnx = Path::new(ROOT).join("../shared/data/pretrained/magenta_onnx/multistyle26.onnx");
    if !onnx.exists() {
        println!("onnxruntime: skipped ({} not found)", onnx.display());
        return None;
    }
    let sizes: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    let output = Command::new("python3")
        .arg(format!("{ROOT}/benches/ort_multistyle.py"))
        .arg(&onnx)
        .args(&sizes)
        .output()
        .ok()?;
    if !output.status.success() {
        println!(
            "onnxruntime: skipped ({})",
            String::from_utf8_lossy(&output.stderr)
                .lines()
                .last()
                .unwrap_or("python3 failed")
        );
        return None;
    }
    Some(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1)?.parse().ok())
            .collect(),
    )
}
