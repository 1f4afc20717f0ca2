//! Inception-v3 up to its 2048-wide pool (Szegedy et al. 2016, torchvision's
//! layout): the feature space of published FID and KID figures. Its weights
//! cannot be shipped; users who have torchvision's `inception_v3` state dict
//! pass it to [`InceptionV3::load`].

use std::path::Path;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation;
use burn::tensor::module::{avg_pool2d, interpolate, max_pool2d};
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::cpu::conv2d_module;
use super::weights::{
    WeightsError, is_pytorch_file, load_pytorch, load_safetensors, read_weights, to_f32_safetensors,
};

/// Side of the images Inception-v3 was trained on; inputs are resized to it.
pub const INCEPTION_SIZE: usize = 299;
/// Width of the pooled features.
pub const INCEPTION_FEATURES: usize = 2048;

/// A convolution without bias, batch normalisation (ε = 10⁻³) and ReLU:
/// torchvision's `BasicConv2d`.
#[derive(Module, Debug)]
pub struct BasicConv<B: Backend> {
    conv: Conv2d<B>,
    bn: BatchNorm<B>,
}

impl<B: Backend> BasicConv<B> {
    /// `kernel` and `padding` as `[height, width]`.
    fn new(
        device: &B::Device,
        channels: [usize; 2],
        kernel: [usize; 2],
        stride: usize,
        padding: [usize; 2],
    ) -> Self {
        let [ph, pw] = padding;
        Self {
            conv: Conv2dConfig::new(channels, kernel)
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
                .with_bias(false)
                .init(device),
            bn: BatchNormConfig::new(channels[1])
                .with_epsilon(1e-3)
                .init(device),
        }
    }

    /// A square `k × k` convolution with stride 1 and "same" padding.
    fn square(device: &B::Device, channels: [usize; 2], k: usize) -> Self {
        Self::new(device, channels, [k, k], 1, [k / 2, k / 2])
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        activation::relu(self.bn.forward(conv2d_module(&self.conv, x)))
    }
}

/// A 1×7 (`wide`) or 7×1 convolution keeping the size.
fn seven<B: Backend>(device: &B::Device, channels: [usize; 2], wide: bool) -> BasicConv<B> {
    if wide {
        BasicConv::new(device, channels, [1, 7], 1, [0, 3])
    } else {
        BasicConv::new(device, channels, [7, 1], 1, [3, 0])
    }
}

/// A 1×3 (`wide`) or 3×1 convolution keeping the size.
fn three<B: Backend>(device: &B::Device, channels: [usize; 2], wide: bool) -> BasicConv<B> {
    if wide {
        BasicConv::new(device, channels, [1, 3], 1, [0, 1])
    } else {
        BasicConv::new(device, channels, [3, 1], 1, [1, 0])
    }
}

/// 3×3 average pool, stride 1, zero padding counted (PyTorch's default).
fn pool_same<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    avg_pool2d(x, [3, 3], [1, 1], [1, 1], true, false)
}

/// 3×3 max pool, stride 2, no padding.
fn pool_half<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    max_pool2d(x, [3, 3], [2, 2], [0, 0], [1, 1], false)
}

/// torchvision's `InceptionA` (Mixed_5b–5d).
#[derive(Module, Debug)]
pub struct InceptionA<B: Backend> {
    branch1x1: BasicConv<B>,
    branch5x5_1: BasicConv<B>,
    branch5x5_2: BasicConv<B>,
    branch3x3dbl_1: BasicConv<B>,
    branch3x3dbl_2: BasicConv<B>,
    branch3x3dbl_3: BasicConv<B>,
    branch_pool: BasicConv<B>,
}

