//! Arbitrary style transfer (Ghiasi et al., "Exploring the structure of a
//! real-time, arbitrary neural artistic stylization network", 2017), as in
//! Magenta's `arbitrary-image-stylization-v1-256`: a MobileNetV2 predictor
//! maps any style image to a style vector, and a small transformer applies
//! it through instance norms whose scale and shift are linear maps of that
//! vector.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;

use super::condition::{LayerStyles, StyleCondition};
use super::init::conv_weight;
use super::mobilenet::{MOBILENET_FEATURES, MobileNetV2};
use super::ops::{BlockActivation, pointwise_conv};
use super::run::{StageBackend, StagedNet, StyleTransformer};
use super::stage::{ConvStage, Precision, Skip, StagePost};
use super::weights::{WeightsError, to_f32_safetensors};

/// Architecture of an [`ArbitraryStyleNet`]; the defaults are Magenta's
/// `arbitrary-image-stylization-v1-256` (the transformer at ¼ width).
///
/// ```
/// use bevy_gan_style_nn::{ArbitraryStyleConfig, StyleTransformer};
/// let config = ArbitraryStyleConfig::new();
/// assert_eq!((config.style_dim, config.channels), (100, [8, 16, 32]));
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct ArbitraryStyleConfig {
    /// Length of the style vector.
    #[config(default = 100)]
    pub style_dim: usize,
    /// Channels of the transformer at full, ½ and ¼ resolution.
    #[config(default = "[8, 16, 32]")]
    pub channels: [usize; 3],
    /// Residual blocks at ¼ resolution.
    #[config(default = 5)]
    pub residual_blocks: usize,
    /// Instance-norm epsilon.
    #[config(default = 1e-5)]
    pub epsilon: f64,
}

impl ArbitraryStyleConfig {
    /// Smallest width / height the transformer accepts (both must also be
    /// multiples of 4 to keep the image size).
    pub fn min_input_size(&self) -> usize {
        8
    }

    /// Upper bound, in elements, of the transformer's largest activation at
    /// `width × height`: the ½-resolution channels upsampled to full size
    /// and padded, or the full-resolution ones padded for the 9×9 output.
    pub fn largest_activation(&self, width: usize, height: usize) -> usize {
        let [c0, c1, _] = self.channels;
        (c1 * (width + 2) * (height + 2)).max(c0 * (width + 8) * (height + 8))
    }

    /// Creates the network with freshly initialised weights.
    pub fn init<B: Backend>(&self, device: &B::Device) -> ArbitraryStyleNet<B> {
        let [c0, c1, c2] = self.channels;
        let contract = |cin, cout, kernel, stride| {
            Conv2dConfig::new([cin, cout], [kernel, kernel])
                .with_stride([stride, stride])
                .init(device)
        };
        let styled = |cin, cout, kernel, upsample, activation| {
            StyleVectorConv::new(
                [cin, cout, kernel],
                self.style_dim,
                upsample,
                activation,
                self.epsilon,
                device,
            )
        };
        use BlockActivation::{Identity, Relu, Sigmoid};
        ArbitraryStyleNet {
            mobilenet: MobileNetV2::new(device),
            bottleneck: Conv2dConfig::new([MOBILENET_FEATURES, self.style_dim], [1, 1])
                .with_bias(false)
                .init(device),
            transformer: ArbitraryTransformer {
                contract: Contract {
                    conv1: contract(3, c0, 9, 1),
                    conv2: contract(c0, c1, 3, 2),
                    conv3: contract(c1, c2, 3, 2),
                },
                residual: (0..self.residual_blocks)
                    .map(|_| ResidualBlock {
                        conv1: styled(c2, c2, 3, false, Relu),
                        conv2: styled(c2, c2, 3, false, Identity),
                    })
                    .collect(),
                expand: Expand {
                    conv1: styled(c2, c1, 3, true, Relu),
                    conv2: styled(c1, c0, 3, true, Relu),
                    conv3: styled(c0, 3, 9, false, Sigmoid),
                },
            },
            style_dim: self.style_dim,
        }
    }
}

/// `[upsample ×2] → reflection-padded conv (no bias) → instance norm whose
/// scale and shift are 1×1 convolutions of the style vector → activation`.
///
/// Module paths: `weight`, `norm_gamma.{weight,bias}`,
/// `norm_beta.{weight,bias}` (the gamma and beta maps are
/// `[channels, style_dim, 1, 1]` convolutions applied to the vector).
#[derive(Module, Debug)]
pub struct StyleVectorConv<B: Backend> {
    /// Convolution weight `[out, in, k, k]`.
    pub weight: Param<Tensor<B, 4>>,
    /// Style vector → per-channel scale.
    pub norm_gamma: Conv2d<B>,
    /// Style vector → per-channel shift.
    pub norm_beta: Conv2d<B>,
    /// Nearest ×2 upsampling before the convolution.
    pub upsample: bool,
    /// Instance-norm epsilon.
    pub epsilon: f64,
    /// Non-linearity after the norm.
    #[module(skip)]
    pub activation: BlockActivation,
}

