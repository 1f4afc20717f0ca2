//! The frame budget and the controller that holds it: it lowers the
//! network's internal resolution (within the camera's bounds) and then its
//! run interval, and raises them again when there is room.

use bevy::prelude::*;
use bevy::render::storage::ShaderBuffer;

/// A GPU-time budget for a [`StyleTransfer`](crate::style_transfer::StyleTransfer)
/// camera: the filter measures its own cost (GPU timestamps, or the CPU
/// time of recording where the adapter has none), lowers the internal
/// resolution down to `min_scale` first, then runs the network every 2, 3 …
/// up to `max_interval` frames, and goes back when the cost leaves room.
/// [`StyleTransferStatus`](crate::style_transfer::StyleTransferStatus) shows
/// what it chose.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn setup(mut commands: Commands, assets: Res<AssetServer>) {
///     commands.spawn((
///         StyleTransfer {
///             model: assets.load("models/multistyle26.style.ron"),
///             ..default()
///         },
///         FrameBudget { min_scale: 0.5, ..FrameBudget::ms(4.0) },
///     ));
/// }
/// ```
#[derive(Component, Reflect, Clone, Copy, Debug, PartialEq)]
#[reflect(Component, Default, Clone)]
pub struct FrameBudget {
    /// Milliseconds of GPU time per frame the filter may take on average.
    pub gpu_ms: f32,
    /// Lowest internal resolution scale (the camera's `resolution_scale` is
    /// the highest).
    pub min_scale: f32,
    /// Longest run interval in frames (frames in between reuse, or with
    /// [`StyleTemporal`](crate::style_transfer::StyleTemporal) reproject, the last output).
    pub max_interval: u32,
}

impl FrameBudget {
    /// A budget of `gpu_ms` with the default bounds (scale down to 0.25,
    /// every 4th frame at most).
    pub fn ms(gpu_ms: f32) -> Self {
        Self {
            gpu_ms,
            ..default()
        }
    }
}

impl Default for FrameBudget {
    fn default() -> Self {
        Self {
            gpu_ms: 8.0,
            min_scale: 0.25,
            max_interval: 4,
        }
    }
}

/// A camera's measured costs and what its budget chose: the filter's state
/// for the budget, on every [`StyleTransfer`](crate::style_transfer::StyleTransfer)
/// camera (costs are measured with or without a budget).
#[derive(Component, Debug)]
pub(crate) struct FrameCost {
    /// Where the filter writes its timestamps (read back every frame).
    pub buffer: Handle<ShaderBuffer>,
    /// Internal resolution scale in use.
    pub scale: f32,
    /// Run interval in use.
    pub interval: u32,
    /// Bumped by every change of `scale` or `interval`; costs measured under
    /// an older generation are not the current settings' costs.
    pub generation: u32,
    /// The latest measurement, until reported.
    pub latest: Option<CostSample>,
    run_costs: Vec<f32>,
    skip_costs: Vec<f32>,
}

/// The medians of a camera's recent costs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CostMedians {
    /// Frames in which the network ran.
    pub run_ms: Option<f32>,
    /// Frames that reused the last output.
    pub skip_ms: Option<f32>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct CostSample {
    /// The settings generation it was measured under.
    pub generation: u32,
    /// The network ran in that frame.
    pub ran: bool,
    /// The cost: GPU time where there are timestamps, else `cpu_ms`.
    pub ms: f32,
    /// The CPU time of recording the filter.
    pub cpu_ms: f32,
    /// `ms` is GPU time.
    pub gpu: bool,
}

/// Samples per decision (median of them).
const SAMPLES: usize = 3;
/// Over `OVER × budget` lowers the cost, under `UNDER × budget` raises the
/// quality: the band between keeps the controller from oscillating.
const OVER: f32 = 1.05;
const UNDER: f32 = 0.6;
/// Where a change aims, as a fraction of the budget.
const AIM: f32 = 0.85;

impl FrameCost {
    /// A camera's state before any measurement: `max_scale`, every frame.
    pub fn new(buffer: Handle<ShaderBuffer>, max_scale: f32) -> Self {
        Self {
            buffer,
            scale: max_scale,
            interval: 1,
            generation: 0,
            latest: None,
            run_costs: Vec::new(),
            skip_costs: Vec::new(),
        }
    }

    /// Records `sample` and, under `budget`, adapts scale and interval
    /// (`max_scale`: the camera's own `resolution_scale`). Without a budget
    /// the scale is `max_scale` and the interval 1.
    pub fn record(
        &mut self,
        sample: CostSample,
        budget: Option<&FrameBudget>,
        max_scale: f32,
    ) -> CostMedians {
        self.latest = Some(sample);
        if sample.generation == self.generation {
            let costs = if sample.ran {
                &mut self.run_costs
            } else {
                &mut self.skip_costs
            };
            costs.push(sample.ms);
            if costs.len() > 2 * SAMPLES {
                costs.remove(0);
            }
        }
        let medians = CostMedians {
            run_ms: median(&self.run_costs),
            skip_ms: median(&self.skip_costs),
        };
        match budget {
            Some(budget) => self.adapt(budget, max_scale, medians.skip_ms),
            None => self.set(max_scale, 1),
        }
        medians
    }

