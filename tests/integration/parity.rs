//! The multistyle26 network reproduces onnxruntime's outputs
//! (`tests/data/multistyle26_chelsea_256x168.safetensors`, onnxruntime 1.31
//! on CPU from the same weights) on the wgpu device and on the CPU backend.

use bevy_gan_style::bridge::{host, image_to_tensor, tensor_to_image};
use bevy_gan_style::prelude::*;
use burn::prelude::*;

use crate::util::{Gpu, max_abs_diff, read_tensors, root};

const TOLERANCE: f32 = 2e-3;
const CASES: [&str; 2] = ["style0", "mix3_7"];

fn model() -> StyleModel {
    StyleModel::load_file(root().join("assets/models/multistyle26.style.ron"))
        .expect("bundled model")
}

/// Runs both reference cases on backend `B` and checks the outputs.
fn check_parity<B: StageBackend>(device: &B::Device, label: &str) {
    let model = model();
    let net = model.build::<B>(device).expect("weights load");
    let reference =
        read_tensors(&root().join("tests/data/multistyle26_chelsea_256x168.safetensors"));
    let (shape, input) = &reference["input"];
    let input = Tensor::<B, 4>::from_data(TensorData::new(input.clone(), shape.clone()), device);
    for case in CASES {
        let (_, weights) = &reference[&format!("{case}.style_weights")];
        let style = Tensor::<B, 1>::from_floats(weights.as_slice(), device).reshape([1, 26]);
        let output = net.forward(input.clone(), style);
        let got = output
            .into_data()
            .convert::<f32>()
            .into_vec::<f32>()
            .expect("f32");
        let (_, expected) = &reference[&format!("{case}.output")];
        let error = max_abs_diff(&got, expected);
        println!("{label} {case}: max abs error {error:.2e}");
        assert!(
            error <= TOLERANCE,
            "{label} {case}: max abs error {error} > {TOLERANCE}"
        );
    }
}

#[test]
fn parity_on_the_cpu_backend() {
    check_parity::<CpuBackend>(&Default::default(), "cpu");
}

#[test]
fn parity_on_bevys_wgpu_device() {
    let gpu = Gpu::new();
    check_parity::<GpuBackend>(&gpu.burn, "wgpu");
}

/// End to end on the GPU: PNG → Bevy texture → network → Bevy texture → PNG,
/// against onnxruntime's output quantised to 8 bits.
#[test]
fn texture_to_texture_matches_reference_png() {
    let mut gpu = Gpu::new();
    let model = model();
    let net = model.build::<GpuBackend>(&gpu.burn).expect("weights load");
    let photo = image::open(root().join("assets/images/chelsea_256x168.png"))
        .expect("bundled photo")
        .to_rgba8();
    let (w, h) = photo.dimensions();
    let format = wgpu::TextureFormat::Rgba8UnormSrgb;
    let source = host::upload_texture(
        &gpu.device,
        &gpu.queue,
        photo.as_raw(),
        w,
        h,
        format,
        wgpu::TextureUsages::COPY_SRC,
    );
    let target = host::upload_texture(
        &gpu.device,
        &gpu.queue,
        &vec![0; (w * h * 4) as usize],
        w,
        h,
        format,
        wgpu::TextureUsages::COPY_SRC,
    );
    let style = model
        .style_tensor::<GpuBackend>(&"3=0.5,7=0.5".parse().expect("spec"), &gpu.burn)
        .expect("style");
    let x = gpu
        .bridge(|bridge| bridge.texture_to_tensor(&source, (0.0, 1.0)))
        .expect("bridge in");
    gpu.bridge(|bridge| bridge.tensor_to_texture(net.forward(x, style), (0.0, 1.0), &target))
        .expect("bridge out");
    let rgba = host::read_texture(&gpu.device, &gpu.queue, &target).expect("readback");

    let reference =
        read_tensors(&root().join("tests/data/multistyle26_chelsea_256x168.safetensors"));
    let (_, expected) = &reference["mix3_7.output"];
    let plane = (w * h) as usize;
    let mut worst = 0u8;
    for (i, texel) in rgba.chunks_exact(4).enumerate() {
        for c in 0..3 {
            let want = (expected[c * plane + i].clamp(0.0, 1.0) * 255.0).round() as u8;
            worst = worst.max(texel[c].abs_diff(want));
        }
    }
    println!("texture → network → texture: max 8-bit difference {worst}");
    assert!(worst <= 1, "max 8-bit difference {worst}");
}

