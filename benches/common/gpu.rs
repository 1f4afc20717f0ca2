//! The GPU side of the side-by-side benchmarks: Bevy's render device, as
//! burn uses it.

use bevy::prelude::App;
use bevy::render::renderer::{RenderAdapterInfo, RenderDevice};
use bevy_gan_style::prelude::BurnDevice;
use burn::backend::wgpu::WgpuDevice;

use crate::headless;

/// A headless Bevy app with its renderer, and burn's device on it.
pub struct BenchGpu {
    /// Keeps the renderer alive while the device is used.
    pub _app: App,
    /// Adapter name, for the tables.
    pub adapter: String,
    /// Adapter, driver and backend, for the run's header.
    #[allow(dead_code, reason = "not every bench prints the driver")]
    pub driver: String,
    /// `max_storage_buffer_binding_size` of the device, bytes.
    #[allow(dead_code, reason = "not every bench checks the binding limit")]
    pub max_binding: u64,
    /// burn's device on Bevy's render device.
    pub device: WgpuDevice,
}

/// Bevy's render device, when a GPU adapter (lavapipe included) exists.
pub fn bevy_gpu() -> Option<BenchGpu> {
    if !bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS) {
        return None;
    }
    let mut app = headless::headless_app(true);
    headless::finish_setup(&mut app);
    let world = app.world();
    let info = world.resource::<RenderAdapterInfo>();
    let adapter = info.name.clone();
    let driver = crate::adapter::describe(info);
    let max_binding = world
        .resource::<RenderDevice>()
        .limits()
        .max_storage_buffer_binding_size;
    let BurnDevice::Gpu(device) = world.resource::<BurnDevice>().clone() else {
        return None;
    };
    Some(BenchGpu {
        _app: app,
        adapter,
        driver,
        max_binding,
        device,
    })
}