impl<B: Backend> StyleVectorConv<B> {
    fn new(
        [cin, cout, kernel]: [usize; 3],
        style_dim: usize,
        upsample: bool,
        activation: BlockActivation,
        epsilon: f64,
        device: &B::Device,
    ) -> Self {
        let weight = conv_weight([cin, cout], kernel, device);
        let map = || Conv2dConfig::new([style_dim, cout], [1, 1]).init(device);
        Self {
            weight,
            norm_gamma: map(),
            norm_beta: map(),
            upsample,
            epsilon,
            activation,
        }
    }

    /// Applies the layer to `x` with style vectors `style` (`[N, style_dim]`).
    pub fn forward(&self, x: Tensor<B, 4>, style: Tensor<B, 2>) -> Tensor<B, 4> {
        self.stage(&StyleCondition::Global(style), Skip::None)
            .forward_plain(x)
    }

    /// The layer as a [`ConvStage`] for style vectors `condition`. The
    /// scale and shift are affine in the style vector, so mixing vectors
    /// per pixel (weights summing to 1) mixes scales and shifts.
    pub fn stage(&self, condition: &StyleCondition<B>, skip: Skip) -> ConvStage<B> {
        let styles = condition.styles();
        let [n, d] = styles.dims();
        let vectors = styles.reshape([n, d, 1, 1]);
        let scale = pointwise_conv(&self.norm_gamma, vectors.clone());
        let shift = pointwise_conv(&self.norm_beta, vectors);
        let post = match condition {
            StyleCondition::Global(_) => StagePost::Norm {
                scale,
                shift,
                epsilon: self.epsilon,
            },
            StyleCondition::Map { map, .. } => {
                let [_, c, _, _] = scale.dims();
                StagePost::MappedNorm {
                    scales: scale.reshape([n, c]),
                    shifts: shift.reshape([n, c]),
                    map: map.clone(),
                    epsilon: self.epsilon,
                }
            }
        };
        ConvStage {
            weight: self.weight.val(),
            stride: 1,
            upsample: self.upsample,
            post,
            activation: self.activation,
            skip,
        }
    }
}

/// The three contracting convolutions (9×9, then 3×3 stride 2 twice), each
/// reflection-padded, with bias (folded batch norm) and ReLU.
#[derive(Module, Debug)]
pub struct Contract<B: Backend> {
    /// Full resolution.
    pub conv1: Conv2d<B>,
    /// To ½ resolution.
    pub conv2: Conv2d<B>,
    /// To ¼ resolution.
    pub conv3: Conv2d<B>,
}

impl<B: Backend> Contract<B> {
    /// The three convolutions (bias, ReLU) as stages.
    fn stages(&self) -> impl Iterator<Item = ConvStage<B>> + '_ {
        [&self.conv1, &self.conv2, &self.conv3]
            .into_iter()
            .map(|conv| ConvStage {
                weight: conv.weight.val(),
                stride: conv.stride[0],
                upsample: false,
                post: match &conv.bias {
                    Some(bias) => StagePost::Bias(bias.val()),
                    None => StagePost::None,
                },
                activation: BlockActivation::Relu,
                skip: Skip::None,
            })
    }
}

/// `x + conv2(conv1(x))`, both style-conditioned, ReLU after the first only.
#[derive(Module, Debug)]
pub struct ResidualBlock<B: Backend> {
    /// First convolution (ReLU).
    pub conv1: StyleVectorConv<B>,
    /// Second convolution (linear).
    pub conv2: StyleVectorConv<B>,
}

/// Two upsampling convolutions and the 9×9 output convolution (sigmoid).
#[derive(Module, Debug)]
pub struct Expand<B: Backend> {
    /// To ½ resolution.
    pub conv1: StyleVectorConv<B>,
    /// To full resolution.
    pub conv2: StyleVectorConv<B>,
    /// To RGB in `(0, 1)`.
    pub conv3: StyleVectorConv<B>,
}

/// The style transformer: content image + style vector → stylized image.
#[derive(Module, Debug)]
pub struct ArbitraryTransformer<B: Backend> {
    /// Contracting convolutions (not style-conditioned).
    pub contract: Contract<B>,
    /// Residual blocks at ¼ resolution.
    pub residual: Vec<ResidualBlock<B>>,
    /// Expanding convolutions.
    pub expand: Expand<B>,
}

impl<B: StageBackend> StyleTransformer<B> for ArbitraryTransformer<B> {
    fn forward_layered(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        self.run(image, styles, precision)
    }
}

impl<B: StageBackend> StagedNet<B> for ArbitraryTransformer<B> {
    /// The encoder is not style-conditioned: `styles.encoder` is unused.
    fn stages(&self, styles: &LayerStyles<B>) -> Vec<ConvStage<B>> {
        let residual = self.residual.iter().flat_map(|block| {
            [
                block.conv1.stage(&styles.residual, Skip::Save),
                block.conv2.stage(&styles.residual, Skip::Add),
            ]
        });
        let expand = [&self.expand.conv1, &self.expand.conv2, &self.expand.conv3]
            .map(|conv| conv.stage(&styles.decoder, Skip::None));
        self.contract
            .stages()
            .chain(residual)
            .chain(expand)
            .collect()
    }

