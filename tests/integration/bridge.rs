//! Texture ↔ tensor on the GPU.

use bevy_gan_style::bridge::{BridgeError, host};
use bevy_gan_style::prelude::*;
use burn::prelude::*;
use half::f16;

use crate::util::Gpu;

const W: u32 = 48;
const H: u32 = 24;

/// Every 8-bit value appears in every channel, in different places.
fn test_pattern() -> Vec<u8> {
    (0..W * H)
        .flat_map(|i| {
            let (x, y) = (i % W, i / W);
            [
                (x * 5 + y * 11) as u8,
                (x * 7 + y * 3 + 91) as u8,
                (i * 13 + 7) as u8,
                255,
            ]
        })
        .collect()
}

fn tensor_values(tensor: Tensor<GpuBackend, 4>) -> Vec<f32> {
    tensor.into_data().into_vec::<f32>().expect("f32 data")
}

/// The tensor value expected at texel `i`, channel `c` (planar NCHW).
fn planar(rgba: &[u8], c: usize, i: usize) -> u8 {
    rgba[i * 4 + c]
}

#[test]
fn eight_bit_round_trip_is_exact() {
    let mut gpu = Gpu::new();
    let pattern = test_pattern();
    let plane = (W * H) as usize;
    for format in [
        wgpu::TextureFormat::Rgba8UnormSrgb,
        wgpu::TextureFormat::Rgba8Unorm,
        wgpu::TextureFormat::Bgra8UnormSrgb,
    ] {
        let usage = wgpu::TextureUsages::COPY_SRC;
        let source = host::upload_texture(&gpu.device, &gpu.queue, &pattern, W, H, format, usage);
        let target = host::upload_texture(
            &gpu.device,
            &gpu.queue,
            &vec![0; pattern.len()],
            W,
            H,
            format,
            usage,
        );

        let tensor = gpu
            .bridge(|bridge| bridge.texture_to_tensor(&source, (0.0, 1.0)))
            .expect("texture to tensor");
        assert_eq!(tensor.dims(), [1, 3, H as usize, W as usize]);

        // The tensor holds the decoded pixel values k / 255 (for sRGB
        // formats: the encoded values, as the networks expect them).
        let values = tensor_values(tensor.clone());
        let tolerance = 1e-6;
        for c in 0..3 {
            for i in 0..plane {
                let channel = if format == wgpu::TextureFormat::Bgra8UnormSrgb {
                    2 - c
                } else {
                    c
                };
                let expected = planar(&pattern, channel, i) as f32 / 255.0;
                let got = values[c * plane + i];
                assert!(
                    (got - expected).abs() <= tolerance,
                    "{format:?} channel {c} texel {i}: {got} vs {expected}"
                );
            }
        }

        gpu.bridge(|bridge| bridge.tensor_to_texture(tensor, (0.0, 1.0), &target))
            .expect("tensor to texture");
        let back = host::read_texture(&gpu.device, &gpu.queue, &target).expect("readback");
        let mismatches = back
            .chunks_exact(4)
            .zip(pattern.chunks_exact(4))
            .filter(|(a, b)| a[..3] != b[..3])
            .count();
        assert_eq!(
            mismatches, 0,
            "{format:?}: {mismatches} texels changed in the round trip"
        );
    }
}

#[test]
fn float_target_round_trip_and_ranges() {
    let mut gpu = Gpu::new();
    // Linear values, as a tonemapped HDR view target holds them.
    let linear: Vec<f32> = (0..W * H * 4)
        .map(|i| {
            if i % 4 == 3 {
                1.0
            } else {
                (i % 97) as f32 / 96.0
            }
        })
        .collect();
    let halfs: Vec<u8> = linear
        .iter()
        .flat_map(|v| f16::from_f32(*v).to_le_bytes())
        .collect();
    let usage = wgpu::TextureUsages::COPY_SRC;
    let format = wgpu::TextureFormat::Rgba16Float;
    let source = host::upload_texture(&gpu.device, &gpu.queue, &halfs, W, H, format, usage);
    let target = host::upload_texture(
        &gpu.device,
        &gpu.queue,
        &vec![0; halfs.len()],
        W,
        H,
        format,
        usage,
    );

    // A network range of [-1, 1]: the tensor holds 2·srgb(v) − 1.
    let tensor = gpu
        .bridge(|bridge| bridge.texture_to_tensor(&source, (-1.0, 1.0)))
        .expect("texture to tensor");
    let values = tensor_values(tensor.clone());
    let plane = (W * H) as usize;
    let srgb = |v: f32| {
        if v <= 0.0031308 {
            v * 12.92
        } else {
            1.055 * v.powf(1.0 / 2.4) - 0.055
        }
    };
    for c in 0..3 {
        for i in 0..plane {
            let v = f16::from_f32(linear[i * 4 + c]).to_f32();
            let expected = 2.0 * srgb(v) - 1.0;
            assert!(
                (values[c * plane + i] - expected).abs() < 1e-4,
                "channel {c} texel {i}"
            );
        }
    }

    gpu.bridge(|bridge| bridge.tensor_to_texture(tensor, (-1.0, 1.0), &target))
        .expect("tensor to texture");
    let back = host::read_texture(&gpu.device, &gpu.queue, &target).expect("readback");
    for (i, pair) in back.chunks_exact(2).enumerate() {
        if i % 4 == 3 {
            continue;
        }
        let got = f16::from_le_bytes([pair[0], pair[1]]).to_f32();
        let expected = f16::from_f32(linear[i]).to_f32();
        assert!(
            (got - expected).abs() <= 2e-3 * expected.max(0.05),
            "texel value {i}: {got} vs {expected}"
        );
    }
}

#[test]
fn mismatched_inputs_are_errors() {
    let mut gpu = Gpu::new();
    let usage = wgpu::TextureUsages::COPY_SRC;
    let pixels = vec![0; (W * H * 4) as usize];
    let target = host::upload_texture(
        &gpu.device,
        &gpu.queue,
        &pixels,
        W,
        H,
        wgpu::TextureFormat::Rgba8Unorm,
        usage,
    );
    let wrong = Tensor::<GpuBackend, 4>::zeros([1, 3, 8, 8], &gpu.burn);
    let error = gpu
        .bridge(|bridge| bridge.tensor_to_texture(wrong, (0.0, 1.0), &target))
        .expect_err("size mismatch");
    assert!(matches!(error, BridgeError::Shape { .. }), "{error}");

    let red = host::upload_texture(
        &gpu.device,
        &gpu.queue,
        &pixels[..(W * H) as usize],
        W,
        H,
        wgpu::TextureFormat::R8Unorm,
        usage,
    );
    let error = gpu
        .bridge(|bridge| bridge.texture_to_tensor(&red, (0.0, 1.0)))
        .expect_err("unsupported format");
    assert!(error.to_string().contains("R8Unorm"), "{error}");

    let sampled_only = gpu.device.create_texture(&wgpu::TextureDescriptor {
        label: None,
        size: wgpu::Extent3d {
            width: W,
            height: H,
            depth_or_array_layers: 1,
        },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8UnormSrgb,
        usage: wgpu::TextureUsages::TEXTURE_BINDING,
        view_formats: &[],
    });
    let error = gpu
        .bridge(|bridge| bridge.texture_to_tensor(&sampled_only, (0.0, 1.0)))
        .expect_err("missing usage");
    assert!(matches!(error, BridgeError::Usage(_)), "{error}");
}