    /// Keeps the settings within the bounds (e.g. after the camera's own
    /// scale changed).
    pub fn clamp_to(&mut self, budget: Option<&FrameBudget>, max_scale: f32) {
        let (scale, interval) = match budget {
            Some(budget) => (
                self.scale.clamp(budget.min_scale.min(max_scale), max_scale),
                self.interval.clamp(1, budget.max_interval.max(1)),
            ),
            None => (max_scale, 1),
        };
        self.set(scale, interval);
    }

    fn adapt(&mut self, budget: &FrameBudget, max_scale: f32, skip: Option<f32>) {
        let min_scale = budget.min_scale.clamp(0.05, max_scale);
        let max_interval = budget.max_interval.max(1);
        let run: Vec<f32> = self.run_costs.iter().rev().take(SAMPLES).copied().collect();
        if run.len() < SAMPLES {
            return;
        }
        let Some(run) = median(&run) else {
            return;
        };
        let skip = skip.unwrap_or(0.0);
        let n = self.interval;
        let per_frame = |n: u32| (run + (n - 1) as f32 * skip) / n as f32;
        let target = budget.gpu_ms.max(0.01);
        let (mut scale, mut interval) = (self.scale, n);
        if per_frame(n) > OVER * target {
            if self.scale > min_scale * 1.01 {
                // Cost of a run grows with the pixels, ∝ scale².
                let aim = (AIM * target * n as f32 - (n - 1) as f32 * skip).max(0.05 * run);
                scale = self.scale * (aim / run).sqrt();
                if scale < min_scale * 1.02 {
                    scale = min_scale;
                }
            } else if n < max_interval {
                interval = n + 1;
            }
        } else if per_frame(n) < UNDER * target {
            if n > 1 && per_frame(n - 1) < AIM * target {
                interval = n - 1;
            } else if n == 1 && self.scale < max_scale * 0.99 {
                let up = (self.scale * (AIM * target / run).sqrt()).min(max_scale);
                if up > self.scale * 1.05 {
                    scale = up;
                }
            }
        }
        self.set(scale, interval);
    }

    fn set(&mut self, scale: f32, interval: u32) {
        if scale != self.scale || interval != self.interval {
            self.scale = scale;
            self.interval = interval;
            self.generation = self.generation.wrapping_add(1);
            self.run_costs.clear();
            self.skip_costs.clear();
        }
    }
}

fn median(values: &[f32]) -> Option<f32> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted.get(sorted.len() / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filter whose run costs `fixed + per_pixel · scale²` ms and whose
    /// skipped frames cost `skip` ms, run until settled.
    fn settle(
        status: &mut FrameCost,
        budget: &FrameBudget,
        cost: impl Fn(f32) -> f32,
        skip: f32,
    ) -> Vec<f32> {
        let mut frame_costs = Vec::new();
        for frame in 0..200u32 {
            let ran = frame % status.interval == 0;
            let ms = if ran { cost(status.scale) } else { skip };
            frame_costs.push(ms);
            let sample = CostSample {
                generation: status.generation,
                ran,
                ms,
                cpu_ms: ms,
                gpu: true,
            };
            status.record(sample, Some(budget), 1.0);
        }
        frame_costs
    }

    #[test]
    fn a_tight_budget_lowers_the_scale_and_a_generous_one_restores_it() {
        let cost = |scale: f32| 2.0 + 48.0 * scale * scale;
        let mut status = FrameCost::new(Handle::default(), 1.0);
        let budget = FrameBudget::ms(0.4 * cost(1.0));
        let costs = settle(&mut status, &budget, cost, 1.0);
        let settled = median(&costs[150..]).unwrap();
        assert!(settled <= 1.2 * budget.gpu_ms, "settled at {settled} ms");
        assert!(status.scale < 1.0 && status.interval == 1);
        // No oscillation once settled.
        let generation = status.generation;
        settle(&mut status, &budget, cost, 1.0);
        assert_eq!(status.generation, generation, "settings kept changing");

        settle(&mut status, &FrameBudget::ms(10.0 * cost(1.0)), cost, 1.0);
        assert_eq!((status.scale, status.interval), (1.0, 1));
    }

    #[test]
    fn below_the_lowest_scale_the_interval_grows_and_shrinks_back() {
        let cost = |scale: f32| 30.0 + 10.0 * scale * scale;
        let mut status = FrameCost::new(Handle::default(), 1.0);
        let budget = FrameBudget {
            gpu_ms: 12.0,
            min_scale: 0.5,
            max_interval: 4,
        };
        let costs = settle(&mut status, &budget, cost, 1.0);
        assert_eq!(status.scale, 0.5);
        assert!(status.interval > 1, "interval {}", status.interval);
        let mean: f32 = costs[150..].iter().sum::<f32>() / 50.0;
        assert!(mean <= 1.2 * budget.gpu_ms, "mean {mean} ms per frame");
        settle(&mut status, &FrameBudget::ms(100.0), cost, 1.0);
        assert_eq!((status.scale, status.interval), (1.0, 1));
    }
}
