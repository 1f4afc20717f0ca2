//! The conditional-instance-norm multi-style transformer (Dumoulin et al.,
//! "A Learned Representation for Artistic Style", 2017): one feed-forward
//! network that renders any of its styles, or any blend of them.

use burn::module::{Param, ParamId};
use burn::prelude::*;

use super::condition::LayerStyles;
use super::layers::{ConvBlock, ConvBlockConfig};
use super::ops::BlockActivation;
use super::run::{StageBackend, StagedNet, StyleTransformer};
use super::stage::{ConvStage, Precision, Skip};

/// Kernel sizes and strides of a [`MultiStyleNet`]'s contracting and
/// output convolutions ([`Self::CLASSIC`] when a config names none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConvShape {
    /// Kernel sizes of the three contracting convolutions (odd).
    pub contract_kernels: [usize; 3],
    /// Their strides; together they reduce the size by 4, which the two
    /// ×2 upsampling convolutions restore.
    pub contract_strides: [usize; 3],
    /// Kernel size of the output convolution (odd).
    pub output_kernel: usize,
}

impl ConvShape {
    /// Dumoulin et al.'s network (and multistyle26): 9×9 stride 1, 3×3
    /// stride 2, 3×3 stride 2, and a 9×9 output convolution.
    pub const CLASSIC: Self = Self {
        contract_kernels: [9, 3, 3],
        contract_strides: [1, 2, 2],
        output_kernel: 9,
    };

    /// For real-time students: a 3×3 stride-2 stem instead of the
    /// full-resolution 9×9 convolution, then 3×3 stride 2 and stride 1,
    /// and a 3×3 output convolution.
    pub const LITE: Self = Self {
        contract_kernels: [3, 3, 3],
        contract_strides: [2, 2, 1],
        output_kernel: 3,
    };

    /// Why the shape cannot build a network whose output has its input's
    /// size, if it cannot.
    pub fn check(&self) -> Result<(), String> {
        let kernels = self.contract_kernels.iter().chain([&self.output_kernel]);
        if kernels.into_iter().any(|&k| k == 0 || k.is_multiple_of(2)) {
            return Err(format!("kernel sizes must be odd: {self:?}"));
        }
        let reduction: usize = self.contract_strides.iter().product();
        if reduction != 4 || self.contract_strides.contains(&0) {
            return Err(format!(
                "the contracting strides {:?} must reduce the size by 4 (the two expanding \
                 convolutions upsample ×2 each)",
                self.contract_strides
            ));
        }
        Ok(())
    }
}

/// Architecture of a [`MultiStyleNet`].
///
/// The pretrained `multistyle26` model is
/// `MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4])`; wider variants
/// (e.g. `[32, 64, 128]`, 5 blocks, `[64, 32]`) are the classic Johnson sizes,
/// and [`MultiStyleConfig::lite`] is the real-time student.
///
/// ```
/// use bevy_gan_style_nn::MultiStyleConfig;
/// let config = MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4]);
/// assert_eq!(config.min_input_size(), 8);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct MultiStyleConfig {
    /// Number of styles the network holds.
    pub num_styles: usize,
    /// Output channels of the three contracting convolutions.
    pub contract: [usize; 3],
    /// Number of residual blocks at 1/4 resolution.
    pub residual_blocks: usize,
    /// Output channels of the two expanding (upsample ×2 + 3×3) convolutions;
    /// a final convolution maps to RGB.
    pub expand: [usize; 2],
    /// Instance-norm epsilon.
    #[config(default = 1e-5)]
    pub epsilon: f64,
    /// Kernel sizes and strides; `None` is [`ConvShape::CLASSIC`].
    pub shape: Option<ConvShape>,
}

