//! MobileNetV2 (width 1.0), the backbone of Magenta's style predictor: the
//! TensorFlow variant, with "SAME" zero padding (asymmetric at stride 2),
//! ReLU6, and batch norm folded into the convolution biases.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;

use super::cpu::conv2d_module;
use super::ops::{pointwise_conv, same_pad};

/// `(input channels, expanded channels, output channels, stride)` of the 17
/// inverted residual blocks (Sandler et al. 2018, table 2, width 1.0).
const BLOCKS: [(usize, usize, usize, usize); 17] = [
    (32, 32, 16, 1),
    (16, 96, 24, 2),
    (24, 144, 24, 1),
    (24, 144, 32, 2),
    (32, 192, 32, 1),
    (32, 192, 32, 1),
    (32, 192, 64, 2),
    (64, 384, 64, 1),
    (64, 384, 64, 1),
    (64, 384, 64, 1),
    (64, 384, 96, 1),
    (96, 576, 96, 1),
    (96, 576, 96, 1),
    (96, 576, 160, 2),
    (160, 960, 160, 1),
    (160, 960, 160, 1),
    (160, 960, 320, 1),
];

/// Channels of the pooled feature vector [`MobileNetV2::forward`] returns.
pub const MOBILENET_FEATURES: usize = 1280;

fn relu6<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    x.clamp(0.0, 6.0)
}

/// A convolution whose padding is applied by the caller.
fn conv(cin: usize, cout: usize, kernel: usize, stride: usize) -> Conv2dConfig {
    Conv2dConfig::new([cin, cout], [kernel, kernel]).with_stride([stride, stride])
}

/// Inverted residual block: 1×1 expansion (ReLU6), 3×3 depthwise
/// convolution (ReLU6), linear 1×1 projection, and the input added back
/// when the shape is unchanged.
#[derive(Module, Debug)]
pub struct InvertedResidual<B: Backend> {
    /// 1×1 expansion; absent when the expansion factor is 1 (block 0).
    pub expand: Option<Conv2d<B>>,
    /// 3×3 depthwise convolution (`groups` = channels).
    pub depthwise: Conv2d<B>,
    /// Linear 1×1 projection.
    pub project: Conv2d<B>,
    /// Whether the block input is added to its output.
    pub residual: bool,
}

impl<B: Backend> InvertedResidual<B> {
    fn new(
        (cin, expanded, cout, stride): (usize, usize, usize, usize),
        device: &B::Device,
    ) -> Self {
        Self {
            expand: (expanded != cin).then(|| conv(cin, expanded, 1, 1).init(device)),
            depthwise: conv(expanded, expanded, 3, stride)
                .with_groups(expanded)
                .init(device),
            project: conv(expanded, cout, 1, 1).init(device),
            residual: stride == 1 && cin == cout,
        }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut h = x.clone();
        if let Some(expand) = &self.expand {
            h = relu6(pointwise_conv(expand, h));
        }
        let stride = self.depthwise.stride[0];
        h = relu6(self.depthwise.forward(same_pad(h, 3, stride)));
        h = pointwise_conv(&self.project, h);
        if self.residual { h + x } else { h }
    }
}

/// MobileNetV2 up to its global average pool: `[N, 3, H, W]` RGB in
/// `[0, 1]` (no further normalisation) → `[N, 1280]` features.
///
/// Module paths are `conv0`, `blocks.{0..16}.{expand,depthwise,project}`
/// and `conv1`, each with `weight` and `bias`.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{MOBILENET_FEATURES, MobileNetV2};
/// let net = MobileNetV2::<CpuBackend>::new(&Default::default());
/// let image = Tensor::<CpuBackend, 4>::zeros([1, 3, 32, 32], &Default::default());
/// assert_eq!(net.forward(image).dims(), [1, MOBILENET_FEATURES]);
/// ```
#[derive(Module, Debug)]
pub struct MobileNetV2<B: Backend> {
    /// 3×3 stride-2 stem, 3 → 32 channels.
    pub conv0: Conv2d<B>,
    /// The inverted residual blocks.
    pub blocks: Vec<InvertedResidual<B>>,
    /// 1×1 convolution 320 → 1280 channels.
    pub conv1: Conv2d<B>,
}

impl<B: Backend> MobileNetV2<B> {
    /// The network with freshly initialised weights.
    pub fn new(device: &B::Device) -> Self {
        Self {
            conv0: conv(3, 32, 3, 2).init(device),
            blocks: BLOCKS
                .iter()
                .map(|&block| InvertedResidual::new(block, device))
                .collect(),
            conv1: conv(320, MOBILENET_FEATURES, 1, 1).init(device),
        }
    }

    /// Pooled features of `image` (`[N, 3, H, W]`, H and W at least 32).
    pub fn forward(&self, image: Tensor<B, 4>) -> Tensor<B, 2> {
        let mut x = relu6(conv2d_module(&self.conv0, same_pad(image, 3, 2)));
        for block in &self.blocks {
            x = block.forward(x);
        }
        let x = relu6(pointwise_conv(&self.conv1, x));
        let [n, c, h, _] = x.dims();
        // Two short reductions (see `instance_norm` on long ones).
        x.mean_dim(3).reshape([n, c, h]).mean_dim(2).reshape([n, c])
    }
}
