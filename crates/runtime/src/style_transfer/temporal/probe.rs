//! Measuring temporal stability: the engine warping error of a stylized
//! camera, computed on the GPU by the filter itself and read back
//! asynchronously.

use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::BufferUsages;
use bevy::render::storage::ShaderBuffer;
use bevy::render::sync_component::SyncComponent;

use super::component::StyleTemporal;

/// Bins of the warping-error probe buffer (`PROBE_BINS` in
/// `camera_compose.wgsl`), each two `u32`.
const PROBE_BINS: usize = 4096;
/// Fixed-point scale of the probe's error sums (`PROBE_SCALE`).
const PROBE_SCALE: f64 = 65536.0;

/// Measures how stable a [`StyleTransfer`](crate::style_transfer::StyleTransfer) camera is from frame to
/// frame: the engine warping error
/// `E = mean over non-occluded pixels of |S_t − warp(S_{t−1})|²`, with `S`
/// the stylized frame in `[0, 1]` (squared difference averaged over RGB),
/// `warp` the reprojection by the engine's motion vectors, and occlusion
/// from the depth prepass. Needs the prepasses of [`StyleTemporal`]; set
/// its `history_weight` to 0 to measure a camera without stabilisation.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
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
        .physical_viewport_size()
        .map_or(0, |size| u64::from(size.x) * u64::from(size.y));
    probe.latest = (count > 0 && pixels > 0).then(|| WarpingError {
        error: sum / count as f64,
        coverage: count as f64 / pixels as f64,
    });
}

/// Which pixels of a [`StyleTemporal`] camera's last frame were filled by
/// colour matching (the reprojected stylized frame had not seen them), read
/// back from the GPU every frame: to measure amortized stylization away
/// from disocclusions, or to look at them. Costs a readback of 4 bytes per
/// pixel per frame; the mask is written only while the view is `size`.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// # fn setup(mut commands: Commands) {
/// commands.spawn((StyleTransfer::default(), StyleTemporal::default(), FillMask::new(UVec2::new(320, 180))));
/// # }
/// ```
#[derive(Component, Clone, Debug, Default)]
#[require(StyleTemporal)]
pub struct FillMask {
    /// The view size the mask is for.
    pub size: UVec2,
    /// Row-major, one entry per pixel: `true` where filled by colour
    /// matching in the last frame read back.
    pub latest: Option<Vec<bool>>,
    pub(crate) buffer: Handle<ShaderBuffer>,
}

impl FillMask {
    /// A mask for a view of `size` pixels.
    pub fn new(size: UVec2) -> Self {
        Self { size, ..default() }
    }

    /// The GPU buffer the filter writes the mask into (a `u32` per pixel,
    /// 1 where filled), for reading it back synchronously.
    pub fn buffer(&self) -> &Handle<ShaderBuffer> {
        &self.buffer
    }
}

/// Creates the mask's buffer and its readback (on an entity of its own:
/// the camera may carry a probe's readback).
pub(crate) fn start_mask(
    add: On<Add, FillMask>,
    mut masks: Query<&mut FillMask>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut commands: Commands,
) {
    let camera = add.entity;
    let Ok(mut mask) = masks.get_mut(camera) else {
        return;
    };
    let pixels = (mask.size.x.max(1) * mask.size.y.max(1)) as usize;
    let mut buffer = ShaderBuffer::from(vec![0u32; pixels]);
    buffer.buffer_description.usage |= BufferUsages::COPY_SRC;
    mask.buffer = buffers.add(buffer);
    commands
        .spawn((Readback::buffer(mask.buffer.clone()), ChildOf(camera)))
        .observe(
            move |done: On<ReadbackComplete>, mut masks: Query<&mut FillMask>| {
                if let Ok(mut mask) = masks.get_mut(camera) {
                    mask.latest = Some(
                        done.data
                            .chunks_exact(4)
                            .map(|word| word != [0, 0, 0, 0])
                            .collect(),
                    );
                }
            },
        );
}

/// Render-world copy of a [`WarpingErrorProbe`]: where the compose pass
/// accumulates the error.
#[derive(Component, Clone, Copy, Debug)]
pub struct ProbeBuffer(pub(crate) AssetId<ShaderBuffer>);

impl SyncComponent for WarpingErrorProbe {
    type Target = ProbeBuffer;
}

impl ExtractComponent for WarpingErrorProbe {
    type QueryData = &'static WarpingErrorProbe;
    type QueryFilter = ();
    type Out = ProbeBuffer;

    fn extract_component(probe: &WarpingErrorProbe) -> Option<ProbeBuffer> {
        Some(ProbeBuffer(probe.buffer.id()))
    }
}

/// Render-world copy of a [`FillMask`]: where the compose pass writes it,
/// and the view size it is for.
#[derive(Component, Clone, Copy, Debug)]
pub struct MaskBuffer(pub(crate) AssetId<ShaderBuffer>, pub(crate) UVec2);

impl SyncComponent for FillMask {
    type Target = MaskBuffer;
}

impl ExtractComponent for FillMask {
    type QueryData = &'static FillMask;
    type QueryFilter = ();
    type Out = MaskBuffer;

    fn extract_component(mask: &FillMask) -> Option<MaskBuffer> {
        Some(MaskBuffer(mask.buffer.id(), mask.size))
    }
}
