//! The CPU backend's own kernels against burn's ops on the same backend:
//! convolutions (`nn::conv2d`: the crate's im2col + GEMM kernels) against
//! burn's `conv2d`, outputs and, under autodiff, the gradients of the
//! input, weight and bias, over strides, kernel sizes, asymmetric padding
//! and tiled sizes; a whole style network's CPU stages at batch 2; and the
//! Gram matrix, the 2×2 max pool, reflection and circular padding and
//! circular upsampling, values and their own backward steps.

use bevy_gan_style::nn::{
    Draw, MultiStyleConfig, Precision, SplitMix64, StageBackend, StagedNet, circular_pad,
    circular_upsample_bilinear2x, conv2d, conv2d_module, gram, max_pool2x2, reflect_pad,
    run_stages_plain,
};
use bevy_gan_style::prelude::CpuBackend;
use burn::backend::Autodiff;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2dConfig;
use burn::prelude::*;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::PaddedConvOptions;

use crate::util::max_abs_diff;

type Train = Autodiff<CpuBackend>;

/// One convolution to compare.
#[derive(Debug, Clone, Copy)]
struct Case {
    batch: usize,
    cin: usize,
    cout: usize,
    kernel: [usize; 2],
    stride: usize,
    /// top, left, bottom, right.
    padding: [usize; 4],
    size: [usize; 2],
    bias: bool,
}

const CASES: [Case; 9] = [
    // A style network's 3×3 with bias.
    Case {
        batch: 2,
        cin: 3,
        cout: 5,
        kernel: [3, 3],
        stride: 1,
        padding: [1; 4],
        size: [9, 7],
        bias: true,
    },
    // The 9×9 input layer after reflection padding.
    Case {
        batch: 1,
        cin: 4,
        cout: 3,
        kernel: [9, 9],
        stride: 1,
        padding: [0; 4],
        size: [12, 13],
        bias: false,
    },
    // Downsampling with odd sizes.
    Case {
        batch: 2,
        cin: 3,
        cout: 4,
        kernel: [3, 3],
        stride: 2,
        padding: [1; 4],
        size: [11, 10],
        bias: true,
    },
    // The patch discriminator's 4×4 stride 2.
    Case {
        batch: 1,
        cin: 2,
        cout: 3,
        kernel: [4, 4],
        stride: 2,
        padding: [1; 4],
        size: [10, 9],
        bias: true,
    },
    // Pointwise.
    Case {
        batch: 2,
        cin: 6,
        cout: 2,
        kernel: [1, 1],
        stride: 1,
        padding: [0; 4],
        size: [5, 6],
        bias: true,
    },
    // Asymmetric padding, as `Same` on an even kernel gives.
    Case {
        batch: 1,
        cin: 2,
        cout: 2,
        kernel: [2, 3],
        stride: 1,
        padding: [0, 1, 2, 0],
        size: [6, 5],
        bias: false,
    },
    // A stride larger than the kernel: some inputs are never read.
    Case {
        batch: 1,
        cin: 2,
        cout: 3,
        kernel: [2, 2],
        stride: 3,
        padding: [0; 4],
        size: [8, 11],
        bias: true,
    },
    // VGG-like: 576 taps, so the 1,280 positions split into several tiles.
    Case {
        batch: 2,
        cin: 64,
        cout: 4,
        kernel: [3, 3],
        stride: 1,
        padding: [1; 4],
        size: [32, 40],
        bias: true,
    },
    // Padding larger than the kernel reaches.
    Case {
        batch: 1,
        cin: 1,
        cout: 2,
        kernel: [3, 3],
        stride: 1,
        padding: [3; 4],
        size: [4, 4],
        bias: false,
    },
];

fn values(count: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64::seeded(seed);
    (0..count).map(|_| rng.range(-1.0, 1.0)).collect()
}

/// The case's input, weight, bias and output weights (for a scalar loss).
struct Data {
    x: Tensor<CpuBackend, 4>,
    weight: Tensor<CpuBackend, 4>,
    bias: Option<Tensor<CpuBackend, 1>>,
}

impl Case {
    fn options(&self) -> PaddedConvOptions<2> {
        let [top, left, bottom, right] = self.padding;
        PaddedConvOptions::asymmetric([self.stride; 2], [top, left], [bottom, right], [1, 1], 1)
    }

    fn data(&self, seed: u64) -> Data {
        let device = Default::default();
        let [h, w] = self.size;
        let [kh, kw] = self.kernel;
        let x = [self.batch, self.cin, h, w];
        let weight = [self.cout, self.cin, kh, kw];
        let tensor = |shape: [usize; 4], seed| {
            let count = shape.iter().product();
            Tensor::<CpuBackend, 4>::from_data(TensorData::new(values(count, seed), shape), &device)
        };
        Data {
            x: tensor(x, seed),
            weight: tensor(weight, seed + 1),
            bias: self
                .bias
                .then(|| Tensor::from_floats(values(self.cout, seed + 2).as_slice(), &device)),
        }
    }
}

