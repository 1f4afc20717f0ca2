//! burn runs on the very wgpu device Bevy renders with.

use bevy::render::renderer::RenderDevice;
use bevy_gan_style::prelude::*;
use burn::backend::wgpu::WgpuDevice;
use burn::prelude::*;

use crate::headless;
use crate::util::Gpu;

#[test]
fn burn_shares_bevys_render_device() {
    let gpu = Gpu::new();
    // A registered existing device, not one burn created for itself.
    assert!(
        matches!(gpu.burn, WgpuDevice::Existing(_)),
        "{:?}",
        gpu.burn
    );
    // The render world holds the same burn device.
    let render = gpu
        .app
        .get_sub_app(bevy::render::RenderApp)
        .expect("render app");
    match render.world().resource::<BurnDevice>() {
        BurnDevice::Gpu(device) => assert_eq!(device, &gpu.burn),
        other => panic!("render world has {other:?}"),
    }

    // Proof by use: a buffer burn allocated is copied by a command encoder of
    // Bevy's RenderDevice; wgpu rejects resources of another device.
    let values: Vec<f32> = (0..64).map(|i| i as f32 * 0.5).collect();
    let tensor = Tensor::<GpuBackend, 1>::from_floats(values.as_slice(), &gpu.burn);
    let cube = tensor.into_primitive().tensor();
    cube.client.flush().expect("flush");
    let managed = cube
        .client
        .get_resource(cube.handle.clone())
        .expect("resource");
    let resource = managed.resource();
    let device = gpu.app.world().resource::<RenderDevice>().wgpu_device();
    assert_eq!(device, &gpu.device);
    let readback = device.create_buffer(&wgpu::BufferDescriptor {
        label: None,
        size: 64 * 4,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let mut encoder = device.create_command_encoder(&Default::default());
    encoder.copy_buffer_to_buffer(&resource.buffer, resource.offset, &readback, 0, 64 * 4);
    gpu.queue.submit([encoder.finish()]);
    let error = bevy::tasks::block_on(scope.pop());
    assert!(
        error.is_none(),
        "burn's buffer is not usable on Bevy's device: {error:?}"
    );

    let slice = readback.slice(..);
    slice.map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    device
        .poll(wgpu::PollType::wait_indefinitely())
        .expect("poll");
    let bytes = slice.get_mapped_range();
    let read: Vec<f32> = bytemuck::cast_slice(&bytes).to_vec();
    assert_eq!(read, values);
}

#[test]
fn without_a_renderer_networks_run_on_the_cpu() {
    let mut app = headless::headless_app(false);
    headless::finish_setup(&mut app);
    assert!(app.get_sub_app(bevy::render::RenderApp).is_none());
    assert!(matches!(
        app.world().resource::<BurnDevice>(),
        BurnDevice::Cpu(_)
    ));
}