impl<B: Backend> InceptionA<B> {
    fn new(device: &B::Device, input: usize, pool: usize) -> Self {
        Self {
            branch1x1: BasicConv::square(device, [input, 64], 1),
            branch5x5_1: BasicConv::square(device, [input, 48], 1),
            branch5x5_2: BasicConv::square(device, [48, 64], 5),
            branch3x3dbl_1: BasicConv::square(device, [input, 64], 1),
            branch3x3dbl_2: BasicConv::square(device, [64, 96], 3),
            branch3x3dbl_3: BasicConv::square(device, [96, 96], 3),
            branch_pool: BasicConv::square(device, [input, pool], 1),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b5 = self
            .branch5x5_2
            .forward(self.branch5x5_1.forward(x.clone()));
        let b3 = self.branch3x3dbl_1.forward(x.clone());
        let b3 = self.branch3x3dbl_3.forward(self.branch3x3dbl_2.forward(b3));
        let pool = self.branch_pool.forward(pool_same(x.clone()));
        Tensor::cat(vec![self.branch1x1.forward(x), b5, b3, pool], 1)
    }
}

/// torchvision's `InceptionB` (Mixed_6a, halves the size).
#[derive(Module, Debug)]
pub struct InceptionB<B: Backend> {
    branch3x3: BasicConv<B>,
    branch3x3dbl_1: BasicConv<B>,
    branch3x3dbl_2: BasicConv<B>,
    branch3x3dbl_3: BasicConv<B>,
}

impl<B: Backend> InceptionB<B> {
    fn new(device: &B::Device, input: usize) -> Self {
        Self {
            branch3x3: BasicConv::new(device, [input, 384], [3, 3], 2, [0, 0]),
            branch3x3dbl_1: BasicConv::square(device, [input, 64], 1),
            branch3x3dbl_2: BasicConv::square(device, [64, 96], 3),
            branch3x3dbl_3: BasicConv::new(device, [96, 96], [3, 3], 2, [0, 0]),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b3 = self.branch3x3.forward(x.clone());
        let dbl = self.branch3x3dbl_1.forward(x.clone());
        let dbl = self
            .branch3x3dbl_3
            .forward(self.branch3x3dbl_2.forward(dbl));
        Tensor::cat(vec![b3, dbl, pool_half(x)], 1)
    }
}

/// torchvision's `InceptionC` (Mixed_6b–6e, factorised 7×7).
#[derive(Module, Debug)]
pub struct InceptionC<B: Backend> {
    branch1x1: BasicConv<B>,
    branch7x7_1: BasicConv<B>,
    branch7x7_2: BasicConv<B>,
    branch7x7_3: BasicConv<B>,
    branch7x7dbl_1: BasicConv<B>,
    branch7x7dbl_2: BasicConv<B>,
    branch7x7dbl_3: BasicConv<B>,
    branch7x7dbl_4: BasicConv<B>,
    branch7x7dbl_5: BasicConv<B>,
    branch_pool: BasicConv<B>,
}

impl<B: Backend> InceptionC<B> {
    fn new(device: &B::Device, c7: usize) -> Self {
        let input = 768;
        Self {
            branch1x1: BasicConv::square(device, [input, 192], 1),
            branch7x7_1: BasicConv::square(device, [input, c7], 1),
            branch7x7_2: seven(device, [c7, c7], true),
            branch7x7_3: seven(device, [c7, 192], false),
            branch7x7dbl_1: BasicConv::square(device, [input, c7], 1),
            branch7x7dbl_2: seven(device, [c7, c7], false),
            branch7x7dbl_3: seven(device, [c7, c7], true),
            branch7x7dbl_4: seven(device, [c7, c7], false),
            branch7x7dbl_5: seven(device, [c7, 192], true),
            branch_pool: BasicConv::square(device, [input, 192], 1),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b7 = self.branch7x7_1.forward(x.clone());
        let b7 = self.branch7x7_3.forward(self.branch7x7_2.forward(b7));
        let mut dbl = self.branch7x7dbl_1.forward(x.clone());
        for conv in [
            &self.branch7x7dbl_2,
            &self.branch7x7dbl_3,
            &self.branch7x7dbl_4,
            &self.branch7x7dbl_5,
        ] {
            dbl = conv.forward(dbl);
        }
        let pool = self.branch_pool.forward(pool_same(x.clone()));
        Tensor::cat(vec![self.branch1x1.forward(x), b7, dbl, pool], 1)
    }
}

/// torchvision's `InceptionD` (Mixed_7a, halves the size).
#[derive(Module, Debug)]
pub struct InceptionD<B: Backend> {
    branch3x3_1: BasicConv<B>,
    branch3x3_2: BasicConv<B>,
    branch7x7x3_1: BasicConv<B>,
    branch7x7x3_2: BasicConv<B>,
    branch7x7x3_3: BasicConv<B>,
    branch7x7x3_4: BasicConv<B>,
}

impl<B: Backend> InceptionD<B> {
    fn new(device: &B::Device) -> Self {
        let input = 768;
        Self {
            branch3x3_1: BasicConv::square(device, [input, 192], 1),
            branch3x3_2: BasicConv::new(device, [192, 320], [3, 3], 2, [0, 0]),
            branch7x7x3_1: BasicConv::square(device, [input, 192], 1),
            branch7x7x3_2: seven(device, [192, 192], true),
            branch7x7x3_3: seven(device, [192, 192], false),
            branch7x7x3_4: BasicConv::new(device, [192, 192], [3, 3], 2, [0, 0]),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b3 = self
            .branch3x3_2
            .forward(self.branch3x3_1.forward(x.clone()));
        let mut b7 = self.branch7x7x3_1.forward(x.clone());
        for conv in [
            &self.branch7x7x3_2,
            &self.branch7x7x3_3,
            &self.branch7x7x3_4,
        ] {
            b7 = conv.forward(b7);
        }
        Tensor::cat(vec![b3, b7, pool_half(x)], 1)
    }
}

/// torchvision's `InceptionE` (Mixed_7b–7c, split 3×3 branches).
#[derive(Module, Debug)]
pub struct InceptionE<B: Backend> {
    branch1x1: BasicConv<B>,
    branch3x3_1: BasicConv<B>,
    branch3x3_2a: BasicConv<B>,
    branch3x3_2b: BasicConv<B>,
    branch3x3dbl_1: BasicConv<B>,
    branch3x3dbl_2: BasicConv<B>,
    branch3x3dbl_3a: BasicConv<B>,
    branch3x3dbl_3b: BasicConv<B>,
    branch_pool: BasicConv<B>,
}

impl<B: Backend> InceptionE<B> {
    fn new(device: &B::Device, input: usize) -> Self {
        Self {
            branch1x1: BasicConv::square(device, [input, 320], 1),
            branch3x3_1: BasicConv::square(device, [input, 384], 1),
            branch3x3_2a: three(device, [384, 384], true),
            branch3x3_2b: three(device, [384, 384], false),
            branch3x3dbl_1: BasicConv::square(device, [input, 448], 1),
            branch3x3dbl_2: BasicConv::square(device, [448, 384], 3),
            branch3x3dbl_3a: three(device, [384, 384], true),
            branch3x3dbl_3b: three(device, [384, 384], false),
            branch_pool: BasicConv::square(device, [input, 192], 1),
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let b3 = self.branch3x3_1.forward(x.clone());
        let b3 = Tensor::cat(
            vec![
                self.branch3x3_2a.forward(b3.clone()),
                self.branch3x3_2b.forward(b3),
            ],
            1,
        );
        let dbl = self.branch3x3dbl_1.forward(x.clone());
        let dbl = self.branch3x3dbl_2.forward(dbl);
        let dbl = Tensor::cat(
            vec![
                self.branch3x3dbl_3a.forward(dbl.clone()),
                self.branch3x3dbl_3b.forward(dbl),
            ],
            1,
        );
        let pool = self.branch_pool.forward(pool_same(x.clone()));
        Tensor::cat(vec![self.branch1x1.forward(x), b3, dbl, pool], 1)
    }
}

/// Inception-v3's convolutional part up to the global average pool, with
/// torchvision's parameter names in snake case (`Conv2d_1a_3x3.conv.weight`
/// is `conv2d_1a_3x3.conv.weight`, batch-norm `weight` / `bias` are burn's
/// `gamma` / `beta`). For inference: batch normalisation uses its running
/// statistics on a backend without autodiff.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{INCEPTION_FEATURES, InceptionV3};
/// let net = InceptionV3::<CpuBackend>::new(&Default::default());
/// // Any size works: images are resized to 299 × 299 first.
/// let pooled = net.pool_features(Tensor::zeros([2, 3, 32, 32], &Default::default()));
/// assert_eq!(pooled.dims(), [2, INCEPTION_FEATURES]);
/// ```
#[derive(Module, Debug)]
pub struct InceptionV3<B: Backend> {
    conv2d_1a_3x3: BasicConv<B>,
    conv2d_2a_3x3: BasicConv<B>,
    conv2d_2b_3x3: BasicConv<B>,
    conv2d_3b_1x1: BasicConv<B>,
    conv2d_4a_3x3: BasicConv<B>,
    mixed_5b: InceptionA<B>,
    mixed_5c: InceptionA<B>,
    mixed_5d: InceptionA<B>,
    mixed_6a: InceptionB<B>,
    mixed_6b: InceptionC<B>,
    mixed_6c: InceptionC<B>,
    mixed_6d: InceptionC<B>,
    mixed_6e: InceptionC<B>,
    mixed_7a: InceptionD<B>,
    mixed_7b: InceptionE<B>,
    mixed_7c: InceptionE<B>,
}

impl<B: Backend> InceptionV3<B> {
    /// Randomly initialised (for shapes; load weights with [`Self::load`]).
    pub fn new(device: &B::Device) -> Self {
        Self {
            conv2d_1a_3x3: BasicConv::new(device, [3, 32], [3, 3], 2, [0, 0]),
            conv2d_2a_3x3: BasicConv::new(device, [32, 32], [3, 3], 1, [0, 0]),
            conv2d_2b_3x3: BasicConv::square(device, [32, 64], 3),
            conv2d_3b_1x1: BasicConv::square(device, [64, 80], 1),
            conv2d_4a_3x3: BasicConv::new(device, [80, 192], [3, 3], 1, [0, 0]),
            mixed_5b: InceptionA::new(device, 192, 32),
            mixed_5c: InceptionA::new(device, 256, 64),
            mixed_5d: InceptionA::new(device, 288, 64),
            mixed_6a: InceptionB::new(device, 288),
            mixed_6b: InceptionC::new(device, 128),
            mixed_6c: InceptionC::new(device, 160),
            mixed_6d: InceptionC::new(device, 160),
            mixed_6e: InceptionC::new(device, 192),
            mixed_7a: InceptionD::new(device),
            mixed_7b: InceptionE::new(device, 1280),
            mixed_7c: InceptionE::new(device, 2048),
        }
    }