fn vec<const D: usize>(tensor: Tensor<CpuBackend, D>) -> Vec<f32> {
    tensor.into_data().to_vec::<f32>().expect("f32 tensor")
}

/// Differences scaled to the reference's largest magnitude.
fn relative(ours: Vec<f32>, reference: Vec<f32>) -> f32 {
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    max_abs_diff(&ours, &reference) / scale
}

#[test]
fn forward_matches_burn() {
    for (i, case) in CASES.iter().enumerate() {
        let data = case.data(10 * i as u64);
        let ours = conv2d(
            data.x.clone(),
            data.weight.clone(),
            data.bias.clone(),
            case.options(),
        );
        let burn = burn::tensor::module::conv2d(data.x, data.weight, data.bias, case.options());
        assert_eq!(ours.dims(), burn.dims(), "{case:?}");
        let error = relative(vec(ours), vec(burn));
        assert!(error < 1e-5, "{case:?}: relative difference {error}");
    }
}

/// The gradients of `sum(conv(x, w) + b) · r)` for every input.
fn gradients(case: &Case, data: &Data, ours: bool) -> Vec<Vec<f32>> {
    let device = Default::default();
    let x = Tensor::<Train, 4>::from_inner(data.x.clone()).require_grad();
    let weight = Tensor::<Train, 4>::from_inner(data.weight.clone()).require_grad();
    let bias = data
        .bias
        .clone()
        .map(|bias| Tensor::<Train, 1>::from_inner(bias).require_grad());
    let y = if ours {
        conv2d(x.clone(), weight.clone(), bias.clone(), case.options())
    } else {
        burn::tensor::module::conv2d(x.clone(), weight.clone(), bias.clone(), case.options())
    };
    let dims = y.dims();
    let r = Tensor::<Train, 4>::from_data(
        TensorData::new(values(dims.iter().product(), 99), dims),
        &device,
    );
    let grads = (y * r).sum().backward();
    let mut out = vec![
        vec(x.grad(&grads).expect("input gradient")),
        vec(weight.grad(&grads).expect("weight gradient")),
    ];
    if let Some(bias) = bias {
        out.push(vec(bias.grad(&grads).expect("bias gradient")));
    }
    out
}

#[test]
fn gradients_match_burn() {
    for (i, case) in CASES.iter().enumerate() {
        let data = case.data(10 * i as u64 + 5);
        let ours = gradients(case, &data, true);
        let burn = gradients(case, &data, false);
        for (name, (ours, burn)) in ["input", "weight", "bias"]
            .iter()
            .zip(ours.into_iter().zip(burn))
        {
            let error = relative(ours, burn);
            assert!(
                error < 1e-5,
                "{case:?}: {name} gradient, relative difference {error}"
            );
        }
    }
}

/// Only the weight tracked (the input a constant image), and a chain of
/// two convolutions: the first one's input gradient flows on.
#[test]
fn partial_and_chained_gradients_match_burn() {
    let case = CASES[2];
    let data = case.data(7);
    let run = |ours: bool| {
        let x = Tensor::<Train, 4>::from_inner(data.x.clone());
        let weight = Tensor::<Train, 4>::from_inner(data.weight.clone()).require_grad();
        let second = TensorData::new(values(2 * 4 * 3 * 3, 11), [2, 4, 3, 3]);
        let second = Tensor::<Train, 4>::from_data(second, &Default::default()).require_grad();
        let conv = |x, w, options| match ours {
            true => conv2d(x, w, None, options),
            false => burn::tensor::module::conv2d(x, w, None, options),
        };
        let y = conv(x, weight.clone(), case.options());
        let y = conv(y, second.clone(), CASES[0].options());
        let grads = y.powi_scalar(2).sum().backward();
        [
            vec(weight.grad(&grads).expect("first weight")),
            vec(second.grad(&grads).expect("second weight")),
        ]
    };
    for (ours, burn) in run(true).into_iter().zip(run(false)) {
        let error = relative(ours, burn);
        assert!(error < 1e-5, "relative difference {error}");
    }
}

