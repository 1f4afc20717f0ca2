//! Magenta's arbitrary-style network reproduces onnxruntime's outputs on the
//! float ONNX models (`tests/data/arbitrary_chelsea_starry.safetensors`,
//! onnxruntime 1.31 on CPU, same weights) on the wgpu device and on the CPU
//! backend; style images of any size and with alpha work.

use bevy_gan_style::model::style_image_input;
use bevy_gan_style::prelude::*;
use burn::prelude::*;
use image::{DynamicImage, Rgba, RgbaImage};

use crate::util::{Gpu, max_abs_diff, read_tensors, root};

/// Style vectors: max abs error relative to the vector's norm.
const VECTOR_TOLERANCE: f32 = 1e-3;
/// Images in [0, 1]: max abs error.
const IMAGE_TOLERANCE: f32 = 2e-3;

fn model() -> StyleModel {
    StyleModel::load_file(root().join("assets/models/magenta_arbitrary.style.ron"))
        .expect("bundled model")
}

fn values<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().into_vec().expect("f32")
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

fn check_parity<B: StageBackend>(device: &B::Device, label: &str) {
    let net = model().build::<B>(device).expect("weights load");
    let reference = read_tensors(&root().join("tests/data/arbitrary_chelsea_starry.safetensors"));
    let tensor = |key: &str| {
        let (shape, values) = &reference[key];
        Tensor::<B, 4>::from_data(TensorData::new(values.clone(), shape.clone()), device)
    };
    for (input, expected) in [
        ("style_input", "style_vector"),
        ("content_input", "content_style_vector"),
    ] {
        let got = net
            .predict_style(tensor(input))
            .expect("arbitrary model")
            .to_vec();
        let expected = &reference[expected].1;
        let error = max_abs_diff(&got, expected) / norm(expected);
        println!("{label} predict({input}): max abs error / norm {error:.2e}");
        assert!(error <= VECTOR_TOLERANCE, "{label} {input}: {error}");
    }
    let style = StyleVector::<B>::from_values(&reference["style_vector"].1, device);
    for (input, expected) in [
        ("content_input", "output"),
        ("rect.content_input", "rect.output"),
    ] {
        let output = net.forward(tensor(input), style.tensor());
        assert_eq!(output.dims().to_vec(), reference[expected].0);
        let error = max_abs_diff(&values(output), &reference[expected].1);
        println!("{label} transform({input}): max abs error {error:.2e}");
        assert!(error <= IMAGE_TOLERANCE, "{label} {input}: {error}");
    }
}

#[test]
fn arbitrary_parity_on_the_cpu_backend() {
    check_parity::<CpuBackend>(&Default::default(), "cpu");
}

#[test]
fn arbitrary_parity_on_bevys_wgpu_device() {
    let gpu = Gpu::new();
    check_parity::<GpuBackend>(&gpu.burn, "wgpu");
}

/// Magenta's strength `a·s_style + (1 − a)·s_content` at `a = 1` is the
/// plain style vector; at `a = 0.5` it lies between the two stylizations.
#[test]
fn strength_one_is_the_plain_style_vector() {
    let device = Default::default();
    let net = model().build::<CpuBackend>(&device).expect("weights load");
    let reference = read_tensors(&root().join("tests/data/arbitrary_chelsea_starry.safetensors"));
    let (shape, content) = &reference["rect.content_input"];
    let content = Tensor::<CpuBackend, 4>::from_data(
        TensorData::new(content.clone(), shape.clone()),
        &device,
    );
    let style = StyleVector::<CpuBackend>::from_values(&reference["style_vector"].1, &device);
    let own = StyleVector::<CpuBackend>::from_values(&reference["content_style_vector"].1, &device);

    let plain = values(net.forward(content.clone(), style.tensor()));
    let full = values(net.forward(content.clone(), style.with_strength(&own, 1.0).tensor()));
    assert_eq!(max_abs_diff(&plain, &full), 0.0);

    let half = values(net.forward(content.clone(), style.with_strength(&own, 0.5).tensor()));
    let none = values(net.forward(content, own.tensor()));
    let mean = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f32>() / a.len() as f32
    };
    let (to_full, to_none, full_to_none) =
        (mean(&half, &plain), mean(&half, &none), mean(&plain, &none));
    println!(
        "half strength: {to_full:.4} from full, {to_none:.4} from none ({full_to_none:.4} apart)"
    );
    assert!(to_full < full_to_none && to_none < full_to_none);
}