/// The CPU image helpers agree with the tensor path.
#[test]
fn cpu_image_path_matches_reference_png() {
    let model = model();
    let device = Default::default();
    let net = model.build::<CpuBackend>(&device).expect("weights load");
    let photo = image::open(root().join("assets/images/chelsea_256x168.png"))
        .expect("bundled photo")
        .to_rgba8();
    let style = model
        .style_tensor::<CpuBackend>(&StyleWeights::single(0), &device)
        .expect("style");
    let output = tensor_to_image(
        net.forward(image_to_tensor(&photo, (0.0, 1.0), &device), style),
        (0.0, 1.0),
    );
    let expected = image::open(root().join("tests/data/multistyle26_chelsea_style0.png"))
        .expect("reference PNG")
        .to_rgb8();
    let worst = output
        .as_raw()
        .iter()
        .zip(expected.as_raw())
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap_or(0);
    assert!(worst <= 1, "max 8-bit difference {worst}");
}

/// The GPU and CPU backends agree at a size with long instance-norm
/// reductions (452×300, the bundled photo resized to multiples of 4).
#[test]
fn wgpu_matches_cpu_at_a_larger_odd_size() {
    let gpu = Gpu::new();
    let model = model();
    let (w, h) = (452, 300);
    let photo = image::open(root().join("assets/images/chelsea_cat.png"))
        .expect("bundled photo")
        .to_rgba8();
    let photo = image::imageops::resize(&photo, w, h, image::imageops::FilterType::Triangle);
    let style = StyleWeights::blend([(12, 0.5), (20, 0.5)]);
    let cpu_device = Default::default();
    let cpu = model
        .build::<CpuBackend>(&cpu_device)
        .expect("weights load");
    let expected = cpu
        .forward(
            image_to_tensor(&photo, (0.0, 1.0), &cpu_device),
            model.style_tensor(&style, &cpu_device).expect("style"),
        )
        .into_data()
        .into_vec::<f32>()
        .expect("f32");
    let net = model.build::<GpuBackend>(&gpu.burn).expect("weights load");
    let got = net
        .forward(
            image_to_tensor(&photo, (0.0, 1.0), &gpu.burn),
            model.style_tensor(&style, &gpu.burn).expect("style"),
        )
        .into_data()
        .into_vec::<f32>()
        .expect("f32");
    let error = max_abs_diff(&got, &expected);
    println!("wgpu vs cpu at {w}×{h}: max abs error {error:.2e}");
    assert!(error <= TOLERANCE, "max abs error {error}");
}

/// The imported ml5 "wave" network (Johnson architecture, TensorFlow
/// semantics) against a numpy implementation on the same weights
/// (`tests/data/ml5_reference.py`), on `B`. Output in [0, 255].
fn check_ml5<B: StageBackend>(device: &B::Device, label: &str) {
    let model = StyleModel::load_file(root().join("assets/models/ml5_wave.style.ron"))
        .expect("bundled ml5 model");
    let net = model.build::<B>(device).expect("weights load");
    let reference = read_tensors(&root().join("tests/data/ml5_wave_reference.safetensors"));
    let (shape, input) = &reference["input"];
    let input = Tensor::<B, 4>::from_data(TensorData::new(input.clone(), shape.clone()), device);
    let style = model
        .style_tensor(&StyleWeights::single(0), device)
        .expect("style");
    let got: Vec<f32> = net.forward(input, style).into_data().to_vec().expect("f32");
    let error = max_abs_diff(&got, &reference["output"].1);
    println!("ml5 wave {label}: max abs error {error:.2e} (of 255)");
    assert!(error <= 5e-3, "{label}: {error}");
}

#[test]
fn ml5_import_matches_the_numpy_reference() {
    check_ml5::<CpuBackend>(&Default::default(), "cpu");
    let gpu = Gpu::new();
    check_ml5::<GpuBackend>(&gpu.burn, "wgpu");
}
