//! The conditional-instance-norm multi-style transformer (Dumoulin et al.,
//! "A Learned Representation for Artistic Style", 2017): one feed-forward
//! network that renders any of its styles, or any blend of them.

use burn::module::{Param, ParamId};
use burn::prelude::*;

use super::layers::{ConvBlock, ConvBlockConfig};
use super::ops::BlockActivation;
use super::run::run_stages_with;
use super::stage::{ConvStage, Precision, Skip};

/// Architecture of a [`MultiStyleNet`].
///
/// The pretrained `multistyle26` model is
/// `MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4])`; wider variants
/// (e.g. `[32, 64, 128]`, 5 blocks, `[64, 32]`) are the classic Johnson sizes.
///
/// ```
/// use bevy_gan_style::nn::MultiStyleConfig;
/// let config = MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4]);
/// assert_eq!(config.min_input_size(), 8);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct MultiStyleConfig {
    /// Number of styles the network holds.
    pub num_styles: usize,
    /// Output channels of the three contracting convolutions
    /// (9×9 stride 1, 3×3 stride 2, 3×3 stride 2).
    pub contract: [usize; 3],
    /// Number of residual blocks at 1/4 resolution.
    pub residual_blocks: usize,
    /// Output channels of the two expanding (upsample ×2 + 3×3) convolutions;
    /// a final 9×9 convolution maps to RGB.
    pub expand: [usize; 2],
    /// Instance-norm epsilon.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

impl MultiStyleConfig {
    /// Smallest width / height the network accepts: reflection padding needs
    /// at least two pixels at the 1/4-resolution stage, and both sides must
    /// be multiples of 4 so that upsampling restores the input size.
    pub fn min_input_size(&self) -> usize {
        8
    }

    /// Upper bound, in elements, of the largest activation at a
    /// `width × height` input: the widest full-resolution feature map with
    /// its 9×9 reflection padding. GPU devices cap the size of one storage
    /// binding, so this decides the largest image a device can stylize.
    ///
    /// ```
    /// use bevy_gan_style::nn::MultiStyleConfig;
    /// let config = MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4]);
    /// assert_eq!(config.largest_activation(8, 8), 32 * 16 * 16);
    /// ```
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        let channels = self.contract[0].max(self.expand[1]).max(3);
        channels * (width + 8) * (height + 8)
    }

    /// Creates the network with freshly initialised weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> MultiStyleNet<B> {
        let block = |cin, cout, kernel| {
            ConvBlockConfig::new(cin, cout, kernel, self.num_styles).with_epsilon(self.epsilon)
        };
        let [c0, c1, c2] = self.contract;
        let [e0, e1] = self.expand;
        let contract = vec![
            block(3, c0, 9).init(device),
            block(c0, c1, 3).with_stride(2).init(device),
            block(c1, c2, 3).with_stride(2).init(device),
        ];
        let res = (0..self.residual_blocks)
            .map(|_| {
                [
                    block(c2, c2, 3).init(device),
                    block(c2, c2, 3)
                        .with_activation(BlockActivation::Identity)
                        .init(device),
                ]
            })
            .collect();
        let expand = vec![
            block(c2, e0, 3).with_upsample(true).init(device),
            block(e0, e1, 3).with_upsample(true).init(device),
            block(e1, 3, 9)
                .with_activation(BlockActivation::Sigmoid)
                .init(device),
        ];
        MultiStyleNet {
            contract,
            res,
            expand,
            num_styles: self.num_styles,
        }
    }
}

/// Multi-style transformer: 3 contracting conv blocks, residual blocks, 2
/// upsampling conv blocks and a 9×9 output block with a sigmoid. Input and
/// output are RGB in `[0, 1]`, `[N, 3, H, W]` with `H` and `W` multiples of 4.
///
/// Module paths are the tensor names of the weight files:
/// `contract.{0..2}.w`, `res.{i}.{0,1}.norm.gamma`, `expand.{0..2}.norm.beta`…
#[derive(Module, Debug)]
pub struct MultiStyleNet<B: Backend> {
    /// Contracting blocks (full, 1/2 and 1/4 resolution).
    pub contract: Vec<ConvBlock<B>>,
    /// Residual blocks: `x + second(first(x))`.
    pub res: Vec<[ConvBlock<B>; 2]>,
    /// Expanding blocks, the last one producing RGB.
    pub expand: Vec<ConvBlock<B>>,
    /// Number of styles held by every conditional instance norm.
    pub num_styles: usize,
}

impl<B: Backend> MultiStyleNet<B> {
    /// Stylises `image` (`[N, 3, H, W]` in `[0, 1]`) with per-image style
    /// weights `style` (`[N, num_styles]`).
    pub fn forward(&self, image: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        self.forward_with(image, style, Precision::F32)
    }

    /// [`Self::forward`] with the GPU kernels' `precision`.
    pub fn forward_with(
        &self,
        image: Tensor<B, 4>,
        style: Tensor<B, 2>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        run_stages_with(&self.stages(style), image, precision)
    }

    /// The network as convolution stages for the style blend `style` (what
    /// [`Self::forward`] runs).
    pub fn stages(&self, style: Tensor<B, 2>) -> Vec<ConvStage<B>> {
        let stage = |block: &ConvBlock<B>, skip| block.stage(style.clone(), skip);
        self.contract
            .iter()
            .map(|block| stage(block, Skip::None))
            .chain(
                self.res.iter().flat_map(|[first, second]| {
                    [stage(first, Skip::Save), stage(second, Skip::Add)]
                }),
            )
            .chain(self.expand.iter().map(|block| stage(block, Skip::None)))
            .collect()
    }

    /// Every block, in forward order.
    pub fn blocks(&self) -> impl Iterator<Item = &ConvBlock<B>> {
        self.contract
            .iter()
            .chain(self.res.iter().flatten())
            .chain(&self.expand)
    }

    /// The ids of every style's scale and shift (the conditional instance
    /// norms' `gamma` and `beta`): what training a new style changes.
    pub fn style_param_ids(&self) -> Vec<ParamId> {
        self.blocks()
            .flat_map(|block| [block.norm.gamma.id, block.norm.beta.id])
            .collect()
    }

    /// The network with `count` more styles, each starting as the mean of
    /// the existing styles' scales and shifts (a neutral blend to train
    /// from); the existing styles are unchanged.
    ///
    /// ```
    /// # use bevy_gan_style::device::CpuBackend;
    /// use bevy_gan_style::nn::MultiStyleConfig;
    /// let net = MultiStyleConfig::new(2, [8, 8, 8], 1, [8, 4]).init::<CpuBackend>(&Default::default());
    /// let net = net.with_added_styles(1);
    /// assert_eq!(net.num_styles, 3);
    /// assert_eq!(net.contract[0].norm.gamma.dims(), [3, 8]);
    /// ```
    pub fn with_added_styles(mut self, count: usize) -> Self {
        let grow = |param: Param<Tensor<B, 2>>| {
            let rows = param.val();
            let [_, channels] = rows.dims();
            let mean = rows.clone().mean_dim(0).expand([count, channels]);
            Param::from_tensor(Tensor::cat(vec![rows, mean], 0).detach())
        };
        let blocks = self
            .contract
            .iter_mut()
            .chain(self.res.iter_mut().flatten())
            .chain(self.expand.iter_mut());
        for block in blocks {
            block.norm.gamma = grow(block.norm.gamma.clone());
            block.norm.beta = grow(block.norm.beta.clone());
        }
        self.num_styles += count;
        self
    }
}