/// Any picture is a style image: odd sizes are scaled and cropped, alpha is
/// dropped (the colours under it are kept), and the vector is the same as
/// for the opaque picture.
#[test]
fn style_images_of_odd_size_or_with_alpha_work() {
    let device = Default::default();
    let net = model().build::<CpuBackend>(&device).expect("weights load");
    let painting = image::open(root().join("assets/styles/the_scream.jpg"))
        .expect("bundled painting")
        .to_rgba8();
    let odd = image::imageops::resize(&painting, 301, 187, image::imageops::FilterType::Triangle);
    let mut translucent = odd.clone();
    for (x, _, pixel) in translucent.enumerate_pixels_mut() {
        pixel[3] = (x % 256) as u8;
    }
    let opaque = net
        .predict_style_image(&DynamicImage::from(odd), &device)
        .expect("predicts")
        .to_vec();
    let with_alpha = net
        .predict_style_image(&DynamicImage::from(translucent), &device)
        .expect("predicts")
        .to_vec();
    assert!(opaque.iter().all(|v| v.is_finite()));
    assert_eq!(opaque, with_alpha);

    let tiny = DynamicImage::from(RgbaImage::from_pixel(3, 5, Rgba([200, 40, 40, 0])));
    assert_eq!(style_image_input(&tiny).dimensions(), (256, 256));
    let red = net
        .predict_style_image(&tiny, &device)
        .expect("predicts")
        .to_vec();
    assert!(red.iter().all(|v| v.is_finite()));
    assert!(
        max_abs_diff(&red, &opaque) > 0.1,
        "different pictures, different styles"
    );
}

/// Magenta's preparation of `starry_night.jpg` (shorter side bilinear to
/// 256, centre crop) gives the reference's style input, up to resampling
/// differences, and a style vector within the parity tolerance's order.
#[test]
fn style_image_preparation_matches_the_reference() {
    let reference = read_tensors(&root().join("tests/data/arbitrary_chelsea_starry.safetensors"));
    let painting = image::open(root().join("assets/styles/starry_night.jpg")).expect("painting");
    let prepared = style_image_input(&painting);
    let ours = bevy_gan_style::bridge::image_to_tensor::<CpuBackend>(
        &prepared,
        (0.0, 1.0),
        &Default::default(),
    );
    let ours = values(ours);
    let expected = &reference["style_input"].1;
    let mean = ours
        .iter()
        .zip(expected)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / ours.len() as f32;
    println!(
        "style input: mean abs difference {mean:.4}, max {:.4}",
        max_abs_diff(&ours, expected)
    );
    assert!(mean < 0.005, "mean abs difference {mean}");
}

/// Models with stored styles have no predictor, and arbitrary ones need a
/// style image: both are errors, not panics.
#[test]
fn style_sources_that_do_not_fit_the_model_are_errors() {
    let device = Default::default();
    let multistyle = StyleModel::load_file(root().join("assets/models/multistyle26.style.ron"))
        .expect("bundled model");
    let net = multistyle.build::<CpuBackend>(&device).expect("weights");
    let image = DynamicImage::new_rgb8(16, 16);
    assert!(matches!(
        net.predict_style_image(&image, &device),
        Err(bevy_gan_style::model::StyleError::NoPredictor)
    ));
    let error = model()
        .style_tensor::<CpuBackend>(&StyleWeights::single(0), &device)
        .expect_err("no stored styles");
    assert!(error.to_string().contains("style image"), "{error}");
}
