//! The burn device networks run on: Bevy's own wgpu device when the app
//! renders, burn's CPU backend when there is no GPU adapter at all.

use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::renderer::{
    RenderAdapter, RenderAdapterInfo, RenderDevice, RenderInstance, RenderQueue,
};
use burn::backend::wgpu::{RuntimeOptions, WgpuDevice, WgpuRuntime, WgpuSetup, init_device};
use burn::tensor::backend::BackendTypes;
use burn_cubecl::cubecl::stream_id::StreamId;
pub use cubecl_runtime::memory_management::MemoryUsage;
use cubecl_runtime::runtime::Runtime;

/// Backend of networks on the GPU: burn's cubecl backend on the wgpu device
/// shared with Bevy. Not the fused variant: the bridge hands tensors'
/// storage buffers to its own passes, which needs concrete buffers.
pub type GpuBackend = burn_cubecl::CubeBackend<WgpuRuntime, f32, i32, u32>;

/// Backend of networks when no GPU adapter exists (chosen by measurement,
/// see `BENCHMARKS.md`).
pub type CpuBackend = burn::backend::Flex;

/// Where the crate's networks run. Inserted by [`BurnDevicePlugin`] into the
/// main world and, when rendering, into the render world.
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// fn report(device: Res<BurnDevice>) {
///     info!("networks run on {}", if device.is_gpu() { "the GPU" } else { "the CPU" });
/// }
/// ```
#[derive(Resource, Clone, Debug)]
pub enum BurnDevice {
    /// Bevy's render device, registered with burn once.
    Gpu(WgpuDevice),
    /// burn's CPU backend.
    Cpu(<CpuBackend as BackendTypes>::Device),
}

impl BurnDevice {
    /// `true` when networks run on Bevy's render device.
    pub fn is_gpu(&self) -> bool {
        matches!(self, BurnDevice::Gpu(_))
    }

    /// The GPU memory the crate's networks hold on Bevy's device (weights,
    /// activations, outputs kept between frames): bytes in use and bytes
    /// reserved in burn's memory pool of the render systems. `None` on the
    /// CPU, or when the compute server cannot answer.
    ///
    /// ```no_run
    /// # use bevy::prelude::*;
    /// use bevy_gan_style_runtime::prelude::*;
    /// fn report(device: Res<BurnDevice>) {
    ///     if let Some(memory) = device.memory_usage() {
    ///         info!("tensors: {} B in use, {} B reserved", memory.bytes_in_use, memory.bytes_reserved);
    ///     }
    /// }
    /// ```
    pub fn memory_usage(&self) -> Option<MemoryUsage> {
        match self {
            BurnDevice::Gpu(device) => {
                on_render_stream(|| WgpuRuntime::client(device).memory_usage().ok())
            }
            BurnDevice::Cpu(_) => None,
        }
    }
}

/// The burn stream of the crate's render systems. burn keeps a memory pool
/// per stream and takes the stream from the calling thread; without a fixed
/// one, every task-pool thread that happened to run a network would keep a
/// pool of its own.
const RENDER_STREAM: StreamId = StreamId { value: 127 };

/// Runs `f` (burn work of a render system) on the crate's render stream.
pub(crate) fn on_render_stream<T>(f: impl FnOnce() -> T) -> T {
    RENDER_STREAM.executes(f)
}

/// The burn stream networks are warmed up on, off the render thread (a
/// fixed one, so that warm-ups share one memory pool).
const WARM_UP_STREAM: StreamId = StreamId { value: 126 };

/// Runs `f` (a network's warm-up on a background task) on the warm-up
/// stream.
pub(crate) fn on_warm_up_stream<T>(f: impl FnOnce() -> T) -> T {
    WARM_UP_STREAM.executes(f)
}

/// Puts burn on the wgpu device Bevy renders with: once the renderer exists,
/// burn is registered on Bevy's `RenderDevice` / `RenderQueue` exactly once
/// and [`BurnDevice::Gpu`] is inserted into the main and render worlds.
/// Without a renderer (no GPU adapter, e.g. a CLI on a server) networks run
/// on burn's CPU backend ([`BurnDevice::Cpu`]), and one log line says so.
/// Added by [`GanStylePlugin`](crate::GanStylePlugin) and by each
/// capability's plugin.
///
/// ```no_run
/// use bevy::prelude::*;
/// use bevy_gan_style_runtime::device::{BurnDevice, BurnDevicePlugin};
/// App::new()
///     .add_plugins((DefaultPlugins, BurnDevicePlugin))
///     .add_systems(Update, |device: Res<BurnDevice>| info!("GPU: {}", device.is_gpu()))
///     .run();
/// ```
#[derive(Default)]
pub struct BurnDevicePlugin;

