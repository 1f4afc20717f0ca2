//! The single-style transformer of Johnson et al. ("Perceptual Losses for
//! Real-Time Style Transfer", 2016) as trained by Engstrom's
//! fast-style-transfer in TensorFlow: the architecture of the ml5 models.
//! TensorFlow "SAME" zero padding (asymmetric at stride 2), instance norm
//! with ε = 1e-3, transposed convolutions to upsample, and an output of
//! `tanh(x)·150 + 127.5` on inputs in `[0, 255]`.

use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;
use burn::tensor::activation;
use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use safetensors::SafeTensors;

use super::cpu::conv2d;
use super::init::{conv_transpose_weight, conv_weight};
use super::macs::{MacReport, conv_macs};
use super::ops::{instance_norm, same_pad};
use super::weights::WeightsError;
use super::weights::{serialize_f32, to_f32_safetensors};

/// Architecture of a [`JohnsonNet`]; the ml5 models are the default.
///
/// ```
/// use bevy_gan_style_nn::JohnsonConfig;
/// let config = JohnsonConfig::new();
/// assert_eq!(config.channels, [32, 64, 128]);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct JohnsonConfig {
    /// Channels of the three downsampling convolutions (9×9, 3×3 stride
    /// 2, 3×3 stride 2); the two transposed convolutions mirror the first
    /// two.
    #[config(default = "[32, 64, 128]")]
    pub channels: [usize; 3],
    /// Residual blocks.
    #[config(default = 5)]
    pub residual_blocks: usize,
    /// Instance-norm epsilon.
    #[config(default = 1e-3)]
    pub epsilon: f64,
}

impl JohnsonConfig {
    /// Upper bound, in elements, of the largest activation at a
    /// `width × height` input (the first layer's output with the last
    /// layer's input, both at full size).
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        self.channels[0] * (width + 8) * (height + 8)
    }

    /// Creates the network with random weights (identity norms).
    pub fn init<B: Backend>(&self, device: &B::Device) -> JohnsonNet<B> {
        let [c0, c1, c2] = self.channels;
        let layer = |cin, cout, kernel, kind| JohnsonLayer::new(cin, cout, kernel, kind, device);
        JohnsonNet {
            down: vec![
                layer(3, c0, 9, LayerKind::Conv { stride: 1 }),
                layer(c0, c1, 3, LayerKind::Conv { stride: 2 }),
                layer(c1, c2, 3, LayerKind::Conv { stride: 2 }),
            ],
            res: (0..self.residual_blocks)
                .map(|_| {
                    [
                        layer(c2, c2, 3, LayerKind::Conv { stride: 1 }),
                        layer(c2, c2, 3, LayerKind::Conv { stride: 1 }),
                    ]
                })
                .collect(),
            up: vec![
                layer(c2, c1, 3, LayerKind::Transpose),
                layer(c1, c0, 3, LayerKind::Transpose),
            ],
            out: layer(c0, 3, 9, LayerKind::Conv { stride: 1 }),
            epsilon: self.epsilon,
        }
    }
}

/// How a [`JohnsonLayer`] convolves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    /// Convolution with TensorFlow "SAME" padding.
    Conv {
        /// 1 or 2.
        stride: usize,
    },
    /// Stride-2 transposed convolution with "SAME" padding (doubles the
    /// size).
    Transpose,
}

/// Convolution (weights `[out, in, k, k]`, or `[in, out, k, k]` when
/// transposed) followed by instance norm.
#[derive(Module, Debug)]
pub struct JohnsonLayer<B: Backend> {
    /// Convolution weight.
    pub w: Param<Tensor<B, 4>>,
    /// Instance-norm scale `[C]`.
    pub scale: Param<Tensor<B, 1>>,
    /// Instance-norm shift `[C]`.
    pub shift: Param<Tensor<B, 1>>,
    #[module(skip)]
    kind: LayerKind,
}

