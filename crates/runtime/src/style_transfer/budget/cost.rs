//! The filter's cost per frame: GPU timestamps written around the filter's
//! passes (or the CPU time of recording them) into a small buffer per
//! camera, read back to the main world.

use std::time::Instant;

use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponent;
use bevy::render::render_asset::RenderAssets;
use bevy::render::renderer::{RenderContext, RenderDevice, RenderQueue, ViewQuery};
use bevy::render::storage::{GpuShaderBuffer, ShaderBuffer};
use bevy::render::sync_component::SyncComponent;

use super::controller::{CostSample, FrameCost};
use crate::style_transfer::view::FramePlan;

/// Bytes of a camera's cost buffer: two timestamps (u64), then the tag
/// the filter writes ([`CostTag`]).
pub(crate) const COST_BUFFER_SIZE: u64 = 32;

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

/// Render-world copy of a camera's [`FrameCost`]: where to write and under
/// which settings generation.
#[derive(Component, Clone, Copy, Debug)]
pub(crate) struct ExtractedCost {
    buffer: AssetId<ShaderBuffer>,
    generation: u32,
}

impl SyncComponent for FrameCost {
    type Target = ExtractedCost;
}

impl ExtractComponent for FrameCost {
    type QueryData = &'static FrameCost;
    type QueryFilter = ();
    type Out = ExtractedCost;

    fn extract_component(cost: &FrameCost) -> Option<ExtractedCost> {
        Some(ExtractedCost {
            buffer: cost.buffer.id(),
            generation: cost.generation,
        })
    }
}

/// A view's timestamp queries (where the device can write timestamps
/// inside encoders) and when this frame's recording began.
#[derive(Component)]
pub(crate) struct CostTimer {
    queries: Option<wgpu::QuerySet>,
    started: Instant,
}

/// Gives every measured view its timer (`StyleTransferSystems::Plan`).
pub(crate) fn add_timers(
    views: Query<Entity, (With<ExtractedCost>, Without<CostTimer>)>,
    device: Res<RenderDevice>,
    mut commands: Commands,
) {
    let needed = wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::TIMESTAMP_QUERY_INSIDE_ENCODERS;
    for entity in &views {
        let queries = device.features().contains(needed).then(|| {
            device
                .wgpu_device()
                .create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("gan_style camera cost"),
                    ty: wgpu::QueryType::Timestamp,
                    count: 2,
                })
        });
        commands.entity(entity).insert(CostTimer {
            queries,
            started: Instant::now(),
        });
    }
}

/// Starts the measurement before the filter records anything
/// (`StyleTransferSystems::Input`).
pub(crate) fn begin_cost(
    view: ViewQuery<&mut CostTimer, With<FramePlan>>,
    mut context: RenderContext,
) {
    let mut timer = view.into_inner();
    timer.started = Instant::now();
    if let Some(queries) = &timer.queries {
        context.command_encoder().write_timestamp(queries, 0);
    }
}

/// Ends the measurement after the compose pass and writes it into the
/// camera's cost buffer (`StyleTransferSystems::Compose`).
pub(crate) fn end_cost(
    view: ViewQuery<(&CostTimer, &ExtractedCost, &FramePlan)>,
    buffers: Res<RenderAssets<GpuShaderBuffer>>,
    queue: Res<RenderQueue>,
    mut context: RenderContext,
) {
    let (timer, cost, plan) = view.into_inner();
    let Some(buffer) = buffers.get(cost.buffer) else {
        return;
    };
    if let Some(queries) = &timer.queries {
        let encoder = context.command_encoder();
        encoder.write_timestamp(queries, 1);
        encoder.resolve_query_set(queries, 0..2, &buffer.buffer, 0);
    }
    let tag = CostTag {
        generation: cost.generation,
        ran: u32::from(plan.runs()),
        cpu_us: timer.started.elapsed().as_micros().max(1) as u32,
        timestamps: u32::from(timer.queries.is_some()),
    };
    queue.write_buffer(&buffer.buffer, 16, bytemuck::bytes_of(&tag));
}

/// A cost buffer's measurement; `None` before anything was written.
pub(crate) fn parse_cost(data: &[u8], period_ns: f32) -> Option<CostSample> {
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
    (ms > 0.0).then_some(CostSample {
        generation: tag.generation,
        ran: tag.ran == 1,
        ms: ms as f32,
        cpu_ms: tag.cpu_us as f32 / 1e3,
        gpu,
    })
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
        let sample = parse_cost(&data, 1.0).unwrap();
        assert!(sample.gpu && sample.ran && sample.generation == 7);
        assert!((sample.ms - 2.999).abs() < 1e-4);
        data[16 + 12..32].copy_from_slice(&0u32.to_le_bytes());
        let sample = parse_cost(&data, 1.0).unwrap();
        assert!(!sample.gpu && (sample.ms - 0.5).abs() < 1e-6);
        assert!(parse_cost(&[0u8; 32], 1.0).is_none(), "nothing written yet");
    }
}