/// `nn::gram` under autodiff (the CPU backend's own backward step) against
/// burn differentiating `F · Fᵀ / (C·H·W)`: value and the features'
/// gradient, with a loss that weighs `G` unevenly (its gradient is not
/// symmetric) and the features used again after the Gram matrix.
#[test]
fn gram_gradient_matches_burn() {
    let device = Default::default();
    let shape = [2, 5, 6, 7];
    let features = Tensor::<CpuBackend, 4>::from_data(
        TensorData::new(values(shape.iter().product(), 21), shape),
        &device,
    );
    let weights =
        Tensor::<Train, 3>::from_data(TensorData::new(values(50, 22), [2, 5, 5]), &device);
    let run = |ours: bool| {
        let x = Tensor::<Train, 4>::from_inner(features.clone()).require_grad();
        let g = if ours {
            gram(x.clone())
        } else {
            let flat = x.clone().reshape([2, 5, 42]);
            flat.clone().matmul(flat.swap_dims(1, 2)).div_scalar(210.0)
        };
        let loss = (g.clone() * weights.clone()).sum() + x.clone().powi_scalar(2).sum();
        let grads = loss.backward();
        [
            vec(g.inner()),
            vec(x.grad(&grads).expect("features' gradient")),
        ]
    };
    for (ours, burn) in run(true).into_iter().zip(run(false)) {
        let error = relative(ours, burn);
        assert!(error < 1e-5, "relative difference {error}");
    }
}

/// `nn::max_pool2x2` (the CPU backend's own loops) against burn's
/// `max_pool2d`: value and, under autodiff, the input's gradient, on odd
/// and even sizes.
#[test]
fn max_pool_matches_burn() {
    let device = Default::default();
    for (i, shape) in [[2, 3, 8, 6], [1, 2, 7, 9]].into_iter().enumerate() {
        let x = Tensor::<CpuBackend, 4>::from_data(
            TensorData::new(values(shape.iter().product(), 30 + i as u64), shape),
            &device,
        );
        let error = relative(
            vec(max_pool2x2(x.clone())),
            vec(max_pool2d(x.clone(), [2, 2], [2, 2], [0, 0], [1, 1], false)),
        );
        assert!(
            error < 1e-6,
            "{shape:?}: value, relative difference {error}"
        );
        let gradient = |ours: bool| {
            let x = Tensor::<Train, 4>::from_inner(x.clone()).require_grad();
            let y = match ours {
                true => max_pool2x2(x.clone()),
                false => max_pool2d(x.clone(), [2, 2], [2, 2], [0, 0], [1, 1], false),
            };
            let dims = y.dims();
            let r = Tensor::<Train, 4>::from_data(
                TensorData::new(values(dims.iter().product(), 98), dims),
                &device,
            );
            vec(x.grad(&(y * r).sum().backward()).expect("input gradient"))
        };
        let error = relative(gradient(true), gradient(false));
        assert!(
            error < 1e-6,
            "{shape:?}: gradient, relative difference {error}"
        );
    }
}

/// burn's reflection (`circular` false) or circular padding written out:
/// narrows, flips and a concatenation.
fn generic_pad<B: Backend>(x: Tensor<B, 4>, pad: usize, circular: bool) -> Tensor<B, 4> {
    let wrap = |x: Tensor<B, 4>, dim: usize| {
        let size = x.dims()[dim];
        let flip = |t: Tensor<B, 4>| t.flip([dim as isize]);
        let (before, after) = match circular {
            true => (
                x.clone().narrow(dim, size - pad, pad),
                x.clone().narrow(dim, 0, pad),
            ),
            false => (
                flip(x.clone().narrow(dim, 1, pad)),
                flip(x.clone().narrow(dim, size - pad - 1, pad)),
            ),
        };
        Tensor::cat(vec![before, x, after], dim)
    };
    wrap(wrap(x, 2), 3)
}

/// `nn::reflect_pad` and `nn::circular_pad` (the CPU backend's own pass
/// and backward step) against the same padding in burn's ops: value and,
/// under autodiff, the image's gradient, with the image also used
/// unpadded.
#[test]
fn padding_matches_burn() {
    let device = Default::default();
    let cases = [([2, 3, 6, 5], 1), ([1, 2, 9, 10], 4), ([1, 2, 5, 6], 5)];
    for (i, (shape, pad)) in cases.into_iter().enumerate() {
        let x = Tensor::<CpuBackend, 4>::from_data(
            TensorData::new(values(shape.iter().product(), 40 + i as u64), shape),
            &device,
        );
        // Reflection needs the padding smaller than the image.
        for circular in [false, true].into_iter().filter(|&c| c || pad < 5) {
            let ours = |x| match circular {
                true => circular_pad(x, pad),
                false => reflect_pad(x, pad),
            };
            let case = format!("{shape:?} pad {pad} circular {circular}");
            let error = relative(
                vec(ours(x.clone())),
                vec(generic_pad(x.clone(), pad, circular)),
            );
            assert!(error == 0.0, "{case}: value, difference {error}");
            let gradient = |reference: bool| {
                let x = Tensor::<Train, 4>::from_inner(x.clone()).require_grad();
                let y = match (reference, circular) {
                    (true, _) => generic_pad(x.clone(), pad, circular),
                    (false, true) => circular_pad(x.clone(), pad),
                    (false, false) => reflect_pad(x.clone(), pad),
                };
                let dims = y.dims();
                let r = Tensor::<Train, 4>::from_data(
                    TensorData::new(values(dims.iter().product(), 97), dims),
                    &device,
                );
                let loss = (y * r).sum() + x.clone().powi_scalar(2).sum();
                vec(x.grad(&loss.backward()).expect("image gradient"))
            };
            let error = relative(gradient(false), gradient(true));
            assert!(
                error < 1e-6,
                "{case}: gradient, relative difference {error}"
            );
        }
    }
}

