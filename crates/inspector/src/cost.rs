//! What a capability costs per frame, from Bevy's render diagnostics.

use bevy::diagnostic::{DiagnosticPath, DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy_egui::egui;

/// Labels the smoothed cost of render diagnostic span `span`: GPU time from
/// timestamp queries when the device has them, else the CPU side.
pub(crate) fn cost(ui: &mut egui::Ui, diagnostics: Option<&DiagnosticsStore>, span: &str) {
    let Some(diagnostics) = diagnostics else {
        ui.label("cost: add RenderDiagnosticsPlugin to measure");
        return;
    };
    let smoothed = |path: &DiagnosticPath| diagnostics.get(path).and_then(|d| d.smoothed());
    let path = |kind: &str| DiagnosticPath::from_components(["render", span, kind]);
    let cpu = smoothed(&path("elapsed_cpu"));
    match (smoothed(&path("elapsed_gpu")), cpu) {
        (Some(gpu), _) => ui.label(format!("GPU: {gpu:.2} ms per frame")),
        (None, Some(_)) => ui.label("GPU: no timestamp queries on this device"),
        (None, None) => ui.label("cost: measuring…"),
    };
    if let Some(cpu) = cpu {
        ui.label(format!("CPU (recording, submitting): {cpu:.2} ms"));
    }
    if let Some(frame) = smoothed(&FrameTimeDiagnosticsPlugin::FRAME_TIME) {
        ui.label(format!(
            "frame time: {frame:.1} ms ({:.1} fps)",
            1000.0 / frame
        ));
    }
    ui.small(format!("(diagnostics render/{span}/…)"));
}
