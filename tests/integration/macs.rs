//! Multiply-accumulate counts, checked by hand on tiny networks.

use bevy_gan_style::device::CpuBackend;
use bevy_gan_style::nn::{ConvShape, JohnsonConfig, MultiStyleConfig, StagedNet, StyleTransformer};
use burn::prelude::*;

fn layers(report: &bevy_gan_style::nn::MacReport) -> Vec<(&str, u64)> {
    report
        .layers
        .iter()
        .map(|layer| (layer.name.as_str(), layer.macs))
        .collect()
}

#[test]
fn multi_style_macs_per_layer_classic_and_lite() {
    let device = Default::default();
    let config = MultiStyleConfig::new(2, [4, 8, 8], 1, [4, 2]);
    let classic = config.init::<CpuBackend>(&device).macs(16, 8);
    // outputs (w·h) · cout · cin · k²
    assert_eq!(
        layers(&classic),
        [
            ("contract.0", 16 * 8 * 4 * 3 * 81),
            ("contract.1", 8 * 4 * 8 * 4 * 9),
            ("contract.2", 4 * 2 * 8 * 8 * 9),
            ("res.0.0", 4 * 2 * 8 * 8 * 9),
            ("res.0.1", 4 * 2 * 8 * 8 * 9),
            ("expand.0", 8 * 4 * 4 * 8 * 9),
            ("expand.1", 16 * 8 * 2 * 4 * 9),
            ("expand.2", 16 * 8 * 3 * 2 * 81),
        ]
    );
    assert_eq!(classic.total(), 228_096);

    let lite = config
        .with_shape(Some(ConvShape::LITE))
        .init::<CpuBackend>(&device);
    let report = lite.macs(16, 8);
    assert_eq!(
        layers(&report),
        [
            ("contract.0", 8 * 4 * 4 * 3 * 9),
            ("contract.1", 4 * 2 * 8 * 4 * 9),
            ("contract.2", 4 * 2 * 8 * 8 * 9),
            ("res.0.0", 4 * 2 * 8 * 8 * 9),
            ("res.0.1", 4 * 2 * 8 * 8 * 9),
            ("expand.0", 8 * 4 * 4 * 8 * 9),
            ("expand.1", 16 * 8 * 2 * 4 * 9),
            ("expand.2", 16 * 8 * 3 * 2 * 9),
        ]
    );
    assert_eq!(report.total(), 44_928);
    // The lite shape keeps the input size.
    let y = lite.forward(
        Tensor::ones([1, 3, 8, 16], &device),
        Tensor::from_floats([[1.0, 0.0]], &device),
    );
    assert_eq!(y.dims(), [1, 3, 8, 16]);
}

#[test]
fn johnson_macs_count_transposed_convolutions_per_input_pixel() {
    let net = JohnsonConfig::new()
        .with_channels([2, 4, 8])
        .with_residual_blocks(1)
        .init::<CpuBackend>(&Default::default());
    let report = net.macs(16, 8);
    assert_eq!(
        layers(&report),
        [
            ("down.0", 16 * 8 * 2 * 3 * 81),
            ("down.1", 8 * 4 * 4 * 2 * 9),
            ("down.2", 4 * 2 * 8 * 4 * 9),
            ("res.0.0", 4 * 2 * 8 * 8 * 9),
            ("res.0.1", 4 * 2 * 8 * 8 * 9),
            // Transposed: each of the 4·2 (then 8·4) input pixels spreads
            // a 3×3 window to every output channel.
            ("up.0", 4 * 2 * 8 * 4 * 9),
            ("up.1", 8 * 4 * 4 * 2 * 9),
            ("out", 16 * 8 * 3 * 2 * 81),
        ]
    );
    assert_eq!(report.total(), 142_848);
}

#[test]
fn shapes_that_do_not_restore_the_size_are_rejected() {
    assert!(ConvShape::CLASSIC.check().is_ok() && ConvShape::LITE.check().is_ok());
    let three = ConvShape {
        contract_strides: [2, 2, 2],
        ..ConvShape::LITE
    };
    assert!(three.check().unwrap_err().contains("reduce the size by 4"));
    let even = ConvShape {
        output_kernel: 4,
        ..ConvShape::LITE
    };
    assert!(even.check().unwrap_err().contains("odd"));
}
