//! VGG16's convolutional layers (Simonyan & Zisserman 2015, torchvision
//! weights): the loss network of perceptual style transfer and of LPIPS.

use std::path::Path;

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation;

use super::cpu::conv2d_module;
use super::cpu::max_pool2x2;
use super::weights::{
    WeightsError, is_pytorch_file, load_pytorch, load_safetensors, read_weights, to_f32_safetensors,
};

/// Output channels of VGG16's 13 convolutions, in order.
const CHANNELS: [usize; 13] = [
    64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512,
];
/// Number of convolutions in each of the five blocks (a 2×2 max pool
/// follows each block).
const BLOCKS: [usize; 5] = [2, 2, 3, 3, 3];
/// torchvision's `features.N` index of each convolution.
const TORCHVISION_INDEX: [usize; 13] = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28];
const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];

/// A feature tap: the ReLU output at the end of a block.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum VggTap {
    /// After conv1_2 (64 channels, full size).
    Relu1_2,
    /// After conv2_2 (128 channels, 1/2 size).
    Relu2_2,
    /// After conv3_3 (256 channels, 1/4 size).
    Relu3_3,
    /// After conv4_3 (512 channels, 1/8 size).
    Relu4_3,
    /// After conv5_3 (512 channels, 1/16 size).
    Relu5_3,
}

impl VggTap {
    /// All taps, shallow to deep.
    pub const ALL: [VggTap; 5] = [
        Self::Relu1_2,
        Self::Relu2_2,
        Self::Relu3_3,
        Self::Relu4_3,
        Self::Relu5_3,
    ];

    /// The four taps of Johnson et al.'s style loss.
    pub const STYLE: [VggTap; 4] = [Self::Relu1_2, Self::Relu2_2, Self::Relu3_3, Self::Relu4_3];

    /// Index of the block this tap ends (0-based).
    pub fn block(self) -> usize {
        self as usize
    }
}

impl std::str::FromStr for VggTap {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "relu1_2" => Ok(Self::Relu1_2),
            "relu2_2" => Ok(Self::Relu2_2),
            "relu3_3" => Ok(Self::Relu3_3),
            "relu4_3" => Ok(Self::Relu4_3),
            "relu5_3" => Ok(Self::Relu5_3),
            other => Err(format!(
                "unknown VGG16 layer `{other}` (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3)"
            )),
        }
    }
}

/// VGG16 up to conv5_3: 3×3 convolutions with zero padding 1 and ReLU, a
/// 2×2 max pool after each block. Parameters are `features.{0..12}.weight`
/// / `.bias` (torchvision's indices made contiguous).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{Vgg16, VggTap};
/// let vgg = Vgg16::<CpuBackend>::new(&Default::default());
/// let taps = vgg.forward(Tensor::zeros([1, 3, 32, 32], &Default::default()), VggTap::Relu2_2);
/// assert_eq!(taps.len(), 2);
/// assert_eq!(taps[1].dims(), [1, 128, 16, 16]);
/// ```
#[derive(Module, Debug)]
pub struct Vgg16<B: Backend> {
    /// The 13 convolutions.
    pub features: Vec<Conv2d<B>>,
}

impl<B: Backend> Vgg16<B> {
    /// Randomly initialised (for tests and shapes; load weights with
    /// [`Self::load`]).
    pub fn new(device: &B::Device) -> Self {
        let mut channels_in = 3;
        let features = CHANNELS
            .iter()
            .map(|&channels_out| {
                let conv = Conv2dConfig::new([channels_in, channels_out], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .init(device);
                channels_in = channels_out;
                conv
            })
            .collect();
        Self { features }
    }

    /// Loads the torchvision weights: a safetensors file with keys
    /// `features.{0,2,5,…,28}.{weight,bias}` (f32, f16 or bf16; the shipped
    /// `assets/training/vgg16_features.safetensors` is f16) or a PyTorch
    /// `vgg16-*.pth` state dict (its classifier is ignored).
    pub fn load(path: &Path, device: &B::Device) -> Result<Self, WeightsError> {
        if is_pytorch_file(path) {
            // Contiguous index mapping turns `features.2` into `features.1`…
            return load_pytorch(Self::new(device), path, |store| {
                store
                    .with_regex(r"^features\.")
                    .map_indices_contiguous(true)
            });
        }
        let bytes = to_f32_safetensors(&read_weights(path)?, |name| {
            let rest = name.strip_prefix("features.")?;
            let (index, param) = rest.split_once('.')?;
            let index: usize = index.parse().ok()?;
            let position = TORCHVISION_INDEX.iter().position(|&i| i == index)?;
            Some(format!("features.{position}.{param}"))
        })?;
        load_safetensors(Self::new(device), bytes)
    }

    /// Features of `image` (`[N, 3, H, W]` RGB in `[0, 1]`, ImageNet-
    /// normalised here) at every tap up to `deepest`, shallow first.
    pub fn forward(&self, image: Tensor<B, 4>, deepest: VggTap) -> Vec<Tensor<B, 4>> {
        let device = image.device();
        let mean = Tensor::<B, 1>::from_floats(IMAGENET_MEAN, &device).reshape([1, 3, 1, 1]);
        let std = Tensor::<B, 1>::from_floats(IMAGENET_STD, &device).reshape([1, 3, 1, 1]);
        let mut x = (image - mean) / std;
        let mut taps = Vec::new();
        let mut convs = self.features.iter();
        for (block, &count) in BLOCKS.iter().enumerate().take(deepest.block() + 1) {
            if block > 0 {
                x = max_pool2x2(x);
            }
            for conv in convs.by_ref().take(count) {
                x = activation::relu(conv2d_module(conv, x));
            }
            taps.push(x.clone());
        }
        taps
    }
}