    /// `contract.conv1…3`, `residual.i.conv1/2`, `expand.conv1…3`.
    fn stage_names(&self) -> Vec<String> {
        ["contract.conv1", "contract.conv2", "contract.conv3"]
            .map(String::from)
            .into_iter()
            .chain(
                (0..self.residual.len())
                    .flat_map(|i| [format!("residual.{i}.conv1"), format!("residual.{i}.conv2")]),
            )
            .chain(["expand.conv1", "expand.conv2", "expand.conv3"].map(String::from))
            .collect()
    }

    fn style_width(&self) -> usize {
        let [_, style_dim, _, _] = self.expand.conv1.norm_gamma.weight.dims();
        style_dim
    }

    fn device(&self) -> B::Device {
        self.contract.conv1.weight.device()
    }
}

/// Style predictor and transformer in one module, with the module paths of
/// Magenta's weights as imported by [`import_arbitrary_weights`]
/// (`mobilenet.*`, `bottleneck.weight`, `transformer.*`).
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{ArbitraryStyleConfig, StyleTransformer};
/// let device = Default::default();
/// let net = ArbitraryStyleConfig::new().init::<CpuBackend>(&device);
/// let style_image = Tensor::<CpuBackend, 4>::zeros([1, 3, 64, 64], &device);
/// let style = net.predict(style_image);
/// assert_eq!(style.dims(), [1, 100]);
/// let content = Tensor::<CpuBackend, 4>::zeros([1, 3, 24, 32], &device);
/// assert_eq!(net.forward(content, style).dims(), [1, 3, 24, 32]);
/// ```
#[derive(Module, Debug)]
pub struct ArbitraryStyleNet<B: Backend> {
    /// Predictor backbone.
    pub mobilenet: MobileNetV2<B>,
    /// Pooled features → style vector (1×1 convolution, no bias).
    pub bottleneck: Conv2d<B>,
    /// The style transformer.
    pub transformer: ArbitraryTransformer<B>,
    /// Length of the style vector.
    pub style_dim: usize,
}

impl<B: Backend> ArbitraryStyleNet<B> {
    /// Style vectors (`[N, style_dim]`) of style images (`[N, 3, H, W]` RGB
    /// in `[0, 1]`; the network was trained on 256×256).
    pub fn predict(&self, image: Tensor<B, 4>) -> Tensor<B, 2> {
        let features = self.mobilenet.forward(image);
        let [n, c] = features.dims();
        pointwise_conv(&self.bottleneck, features.reshape([n, c, 1, 1]))
            .reshape([n, self.style_dim])
    }
}

/// Stylizes content (`[N, 3, H, W]` in `[0, 1]`, H and W multiples of 4)
/// with style vectors (`[N, style_dim]`, see
/// [`predict`](ArbitraryStyleNet::predict)): the transformer's.
impl<B: StageBackend> StyleTransformer<B> for ArbitraryStyleNet<B> {
    fn forward_layered(
        &self,
        content: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        self.transformer.forward_layered(content, styles, precision)
    }
}

/// Renames Magenta's tensor names (`mobilenet.block3.expand.weight`,
/// `transformer.residual1.conv2.norm_beta.bias`) to the module paths of
/// [`ArbitraryStyleNet`] (`mobilenet.blocks.3…`, `transformer.residual.0…`);
/// other names are kept. Half-precision files are widened to f32.
///
/// ```
/// use bevy_gan_style_nn::import_arbitrary_weights;
/// use safetensors::{Dtype, SafeTensors, tensor::TensorView};
/// let data = 1.0f32.to_le_bytes();
/// let file = safetensors::serialize(
///     [("transformer.residual2.conv1.weight", TensorView::new(Dtype::F32, vec![1], &data).unwrap())],
///     None,
/// ).unwrap();
/// let imported = import_arbitrary_weights(&file).unwrap();
/// let file = SafeTensors::deserialize(&imported).unwrap();
/// assert_eq!(file.names(), ["transformer.residual.1.conv1.weight"]);
/// ```
pub fn import_arbitrary_weights(bytes: &[u8]) -> Result<Vec<u8>, WeightsError> {
    to_f32_safetensors(bytes, |name| {
        // `<prefix><digits>.` → `<new prefix><digits - offset>.`
        let renumber = |name: &str, prefix: &str, new_prefix: &str, offset: usize| {
            let rest = name.strip_prefix(prefix)?;
            let (digits, tail) = rest.split_once('.')?;
            let index = digits.parse::<usize>().ok()?.checked_sub(offset)?;
            Some(format!("{new_prefix}{index}.{tail}"))
        };
        Some(
            renumber(name, "mobilenet.block", "mobilenet.blocks.", 0)
                .or_else(|| renumber(name, "transformer.residual", "transformer.residual.", 1))
                .unwrap_or_else(|| name.to_string()),
        )
    })
}
