//! A style model's network, whichever architecture its card names.

use burn::prelude::*;

use image::DynamicImage;

use super::style_image::style_image_input;
use super::style_vector::StyleVector;
use super::style_weights::StyleError;
use crate::bridge::image_to_tensor;
use bevy_gan_style_nn::{
    ArbitraryStyleNet, JohnsonNet, LayerStyles, MacReport, MultiStyleNet, Precision, StageBackend,
    StagedNet, StyleTransformer,
};

/// The network of a [`super::StyleModel`], built by
/// [`super::CardModel::build`]. Every architecture takes the same inputs:
/// an image in the card's `input_range` and a style tensor: a
/// `[N, num_styles]` style blend (single-style networks ignore it) or, for
/// arbitrary-style networks, `[N, style_dim]` style vectors (see
/// [`StyleNet::predict_style`]).
///
/// ```no_run
/// # use burn::prelude::*;
/// # use bevy_gan_style_runtime::device::CpuBackend;
/// use bevy_gan_style_runtime::prelude::*;
/// let model = StyleModel::load_file("assets/models/ml5_wave.style.ron")?;
/// let net = model.build::<CpuBackend>(&Default::default())?;
/// let style = model.style_tensor(&StyleWeights::single(0), &Default::default())?;
/// let image = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 128.0, &Default::default());
/// assert_eq!(net.forward(image, style).dims(), [1, 3, 64, 64]);
/// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
/// ```
#[derive(Debug)]
pub enum StyleNet<B: Backend> {
    /// Conditional-instance-norm multi-style transformer.
    MultiStyle(MultiStyleNet<B>),
    /// Johnson et al.'s single-style transformer (the ml5 models).
    Johnson(Box<JohnsonNet<B>>),
    /// Magenta's arbitrary-style network: predictor and transformer.
    Arbitrary(Box<ArbitraryStyleNet<B>>),
}

/// Every architecture takes the same inputs (the Johnson networks ignore
/// the style and run burn's ops in f32 whatever the precision).
impl<B: StageBackend> StyleTransformer<B> for StyleNet<B> {
    fn forward_layered(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
    ) -> Tensor<B, 4> {
        match self {
            Self::MultiStyle(net) => net.forward_layered(image, styles, precision),
            Self::Johnson(net) => net.forward(image),
            Self::Arbitrary(net) => net.forward_layered(image, styles, precision),
        }
    }
}

impl<B: StageBackend> StyleNet<B> {
    /// The names of the layers [`Self::activation`] can show, in forward
    /// order (empty for the Johnson networks, which run as one piece).
    pub fn layer_names(&self) -> Vec<String> {
        match self {
            Self::Johnson(_) => Vec::new(),
            Self::MultiStyle(net) => net.stage_names(),
            Self::Arbitrary(net) => net.transformer.stage_names(),
        }
    }

    /// The output of layer `layer` (an index into [`Self::layer_names`],
    /// after its norm, activation and residual sum) when stylising `image`
    /// with `styles`: `[N, C, H', W']`, or `None` for an index out of range
    /// or a Johnson network. Runs the layers up to it again.
    ///
    /// ```no_run
    /// # use bevy_gan_style_runtime::device::CpuBackend;
    /// # use burn::prelude::*;
    /// use bevy_gan_style_runtime::nn::{LayerStyles, StyleCondition};
    /// use bevy_gan_style_runtime::prelude::*;
    /// let model = StyleModel::load_file("assets/models/multistyle26.style.ron")?;
    /// let device = Default::default();
    /// let net = model.build::<CpuBackend>(&device)?;
    /// let style = model.style_tensor::<CpuBackend>(&StyleWeights::single(5), &device)?;
    /// let styles = LayerStyles::uniform(StyleCondition::Global(style));
    /// let photo = Tensor::<CpuBackend, 4>::zeros([1, 3, 64, 64], &device);
    /// let maps = net.activation(photo, &styles, Precision::F32, 2).unwrap();
    /// assert_eq!(maps.dims()[2], 16); // the third layer: a quarter of the size
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn activation(
        &self,
        image: Tensor<B, 4>,
        styles: &LayerStyles<B>,
        precision: Precision,
        layer: usize,
    ) -> Option<Tensor<B, 4>> {
        match self {
            Self::MultiStyle(net) => net.activation(image, styles, precision, layer),
            Self::Arbitrary(net) => net.transformer.activation(image, styles, precision, layer),
            Self::Johnson(_) => None,
        }
    }

    /// Multiply-accumulates of one forward pass at `width × height`, per
    /// layer (for arbitrary-style networks the transformer's: the predictor
    /// runs once per style image).
    ///
    /// ```no_run
    /// # use bevy_gan_style_runtime::device::CpuBackend;
    /// use bevy_gan_style_runtime::prelude::*;
    /// let model = StyleModel::load_file("assets/models/multistyle26.style.ron")?;
    /// let net = model.build::<CpuBackend>(&Default::default())?;
    /// println!("{:.2} GMAC at 640×360", net.macs(640, 360).gmac());
    /// # Ok::<(), bevy_gan_style_runtime::model::ModelError>(())
    /// ```
    pub fn macs(&self, width: usize, height: usize) -> MacReport {
        match self {
            Self::MultiStyle(net) => net.macs(width, height),
            Self::Johnson(net) => net.macs(width, height),
            Self::Arbitrary(net) => net.transformer.macs(width, height),
        }
    }
}

impl<B: Backend> StyleNet<B> {
    /// The style vector of a style image already prepared as a
    /// `[1, 3, 256, 256]` tensor in `[0, 1]` (see [`style_image_input`]).
    /// Only arbitrary-style networks have a predictor.
    pub fn predict_style(&self, image: Tensor<B, 4>) -> Result<StyleVector<B>, StyleError> {
        match self {
            Self::Arbitrary(net) => Ok(StyleVector::from_tensor(net.predict(image))),
            _ => Err(StyleError::NoPredictor),
        }
    }

    /// The style vector of any image: prepared as Magenta does
    /// ([`style_image_input`]), then [`predict_style`](Self::predict_style).
    ///
    /// ```no_run
    /// # use bevy_gan_style_runtime::device::CpuBackend;
    /// use bevy_gan_style_runtime::prelude::*;
    /// let model = StyleModel::load_file("assets/models/magenta_arbitrary.style.ron")?;
    /// let net = model.build::<CpuBackend>(&Default::default())?;
    /// let painting = image::open("assets/styles/starry_night.jpg").unwrap();
    /// let style = net.predict_style_image(&painting, &Default::default())?;
    /// assert_eq!(style.to_vec().len(), 100);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predict_style_image(
        &self,
        image: &DynamicImage,
        device: &B::Device,
    ) -> Result<StyleVector<B>, StyleError> {
        let input = image_to_tensor::<B>(&style_image_input(image), (0.0, 1.0), device);
        self.predict_style(input)
    }
}