impl Plugin for BurnDevicePlugin {
    fn build(&self, _app: &mut App) {}

    // `finish` runs after RenderPlugin::finish has created the render device
    // and before pipelined rendering moves the render app to its thread.
    fn finish(&self, app: &mut App) {
        if app.world().contains_resource::<BurnDevice>() {
            return;
        }
        let shared = app.get_sub_app(RenderApp).and_then(|render| {
            let world = render.world();
            Some((
                world.get_resource::<RenderDevice>()?.clone(),
                world.get_resource::<RenderQueue>()?.clone(),
                world.get_resource::<RenderAdapter>()?.clone(),
                world.get_resource::<RenderInstance>()?.clone(),
                world.get_resource::<RenderAdapterInfo>()?.clone(),
            ))
        });
        match shared {
            Some((device, queue, adapter, instance, info)) => {
                let burn =
                    BurnDevice::Gpu(share_render_device(&device, &queue, &adapter, &instance));
                info!(
                    "bevy_gan_style: networks run on Bevy's render device ({}, {:?})",
                    info.name, info.backend
                );
                app.insert_resource(burn.clone());
                app.sub_app_mut(RenderApp).insert_resource(burn);
            }
            None => {
                info!(
                    "bevy_gan_style: no GPU renderer in this app; networks run on burn's CPU backend"
                );
                app.insert_resource(BurnDevice::Cpu(Default::default()));
            }
        }
    }
}

/// Registers Bevy's wgpu device and queue with burn. Must be called at most
/// once per [`RenderDevice`]: every call creates a new burn compute server.
fn share_render_device(
    device: &RenderDevice,
    queue: &RenderQueue,
    adapter: &RenderAdapter,
    instance: &RenderInstance,
) -> WgpuDevice {
    let adapter: &wgpu::Adapter = &adapter.0;
    let queue: &wgpu::Queue = &queue.0;
    let instance: &wgpu::Instance = &instance.0;
    let setup = WgpuSetup {
        instance: instance.clone(),
        adapter: adapter.clone(),
        device: device.wgpu_device().clone(),
        queue: queue.clone(),
        backend: adapter.get_info().backend,
    };
    init_device(setup, RuntimeOptions::default())
}

/// `true` when wgpu finds any adapter on `backends` (software ones such as
/// lavapipe included). Headless tools use it to decide whether to build the
/// renderer at all: Bevy's renderer panics when no adapter exists.
///
/// ```no_run
/// let backends = if bevy_gan_style_runtime::device::gpu_adapter_available(wgpu::Backends::all()) {
///     Some(wgpu::Backends::all())
/// } else {
///     None // no renderer: GanStylePlugin falls back to the CPU backend
/// };
/// ```
pub fn gpu_adapter_available(backends: wgpu::Backends) -> bool {
    default_adapter(backends).is_some()
}

/// The adapter wgpu (and so Bevy's renderer) picks on `backends`, if any.
/// wgpu prefers hardware adapters, so a [`wgpu::DeviceType::Cpu`] one here
/// means the machine has only a software rasteriser (lavapipe, llvmpipe,
/// WARP), on which burn's CPU backend runs the networks faster.
///
/// ```no_run
/// use bevy_gan_style_runtime::device::default_adapter;
/// match default_adapter(wgpu::Backends::all()) {
///     Some(info) if info.device_type == wgpu::DeviceType::Cpu => println!("software: {}", info.name),
///     Some(info) => println!("GPU: {}", info.name),
///     None => println!("no adapter"),
/// }
/// ```
pub fn default_adapter(backends: wgpu::Backends) -> Option<wgpu::AdapterInfo> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    bevy::tasks::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions::default()))
        .ok()
        .map(|adapter| adapter.get_info())
}

/// How many discrete GPUs `backends` reach: the devices
/// `WgpuDevice::DiscreteGpu(0..n)` can name (e.g. data-parallel training's
/// `--devices`).
///
/// ```
/// let gpus = bevy_gan_style_runtime::device::discrete_gpus(wgpu::Backends::PRIMARY);
/// println!("{gpus} discrete GPU(s)");
/// ```
pub fn discrete_gpus(backends: wgpu::Backends) -> usize {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    bevy::tasks::block_on(instance.enumerate_adapters(backends))
        .iter()
        .filter(|adapter| adapter.get_info().device_type == wgpu::DeviceType::DiscreteGpu)
        .count()
}
