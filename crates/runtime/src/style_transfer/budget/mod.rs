//! What the filter costs, and holding it to a budget ([`FrameBudget`]):
//! every filtered camera's cost is measured each frame; under a budget a
//! controller lowers the internal resolution and then the run interval,
//! and raises them again when there is room.

mod controller;
mod cost;

use bevy::diagnostic::{Diagnostic, DiagnosticPath, Diagnostics, RegisterDiagnostic};
use bevy::prelude::*;
use bevy::render::extract_component::ExtractComponentPlugin;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::render_resource::BufferUsages;
use bevy::render::renderer::RenderQueue;
use bevy::render::storage::ShaderBuffer;
use bevy::render::{Render, RenderApp};

pub use controller::FrameBudget;

use super::component::{StyleTransfer, StyleTransferStatus};
use super::record::{record_compose, record_input};
use super::sets::{AddViewSystems, StyleTransferSystems};
use super::view::FilterRate;
use controller::FrameCost;
use cost::{COST_BUFFER_SIZE, parse_cost};

/// Name of the camera filter's cost in Bevy's diagnostics: each frame's
/// filter cost is in the `DiagnosticsStore` under
/// `render/style_transfer/elapsed_gpu` (GPU timestamps, where the device
/// has them) and `.../elapsed_cpu` (recording), in ms, as a render
/// diagnostic span's would be.
///
/// ```
/// use bevy::diagnostic::DiagnosticPath;
/// use bevy_gan_style_runtime::style_transfer::STYLE_TRANSFER_SPAN;
/// let gpu = DiagnosticPath::from_components(["render", STYLE_TRANSFER_SPAN, "elapsed_gpu"]);
/// assert_eq!(gpu.as_str(), "render/style_transfer/elapsed_gpu");
/// ```
pub const STYLE_TRANSFER_SPAN: &str = "style_transfer";

const GPU_MS: DiagnosticPath = DiagnosticPath::const_new("render/style_transfer/elapsed_gpu");
const CPU_MS: DiagnosticPath = DiagnosticPath::const_new("render/style_transfer/elapsed_cpu");

/// Cost measurement for every [`StyleTransfer`] camera (in its
/// [`StyleTransferStatus`] and Bevy's diagnostics) and [`FrameBudget`]s.
/// Added by [`StyleTransferPlugin`](super::StyleTransferPlugin).
#[derive(Default)]
pub struct FrameBudgetPlugin;

/// Nanoseconds per timestamp tick of the render queue, for the main world.
#[derive(Resource, Clone, Copy, Debug)]
struct TimestampPeriod(f32);

impl Plugin for FrameBudgetPlugin {
    fn finish(&self, app: &mut App) {
        let period = app
            .get_sub_app(RenderApp)
            .and_then(|render| render.world().get_resource::<RenderQueue>())
            .map(|queue| queue.get_timestamp_period());
        if let Some(period) = period {
            app.insert_resource(TimestampPeriod(period));
        }
    }

    fn build(&self, app: &mut App) {
        app.register_type::<FrameBudget>()
            .register_diagnostic(Diagnostic::new(GPU_MS).with_suffix(" ms"))
            .register_diagnostic(Diagnostic::new(CPU_MS).with_suffix(" ms"))
            .add_observer(start_cost_readback)
            .add_systems(
                PostUpdate,
                follow_costs.in_set(StyleTransferSystems::Update),
            )
            .add_plugins(ExtractComponentPlugin::<FrameCost>::default());
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .add_systems(Render, cost::add_timers.in_set(StyleTransferSystems::Plan))
            .add_view_systems(|| {
                (
                    cost::begin_cost
                        .in_set(StyleTransferSystems::Input)
                        .before(record_input),
                    cost::end_cost
                        .in_set(StyleTransferSystems::Compose)
                        .after(record_compose),
                )
            });
    }
}

/// Gives a new filtered camera its cost buffer and the readback of it.
fn start_cost_readback(
    add: On<Add, StyleTransfer>,
    cameras: Query<&StyleTransfer>,
    mut buffers: ResMut<Assets<ShaderBuffer>>,
    mut commands: Commands,
) {
    let camera = add.entity;
    let Ok(settings) = cameras.get(camera) else {
        return;
    };
    let mut buffer = ShaderBuffer::from(vec![0u32; (COST_BUFFER_SIZE / 4) as usize]);
    buffer.buffer_description.usage |=
        BufferUsages::COPY_SRC | BufferUsages::COPY_DST | BufferUsages::QUERY_RESOLVE;
    let buffer = buffers.add(buffer);
    commands
        .entity(camera)
        .insert(FrameCost::new(buffer.clone(), settings.max_scale()));
    commands
        .spawn((Readback::buffer(buffer), ChildOf(camera)))
        .observe(
            move |done: On<ReadbackComplete>,
                  period: Option<Res<TimestampPeriod>>,
                  mut cameras: Query<(
                &StyleTransfer,
                &mut FrameCost,
                &mut StyleTransferStatus,
                Option<&FrameBudget>,
            )>| {
                let Ok((settings, mut cost, mut status, budget)) = cameras.get_mut(camera) else {
                    return;
                };
                let Some(sample) = parse_cost(&done.data, period.map_or(1.0, |p| p.0)) else {
                    return;
                };
                let medians = cost.record(sample, budget, settings.max_scale());
                let status = status.as_mut();
                status.cost_ms = Some(sample.ms);
                status.run_cost_ms = medians.run_ms;
                status.skip_cost_ms = medians.skip_ms;
                status.gpu_timestamps = sample.gpu;
            },
        );
}

/// A filtered camera as its cost sees it.
type MeasuredCamera = (
    Entity,
    &'static StyleTransfer,
    &'static mut FrameCost,
    Option<&'static FrameBudget>,
    Option<&'static mut FilterRate>,
);

/// Keeps each camera's rate within its bounds (after a change of its scale
/// or budget) and in its [`FilterRate`] under a budget, and reports the
/// latest cost to Bevy's diagnostics (`StyleTransferSystems::Update`).
fn follow_costs(
    mut cameras: Query<MeasuredCamera>,
    mut diagnostics: Diagnostics,
    mut commands: Commands,
) {
    for (entity, settings, mut cost, budget, rate) in &mut cameras {
        cost.clamp_to(budget, settings.max_scale());
        let chosen = FilterRate {
            scale: cost.scale,
            interval: cost.interval,
        };
        match (budget, rate) {
            (Some(_), Some(mut rate)) => {
                rate.set_if_neq(chosen);
            }
            (Some(_), None) => {
                commands.entity(entity).insert(chosen);
            }
            (None, Some(_)) => {
                commands.entity(entity).remove::<FilterRate>();
            }
            (None, None) => {}
        }
        if let Some(sample) = cost.latest.take() {
            if sample.gpu {
                diagnostics.add_measurement(&GPU_MS, || f64::from(sample.ms));
            }
            diagnostics.add_measurement(&CPU_MS, || f64::from(sample.cpu_ms));
        }
    }
}