impl MultiStyleConfig {
    /// The real-time student of multistyle26 ([`ConvShape::LITE`], 16 / 32
    /// / 32 channels, 2 residual blocks, an 8 / 4 decoder): about a fifth
    /// of its multiply-accumulates, styles still held in conditional
    /// instance norms.
    ///
    /// ```
    /// # use burn::backend::Flex as CpuBackend;
    /// use bevy_gan_style_nn::{MultiStyleConfig, StagedNet};
    /// let device = Default::default();
    /// let lite = MultiStyleConfig::lite(8).init::<CpuBackend>(&device).macs(256, 168);
    /// let full = MultiStyleConfig::new(8, [32, 32, 32], 6, [8, 4])
    ///     .init::<CpuBackend>(&device)
    ///     .macs(256, 168);
    /// assert!(lite.total() * 4 <= full.total());
    /// ```
    pub fn lite(num_styles: usize) -> Self {
        Self::new(num_styles, [16, 32, 32], 2, [8, 4]).with_shape(Some(ConvShape::LITE))
    }

    /// Kernel sizes and strides of the network.
    pub fn conv_shape(&self) -> ConvShape {
        self.shape.unwrap_or(ConvShape::CLASSIC)
    }

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
    /// use bevy_gan_style_nn::{MultiStyleConfig, StagedNet};
    /// let config = MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4]);
    /// assert_eq!(config.largest_activation(8, 8), 32 * 16 * 16);
    /// ```
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        let shape = self.conv_shape();
        // Full-resolution maps: the input, the first convolution's output
        // when it keeps the size, and the decoder's last two.
        let first = if shape.contract_strides[0] == 1 {
            self.contract[0]
        } else {
            3
        };
        let channels = first.max(self.expand[0]).max(self.expand[1]).max(3);
        let pad = 2 * (shape.contract_kernels[0].max(shape.output_kernel) / 2);
        channels * (width + pad) * (height + pad)
    }

    /// Creates the network with freshly initialised weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> MultiStyleNet<B> {
        let block = |cin, cout, kernel| {
            ConvBlockConfig::new(cin, cout, kernel, self.num_styles).with_epsilon(self.epsilon)
        };
        let [c0, c1, c2] = self.contract;
        let [e0, e1] = self.expand;
        let shape = self.conv_shape();
        let [k0, k1, k2] = shape.contract_kernels;
        let [s0, s1, s2] = shape.contract_strides;
        let contract = vec![
            block(3, c0, k0).with_stride(s0).init(device),
            block(c0, c1, k1).with_stride(s1).init(device),
            block(c1, c2, k2).with_stride(s2).init(device),
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
            block(e1, 3, shape.output_kernel)
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
/// upsampling conv blocks and an output block with a sigmoid. Input and
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

impl<B: StageBackend> StyleTransformer<B> for MultiStyleNet<B> {
    fn forward_layered(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        self.run(image, styles, precision)
    }
}

impl<B: StageBackend> StagedNet<B> for MultiStyleNet<B> {
    fn stages(&self, styles: &LayerStyles<B>) -> Vec<ConvStage<B>> {
        self.contract
            .iter()
            .map(|block| block.stage(&styles.encoder, Skip::None))
            .chain(self.res.iter().flat_map(|[first, second]| {
                [
                    first.stage(&styles.residual, Skip::Save),
                    second.stage(&styles.residual, Skip::Add),
                ]
            }))
            .chain(
                self.expand
                    .iter()
                    .map(|block| block.stage(&styles.decoder, Skip::None)),
            )
            .collect()
    }

    /// `contract.i`, `res.i.0`, `res.i.1`, `expand.i`.
    fn stage_names(&self) -> Vec<String> {
        (0..self.contract.len())
            .map(|i| format!("contract.{i}"))
            .chain((0..self.res.len()).flat_map(|i| [format!("res.{i}.0"), format!("res.{i}.1")]))
            .chain((0..self.expand.len()).map(|i| format!("expand.{i}")))
            .collect()
    }

    fn style_width(&self) -> usize {
        self.num_styles
    }

    fn device(&self) -> B::Device {
        self.contract[0].w.device()
    }
}

impl<B: Backend> MultiStyleNet<B> {
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
    /// # use burn::backend::Flex as CpuBackend;
    /// use bevy_gan_style_nn::{MultiStyleConfig, StagedNet};
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