/// burn's circular bilinear ×2 upsampling written out: rolls, a stack and
/// a reshape per axis.
fn generic_upsample<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    let along = |x: Tensor<B, 4>, dim: usize| {
        let mut dims = x.dims();
        let previous = x.clone().roll_dim(-1, dim);
        let next = x.clone().roll_dim(1, dim);
        let even = x.clone().mul_scalar(0.75) + previous.mul_scalar(0.25);
        let odd = x.mul_scalar(0.75) + next.mul_scalar(0.25);
        dims[dim] *= 2;
        Tensor::stack::<5>(vec![even, odd], dim + 1).reshape(dims)
    };
    along(along(x, 2), 3)
}

/// `nn::circular_upsample_bilinear2x` (the CPU backend's own passes and
/// backward step) against the same upsampling in burn's ops, on sizes
/// down to one pixel.
#[test]
fn circular_upsampling_matches_burn() {
    let device = Default::default();
    for (i, shape) in [[2, 3, 5, 4], [1, 2, 1, 3], [1, 1, 2, 2]]
        .into_iter()
        .enumerate()
    {
        let x = Tensor::<CpuBackend, 4>::from_data(
            TensorData::new(values(shape.iter().product(), 50 + i as u64), shape),
            &device,
        );
        let error = relative(
            vec(circular_upsample_bilinear2x(x.clone())),
            vec(generic_upsample(x.clone())),
        );
        assert!(
            error < 1e-6,
            "{shape:?}: value, relative difference {error}"
        );
        let gradient = |ours: bool| {
            let x = Tensor::<Train, 4>::from_inner(x.clone()).require_grad();
            let y = match ours {
                true => circular_upsample_bilinear2x(x.clone()),
                false => generic_upsample(x.clone()),
            };
            let dims = y.dims();
            let r = Tensor::<Train, 4>::from_data(
                TensorData::new(values(dims.iter().product(), 96), dims),
                &device,
            );
            let loss = (y * r).sum() + x.clone().powi_scalar(2).sum();
            vec(x.grad(&loss.backward()).expect("input gradient"))
        };
        let error = relative(gradient(true), gradient(false));
        assert!(
            error < 1e-6,
            "{shape:?}: gradient, relative difference {error}"
        );
    }
}

/// Modules through `conv2d_module`, with each padding configuration; a
/// grouped convolution (not the crate's kernels) still gives burn's result.
#[test]
fn modules_match_burn() {
    let device = Default::default();
    let x = Tensor::<CpuBackend, 4>::from_data(
        TensorData::new(values(2 * 4 * 9 * 8, 3), [2, 4, 9, 8]),
        &device,
    );
    let configs = [
        Conv2dConfig::new([4, 6], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)),
        Conv2dConfig::new([4, 6], [4, 4]).with_padding(PaddingConfig2d::Same),
        Conv2dConfig::new([4, 6], [3, 3]).with_stride([2, 2]),
        Conv2dConfig::new([4, 6], [3, 3]).with_groups(2),
    ];
    for config in configs {
        let conv = config.init::<CpuBackend>(&device);
        let error = relative(
            vec(conv2d_module(&conv, x.clone())),
            vec(conv.forward(x.clone())),
        );
        assert!(error < 1e-5, "{config:?}: relative difference {error}");
    }
}

/// multistyle26's layout at a small width (9×9 head, stride-2 stages,
/// residual pairs, upsampling, sigmoid output) on two images with two
/// style rows: the CPU stages against burn's ops.
#[test]
fn style_network_stages_match_burn() {
    let device = Default::default();
    let net = MultiStyleConfig::new(2, [8, 16, 16], 2, [8, 4]).init::<CpuBackend>(&device);
    let style = Tensor::from_floats([[1.0, 0.0], [0.3, 0.7]], &device);
    let stages = net.stages_for(style);
    let x = Tensor::<CpuBackend, 4>::from_data(
        TensorData::new(values(2 * 3 * 21 * 30, 4), [2, 3, 21, 30]),
        &device,
    );
    let ours = CpuBackend::run_stages(&stages, x.clone(), Precision::F32);
    let burn = run_stages_plain(&stages, x);
    assert_eq!(ours.dims(), burn.dims());
    let error = relative(vec(ours), vec(burn));
    assert!(error < 1e-5, "relative difference {error}");
}
