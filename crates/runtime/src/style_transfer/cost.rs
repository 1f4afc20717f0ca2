//! The filter's cost per frame: the buffer the filter writes its GPU
//! timestamps (or CPU recording time) into, read back to the camera's
//! [`StyleTransferStatus`], which adapts to its budget.

use bevy::prelude::*;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::BufferUsages;
use bevy::render::storage::ShaderBuffer;

use super::budget::{CostSample, StyleTransferStatus};
use super::component::StyleTransfer;

/// Bytes of a camera's cost buffer: two timestamps (u64), then the tag
/// the filter writes ([`CostTag`]).
const COST_BUFFER_SIZE: u64 = 32;

/// What the filter writes after the timestamps: the settings generation,
/// whether the network ran, the CPU time of recording in microseconds, and
/// whether the timestamps are valid.
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub(crate) struct CostTag {
    pub generation: u32,
    pub ran: u32,
    pub cpu_us: u32,
    pub timestamps: u32,
}

/// The nanoseconds per timestamp tick of the render queue, for the main
/// world (set by the plugin when the renderer exists).
#[derive(Resource, Clone, Copy, Debug)]
pub(crate) struct TimestampPeriod(pub f32);

/// Gives a new filtered camera its cost buffer and the readback of it.
pub(crate) fn start_cost_readback(
    add: On<Add, StyleTransfer>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut statuses: Query<&mut StyleTransferStatus>,
    mut commands: Commands,
) {
    let camera = add.entity;
    let Ok(mut status) = statuses.get_mut(camera) else {
        return;
    };
    let mut buffer = ShaderBuffer::from(vec![0u32; (COST_BUFFER_SIZE / 4) as usize]);
    buffer.buffer_description.usage |=
        BufferUsages::COPY_SRC | BufferUsages::COPY_DST | BufferUsages::QUERY_RESOLVE;
    let buffer = buffers.add(buffer);
    status.cost_buffer = Some(buffer.clone());
    commands
        .spawn((Readback::buffer(buffer), ChildOf(camera)))
        .observe(
            move |done: On<ReadbackComplete>,
                  period: Option<Res<TimestampPeriod>>,
                  mut cameras: Query<(&StyleTransfer, &mut StyleTransferStatus)>| {
                let Ok((filter, mut status)) = cameras.get_mut(camera) else {
                    return;
                };
                if let Some(sample) = parse_cost(&done.data, period.map_or(1.0, |p| p.0)) {
                    status.gpu_timestamps = sample.1;
                    status.record(sample.0, filter.budget.as_ref(), filter.max_scale());
                }
            },
        );
}

/// The sample in a read-back cost buffer (`None` before the filter wrote
/// one), and whether it is a GPU time.
fn parse_cost(data: &[u8], period_ns: f32) -> Option<(CostSample, bool)> {
    if data.len() < COST_BUFFER_SIZE as usize {
        return None;
    }
    let word = |i: usize| u64::from_le_bytes(data[i..i + 8].try_into().unwrap_or_default());
    let tag: CostTag = bytemuck::pod_read_unaligned(&data[16..32]);
    let (begin, end) = (word(0), word(8));
    let gpu = tag.timestamps == 1 && end > begin;
    let ms = if gpu {
        (end - begin) as f64 * f64::from(period_ns) / 1e6
    } else {
        f64::from(tag.cpu_us) / 1e3
    };
    (ms > 0.0).then_some((
        CostSample {
            generation: tag.generation,
            ran: tag.ran == 1,
            ms: ms as f32,
        },
        gpu,
    ))
}

/// Keeps every status within its camera's bounds when the settings change.
pub(crate) fn clamp_status(
    mut cameras: Query<(&StyleTransfer, &mut StyleTransferStatus), Changed<StyleTransfer>>,
) {
    for (filter, mut status) in &mut cameras {
        status.clamp_to(filter.budget.as_ref(), filter.max_scale());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_buffers_parse_gpu_and_cpu_times() {
        let mut data = vec![0u8; 32];
        data[0..8].copy_from_slice(&1_000u64.to_le_bytes());
        data[8..16].copy_from_slice(&3_000_000u64.to_le_bytes());
        let tag = CostTag {
            generation: 7,
            ran: 1,
            cpu_us: 500,
            timestamps: 1,
        };
        data[16..32].copy_from_slice(bytemuck::bytes_of(&tag));
        let (sample, gpu) = parse_cost(&data, 1.0).unwrap();
        assert!(gpu && sample.ran && sample.generation == 7);
        assert!((sample.ms - 2.999).abs() < 1e-4);
        data[16 + 12..32].copy_from_slice(&0u32.to_le_bytes());
        let (sample, gpu) = parse_cost(&data, 1.0).unwrap();
        assert!(!gpu && (sample.ms - 0.5).abs() < 1e-6);
        assert!(parse_cost(&[0u8; 32], 1.0).is_none(), "nothing written yet");
    }
}