impl<B: Backend> JohnsonLayer<B> {
    fn new(cin: usize, cout: usize, kernel: usize, kind: LayerKind, device: &B::Device) -> Self {
        let w = match kind {
            LayerKind::Conv { .. } => conv_weight([cin, cout], kernel, device),
            LayerKind::Transpose => conv_transpose_weight([cin, cout], kernel, device),
        };
        Self {
            w,
            scale: Initializer::Ones.init([cout], device),
            shift: Initializer::Zeros.init([cout], device),
            kind,
        }
    }

    fn forward(&self, x: Tensor<B, 4>, epsilon: f64) -> Tensor<B, 4> {
        let [_, _, kernel, _] = self.w.dims();
        let x = match self.kind {
            LayerKind::Conv { stride } => conv2d(
                same_pad(x, kernel, stride),
                self.w.val(),
                None,
                ConvOptions::new([stride, stride], [0, 0], [1, 1], 1),
            ),
            LayerKind::Transpose => {
                // The gradient of a stride-2 "SAME" convolution: no
                // padding before, so the result is cropped at the end.
                let [_, _, h, w] = x.dims();
                let y = conv_transpose2d(
                    x,
                    self.w.val(),
                    None,
                    ConvTransposeOptions::new([2, 2], [0, 0], [0, 0], [1, 1], 1),
                );
                y.narrow(2, 0, 2 * h).narrow(3, 0, 2 * w)
            }
        };
        let c = self.scale.dims()[0];
        instance_norm(
            x,
            self.scale.val().reshape([1, c, 1, 1]),
            self.shift.val().reshape([1, c, 1, 1]),
            epsilon,
        )
    }
}

/// Johnson et al.'s transformer. Input RGB in `[0, 255]`, `[N, 3, H, W]`
/// with `H`, `W` multiples of 4; output RGB in `[0, 255]` (clamped).
///
/// Parameter names (`down.0.w`, `res.2.1.scale`, `up.0.shift`, `out.w`…)
/// are those of the imported safetensors (see
/// [`crate::import_ml5_weights`]).
#[derive(Module, Debug)]
pub struct JohnsonNet<B: Backend> {
    /// 9×9 and two stride-2 convolutions, each with IN and ReLU.
    pub down: Vec<JohnsonLayer<B>>,
    /// Residual blocks `x + IN(conv(ReLU(IN(conv(x)))))`.
    pub res: Vec<[JohnsonLayer<B>; 2]>,
    /// Two transposed convolutions, each with IN and ReLU.
    pub up: Vec<JohnsonLayer<B>>,
    /// 9×9 convolution to RGB with IN, then `tanh·150 + 127.5`.
    pub out: JohnsonLayer<B>,
    /// Instance-norm epsilon.
    pub epsilon: f64,
}

impl<B: Backend> JohnsonNet<B> {
    /// Multiply-accumulates per convolution for a `width × height` input
    /// (see [`MacReport`]; a transposed convolution counts one window per
    /// input pixel).
    pub fn macs(&self, width: usize, height: usize) -> MacReport {
        let mut report = MacReport::default();
        let (mut w, mut h) = (width, height);
        let named = self
            .down
            .iter()
            .enumerate()
            .map(|(i, layer)| (format!("down.{i}"), layer))
            .chain(self.res.iter().enumerate().flat_map(|(i, pair)| {
                [
                    (format!("res.{i}.0"), &pair[0]),
                    (format!("res.{i}.1"), &pair[1]),
                ]
            }))
            .chain(
                self.up
                    .iter()
                    .enumerate()
                    .map(|(i, layer)| (format!("up.{i}"), layer)),
            )
            .chain([("out".to_string(), &self.out)]);
        for (name, layer) in named {
            let [a, b, k, _] = layer.w.dims();
            match layer.kind {
                LayerKind::Conv { stride } => {
                    (w, h) = (w.div_ceil(stride), h.div_ceil(stride));
                    report.push(name, conv_macs(w, h, b, a, k));
                }
                LayerKind::Transpose => {
                    report.push(name, conv_macs(w, h, a, b, k));
                    (w, h) = (2 * w, 2 * h);
                }
            }
        }
        report
    }

