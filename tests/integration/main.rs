//! Integration tests. GPU tests run Bevy's renderer on whatever adapter
//! exists (lavapipe in CI) — never a mock.

#[path = "../common/example_binary.rs"]
mod example_binary;
#[path = "../../examples/common/headless.rs"]
mod headless;
#[path = "../common/reference.rs"]
mod reference;

mod amortize;
mod arbitrary;
mod bad_input;
mod bridge;
mod budget;
mod camera;
mod cameras;
#[cfg(feature = "train")]
mod cpu_ops;
#[cfg(feature = "train")]
mod data_parallel;
mod device;
mod hot_reload;
mod inception;
mod kernels;
#[cfg(feature = "train")]
mod kill_resume;
mod macs;
#[cfg(feature = "train")]
mod metrics;
mod parity;
mod soak;
mod steering;
#[cfg(feature = "train")]
mod style_training;
#[cfg(feature = "train")]
mod temporal;
mod texture;
#[cfg(feature = "train")]
mod texture_training;
mod upscale;
mod util;
