//! onnxruntime timings of the same network on the same weights, for the
//! side-by-side benchmarks.

use std::path::Path;
use std::process::Command;

/// Median milliseconds of multistyle26 in onnxruntime (CPU) at each
/// `width × height`, through `benches/ort_multistyle.py`; `None` (with the
/// reason printed) when the ONNX file or onnxruntime is missing.
#[allow(dead_code, reason = "each bench uses one of the two scripts")]
pub fn onnxruntime(sizes: &[(u32, u32)]) -> Option<Vec<f64>> {
    let sizes: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
    run_script("ort_multistyle.py", &["multistyle26.onnx"], &sizes)
}

/// Runs `benches/<script>` with the ONNX files `models` (in the shared
/// pretrained folder) and `args`; returns the number after the first word of
/// each output line. `None` (with the reason printed) when a file or
/// onnxruntime is missing.
pub fn run_script(script: &str, models: &[&str], args: &[String]) -> Option<Vec<f64>> {
    let dir = Path::new(&crate::root::root()).join("../shared/data/pretrained/magenta_onnx");
    let models: Vec<_> = models.iter().map(|name| dir.join(name)).collect();
    if let Some(missing) = models.iter().find(|path| !path.exists()) {
        println!("onnxruntime: skipped ({} not found)", missing.display());
        return None;
    }
    let output = Command::new("python3")
        .arg(format!("{}/benches/{script}", crate::root::root()))
        .args(&models)
        .args(args)
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