    /// Stylises `image` (`[N, 3, H, W]` in `[0, 255]`).
    pub fn forward(&self, image: Tensor<B, 4>) -> Tensor<B, 4> {
        let eps = self.epsilon;
        let mut x = image;
        for layer in &self.down {
            x = activation::relu(layer.forward(x, eps));
        }
        for [first, second] in &self.res {
            let y = activation::relu(first.forward(x.clone(), eps));
            x = x + second.forward(y, eps);
        }
        for layer in &self.up {
            x = activation::relu(layer.forward(x, eps));
        }
        activation::tanh(self.out.forward(x, eps))
            .mul_scalar(150.0)
            .add_scalar(127.5)
            .clamp(0.0, 255.0)
    }
}

/// Converts the TensorFlow checkpoint of an ml5 / fast-style-transfer model
/// (`Variable`, `Variable_1`, … with HWIO kernels, each convolution followed
/// by its instance norm's shift and scale; f32 or f16) into [`JohnsonNet`]'s
/// names and f32 layout, for [`crate::load_safetensors`]. Files already in
/// [`JohnsonNet`]'s names are returned unchanged.
///
/// ```no_run
/// use bevy_gan_style_nn::{JohnsonConfig, import_ml5_weights, load_safetensors};
/// let bytes = import_ml5_weights(std::fs::read("wave.safetensors").unwrap()).unwrap();
/// let net = load_safetensors(JohnsonConfig::new().init::<burn::backend::Flex>(&Default::default()), bytes).unwrap();
/// ```
pub fn import_ml5_weights(bytes: Vec<u8>) -> Result<Vec<u8>, WeightsError> {
    let file = SafeTensors::deserialize(&bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    if file.tensor("Variable").is_err() {
        return Ok(bytes);
    }
    // Half-precision copies are widened first.
    let bytes = to_f32_safetensors(&bytes, |name| Some(name.to_string()))?;
    let file = SafeTensors::deserialize(&bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let layers = file.len() / 3;
    let name = |layer: usize| -> String {
        let blocks = (layers - 6) / 2;
        match layer {
            0..=2 => format!("down.{layer}"),
            l if l < 3 + 2 * blocks => format!("res.{}.{}", (l - 3) / 2, (l - 3) % 2),
            l if l < layers - 1 => format!("up.{}", l - 3 - 2 * blocks),
            _ => "out".into(),
        }
    };
    let variable = |index: usize| {
        let key = if index == 0 {
            "Variable".to_string()
        } else {
            format!("Variable_{index}")
        };
        let view = file
            .tensor(&key)
            .map_err(|_| WeightsError::Missing(vec![key.clone()]))?;
        let values: Vec<f32> = bytemuck::pod_collect_to_vec(view.data());
        Ok((key, view.shape().to_vec(), values))
    };
    let mut tensors = Vec::new();
    for layer in 0..layers {
        let prefix = name(layer);
        let (key, shape, kernel) = variable(3 * layer)?;
        let [kh, kw, a, b] = shape[..] else {
            return Err(WeightsError::Tensor {
                name: key,
                message: format!("expected a 4-D kernel, found shape {shape:?}"),
            });
        };
        // [kh, kw, a, b] → [b, a, kh, kw]: HWIO → OIHW for convolutions,
        // [kh, kw, out, in] → [in, out, kh, kw] for transposed ones.
        let mut permuted = vec![0.0f32; kernel.len()];
        for y in 0..kh {
            for x in 0..kw {
                for i in 0..a {
                    for o in 0..b {
                        permuted[((o * a + i) * kh + y) * kw + x] =
                            kernel[((y * kw + x) * a + i) * b + o];
                    }
                }
            }
        }
        tensors.push((format!("{prefix}.w"), vec![b, a, kh, kw], permuted));
        let (_, shape, shift) = variable(3 * layer + 1)?;
        tensors.push((format!("{prefix}.shift"), shape, shift));
        let (_, shape, scale) = variable(3 * layer + 2)?;
        tensors.push((format!("{prefix}.scale"), shape, scale));
    }
    serialize_f32(&tensors)
}
