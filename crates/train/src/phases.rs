//! Where a training step spends its time: wall time per phase (data,
//! forward, discriminator, backward, optimiser), each phase ended by a
//! device synchronisation so that queued work is counted where it was
//! recorded. Off by default: the synchronisations cost GPU backends their
//! overlap.

use std::time::{Duration, Instant};

use burn::prelude::*;

/// Wall time of each phase of one training step, in order.
///
/// ```
/// use std::time::Duration;
/// use bevy_gan_style_train::StepPhases;
/// let phases = StepPhases(vec![("forward", Duration::from_millis(30)), ("backward", Duration::from_millis(60))]);
/// assert_eq!(phases.total(), Duration::from_millis(90));
/// assert_eq!(phases.get("backward"), Some(Duration::from_millis(60)));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepPhases(pub Vec<(&'static str, Duration)>);

impl StepPhases {
    /// The whole step.
    pub fn total(&self) -> Duration {
        self.0.iter().map(|(_, time)| *time).sum()
    }

    /// The time of `phase`, if the step had it.
    pub fn get(&self, phase: &str) -> Option<Duration> {
        self.0
            .iter()
            .find(|(name, _)| *name == phase)
            .map(|(_, time)| *time)
    }
}

/// Marks the end of each phase of a step when profiling is on; does
/// nothing otherwise.
pub(crate) struct PhaseClock<B: Backend> {
    on: Option<(Instant, B::Device, StepPhases)>,
}

impl<B: Backend> PhaseClock<B> {
    /// A clock for one step; `on` false makes every call free.
    pub(crate) fn start(on: bool, device: &B::Device) -> Self {
        Self {
            on: on.then(|| {
                let _ = B::sync(device);
                (Instant::now(), device.clone(), StepPhases::default())
            }),
        }
    }

    /// Ends `phase`: waits for the device, then counts the time since the
    /// previous mark.
    pub(crate) fn mark(&mut self, phase: &'static str) {
        if let Some((since, device, phases)) = &mut self.on {
            let _ = B::sync(device);
            let now = Instant::now();
            phases.0.push((phase, now - *since));
            *since = now;
        }
    }

    /// The phases marked, when profiling was on.
    pub(crate) fn finish(self) -> Option<StepPhases> {
        self.on.map(|(_, _, phases)| phases)
    }
}