    /// Loads torchvision's `inception_v3` weights: its `.pth` state dict
    /// (e.g. `inception_v3_google-0cc3c7bd.pth`; the auxiliary classifier
    /// and `fc` are ignored) or a safetensors file under the same names
    /// (f32, f16 or bf16).
    pub fn load(path: &Path, device: &B::Device) -> Result<Self, WeightsError> {
        if is_pytorch_file(path) {
            return load_pytorch(Self::new(device), path, |store| {
                store
                    .with_regex(r"^(Conv2d|Mixed)_")
                    .with_key_remapping(r"^Conv2d_", "conv2d_")
                    .with_key_remapping(r"^Mixed_", "mixed_")
            });
        }
        let bytes = to_f32_safetensors(&read_weights(path)?, burn_name)?;
        load_safetensors(Self::new(device), bytes)
    }

    /// The 2048 globally average-pooled features of `images` (`[N, 3, H, W]`
    /// RGB in `[0, 1]`): resized bilinearly to 299 × 299 and scaled to
    /// `[−1, 1]`, the input torchvision's pretrained weights expect (their
    /// `transform_input` maps ImageNet-normalised input to the same).
    pub fn pool_features(&self, images: Tensor<B, 4>) -> Tensor<B, 2> {
        let [n, _, height, width] = images.dims();
        let images = if (height, width) == (INCEPTION_SIZE, INCEPTION_SIZE) {
            images
        } else {
            interpolate(
                images,
                [INCEPTION_SIZE, INCEPTION_SIZE],
                InterpolateOptions {
                    mode: InterpolateMode::Bilinear,
                    align_corners: false,
                },
            )
        };
        let x = images.mul_scalar(2.0).sub_scalar(1.0);
        let x = self.conv2d_1a_3x3.forward(x);
        let x = self.conv2d_2b_3x3.forward(self.conv2d_2a_3x3.forward(x));
        let x = pool_half(x);
        let x = self.conv2d_4a_3x3.forward(self.conv2d_3b_1x1.forward(x));
        let x = pool_half(x);
        let x = self.mixed_5b.forward(x);
        let x = self.mixed_5c.forward(x);
        let x = self.mixed_5d.forward(x);
        let x = self.mixed_6a.forward(x);
        let x = self.mixed_6b.forward(x);
        let x = self.mixed_6c.forward(x);
        let x = self.mixed_6d.forward(x);
        let x = self.mixed_6e.forward(x);
        let x = self.mixed_7a.forward(x);
        let x = self.mixed_7b.forward(x);
        let x = self.mixed_7c.forward(x);
        x.reshape([n as i32, INCEPTION_FEATURES as i32, -1])
            .mean_dim(2)
            .reshape([n, INCEPTION_FEATURES])
    }
}

/// The burn name of a torchvision `inception_v3` tensor; `None` for those
/// the pool features do not use (auxiliary classifier, `fc`, batch-norm
/// counters).
fn burn_name(torch: &str) -> Option<String> {
    let (head, rest) = torch.split_once('.')?;
    if !(head.starts_with("Conv2d_") || head.starts_with("Mixed_"))
        || rest.ends_with("num_batches_tracked")
    {
        return None;
    }
    let rest = match rest.rsplit_once('.') {
        Some((path, "weight")) if path.ends_with("bn") => format!("{path}.gamma"),
        Some((path, "bias")) if path.ends_with("bn") => format!("{path}.beta"),
        _ => rest.to_string(),
    };
    Some(format!("{}.{rest}", head.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_names_map_to_burn_names() {
        assert_eq!(
            burn_name("Mixed_6b.branch7x7_2.bn.weight").as_deref(),
            Some("mixed_6b.branch7x7_2.bn.gamma")
        );
        assert_eq!(
            burn_name("Conv2d_1a_3x3.conv.weight").as_deref(),
            Some("conv2d_1a_3x3.conv.weight")
        );
        assert_eq!(
            burn_name("Conv2d_4a_3x3.bn.running_var").as_deref(),
            Some("conv2d_4a_3x3.bn.running_var")
        );
        for unused in [
            "AuxLogits.conv0.conv.weight",
            "fc.weight",
            "Mixed_5b.branch1x1.bn.num_batches_tracked",
        ] {
            assert_eq!(burn_name(unused), None, "{unused}");
        }
    }
}
