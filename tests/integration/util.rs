//! Shared helpers: a rendering app, reference data.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::ecs::system::SystemState;
use bevy::prelude::*;
use bevy::render::RenderApp;
use bevy::render::renderer::{RenderDevice, RenderQueue};
use bevy_gan_style::model::WarmNets;
use bevy_gan_style::prelude::*;
use burn::backend::wgpu::WgpuDevice;
use safetensors::SafeTensors;

use crate::headless;

/// Crate root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A finished headless app with Bevy's renderer, and handles to its devices.
pub struct Gpu {
    pub app: App,
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub burn: WgpuDevice,
}

impl Gpu {
    /// Builds the app; fails with a clear message when no adapter exists
    /// (install `mesa-vulkan-drivers libvulkan1` for lavapipe).
    pub fn new() -> Self {
        assert!(
            bevy_gan_style::device::gpu_adapter_available(headless::BACKENDS),
            "no GPU adapter found: install software Vulkan (apt-get install -y mesa-vulkan-drivers libvulkan1)"
        );
        let mut app = headless::headless_app(true);
        headless::finish_setup(&mut app);
        let world = app.world();
        let device = world.resource::<RenderDevice>().wgpu_device().clone();
        let queue: &wgpu::Queue = &world.resource::<RenderQueue>().0;
        let queue = queue.clone();
        let BurnDevice::Gpu(burn) = world.resource::<BurnDevice>().clone() else {
            panic!("GanStylePlugin chose the CPU although Bevy renders");
        };
        Self {
            app,
            device,
            queue,
            burn,
        }
    }

    /// Runs `f` with the render world's [`TensorBridge`].
    pub fn bridge<R>(&mut self, f: impl FnOnce(&TensorBridge) -> R) -> R {
        let world = self.app.sub_app_mut(RenderApp).world_mut();
        let mut state = SystemState::<TensorBridge>::new(world);
        f(&state.get(world).expect("render world resources"))
    }
}

/// Runs frames until `model`'s network is warmed up on the render device
/// (its kernels compile on a background task when it loads), as a game
/// waits for `StyleTransferStatus::ready`.
pub fn wait_warm<M: CardModel + Clone>(app: &mut App, model: AssetId<M>) {
    let start = std::time::Instant::now();
    while !app.world().resource::<WarmNets<M>>().is_warm(model) {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(600),
            "the network did not warm up"
        );
        app.update();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// All f32 tensors of a safetensors file: name → (shape, values).
pub fn read_tensors(path: &Path) -> HashMap<String, (Vec<usize>, Vec<f32>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = SafeTensors::deserialize(&bytes).expect("valid safetensors");
    file.tensors()
        .into_iter()
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, (view.shape().to_vec(), values))
        })
        .collect()
}

/// Largest absolute difference.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
