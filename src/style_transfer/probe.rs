//! Measuring temporal stability: the engine warping error of a stylized
//! camera, computed on the GPU by the filter itself and read back
//! asynchronously.

use bevy::prelude::*;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::BufferUsages;
use bevy::render::storage::ShaderBuffer;

use super::component::StyleTemporal;

/// Bins of the warping-error probe buffer (`PROBE_BINS` in
/// `shaders/camera_compose.wgsl`), each two `u32`.
const PROBE_BINS: usize = 4096;
/// Fixed-point scale of the probe's error sums (`PROBE_SCALE`).
const PROBE_SCALE: f64 = 65536.0;

/// Measures how stable a [`StyleTransfer`](super::StyleTransfer) camera is from frame to
/// frame: the engine warping error
/// `E = mean over non-occluded pixels of |S_t − warp(S_{t−1})|²`, with `S`
/// the stylized frame in `[0, 1]` (squared difference averaged over RGB),
/// `warp` the reprojection by the engine's motion vectors, and occlusion
/// from the depth prepass. Needs the prepasses of [`StyleTemporal`]; set
/// its `history_weight` to 0 to measure a camera without stabilisation.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style::prelude::*;
/// fn report(probes: Query<&WarpingErrorProbe>) {
///     for probe in &probes {
///         if let Some(error) = probe.latest {
///             info!("warping error {:.5} over {:.0}% of the view", error.error, error.coverage * 100.0);
///         }
///     }
/// }
/// ```
#[derive(Component, Clone, Debug, Default)]
#[require(StyleTemporal)]
pub struct WarpingErrorProbe {
    /// The most recent measurement (a frame or two behind, as GPU readbacks
    /// are asynchronous).
    pub latest: Option<WarpingError>,
    pub(crate) buffer: Handle<ShaderBuffer>,
}

/// One frame's warping error.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WarpingError {
    /// Mean squared difference between the stylized frame and the previous
    /// one warped onto it, over the pixels compared.
    pub error: f64,
    /// Fraction of the view's pixels compared (visible in both frames).
    pub coverage: f64,
}

/// Gives a new probe its GPU buffer and starts reading it back every frame.
pub(crate) fn start_probe(
    add: On<Add, WarpingErrorProbe>,
    mut probes: Query<&mut WarpingErrorProbe>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut commands: Commands,
) {
    let Ok(mut probe) = probes.get_mut(add.entity) else {
        return;
    };
    let mut buffer = ShaderBuffer::from(vec![0u32; 2 * PROBE_BINS]);
    buffer.buffer_description.usage |= BufferUsages::COPY_SRC;
    probe.buffer = buffers.add(buffer);
    commands
        .entity(add.entity)
        .insert(Readback::buffer(probe.buffer.clone()))
        .observe(read_probe);
}

/// Turns the probe buffer's sums into a [`WarpingError`].
fn read_probe(done: On<ReadbackComplete>, mut cameras: Query<(&mut WarpingErrorProbe, &Camera)>) {
    let Ok((mut probe, camera)) = cameras.get_mut(done.entity) else {
        return;
    };
    let words: Vec<u32> = done
        .data
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let (mut sum, mut count) = (0.0f64, 0u64);
    for bin in words.chunks_exact(2) {
        sum += f64::from(bin[0]) / PROBE_SCALE;
        count += u64::from(bin[1]);
    }
    let pixels = camera
        .physical_target_size()
        .map_or(0, |size| u64::from(size.x) * u64::from(size.y));
    probe.latest = (count > 0 && pixels > 0).then(|| WarpingError {
        error: sum / count as f64,
        coverage: count as f64 / pixels as f64,
    });
}
