//! The upscaler's training loop: random high-resolution crops, their
//! antialiased downscales as input, and an L1 loss between the network's
//! reconstruction and the crop (the PSNR-oriented first phase of SRGAN /
//! ESRGAN training). One Adam step per iteration.
//!
//! Two variants: perceptual + adversarial fine-tuning (the second phase:
//! VGG feature distance and a patch discriminator, [`UpscaleGanConfig`]),
//! and the style-aware upscaler, whose pairs are a style network's output
//! at half and at full size ([`UpscaleTrainConfig::teacher`]).

use std::path::{Path, PathBuf};

use bevy_gan_style_nn::conv2d;
use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{ConvOptions, InterpolateMode, InterpolateOptions};
use image::{Rgb, RgbImage};

use super::adversarial::{AdversarialLoss, lipschitz_penalty};
use super::checkpoint::CheckpointReader;
use super::discriminator::{PatchDiscriminator, PatchDiscriminatorConfig};
use super::error::TrainError;
use super::images::{Augment, ImageSet};
use super::loop_state::{LoopState, scalar};
use super::report::{Column, paste, save};
use super::run::Trainer;
use super::style::{StyleTrainBackend, frozen_vgg};
use super::teacher::{Teacher, TeacherConfig};
use crate::eval::psnr;
use bevy_gan_style_nn::{
    Draw, Precision, SplitMix64, StageBackend, UpscaleBase, Upscaler, UpscalerConfig, Vgg16,
    VggTap, content_loss, upsample_bicubic, upsample_bilinear,
};
use bevy_gan_style_runtime::bridge::tensor_to_image;

/// Everything that defines an upscaler training run.
#[derive(Config, Debug)]
pub struct UpscaleTrainConfig {
    /// The network's architecture.
    pub network: UpscalerConfig,
    /// Side of the high-resolution crops (a multiple of the factor).
    #[config(default = 96)]
    pub size: usize,
    /// Crops per batch.
    #[config(default = 16)]
    pub batch: usize,
    /// Adam learning rate.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// Crop augmentation.
    #[config(default = "Augment::FlipsAndRotations")]
    pub augment: Augment,
    /// Seed of the weights' initialisation and the crops.
    #[config(default = 0)]
    pub seed: u64,
    /// The style-aware variant: a style network whose output at half size
    /// (on the downscaled image) is the input and whose output at full size
    /// is the target, so that the upscaler learns to draw the style's
    /// strokes at full size. Its first taught style is used.
    pub teacher: Option<TeacherConfig>,
    /// A guided style-aware upscaler's guide: this style model's output
    /// (its first style; card path) on the full-size picture, instead of
    /// the picture itself. A real-time student makes a guide that already
    /// carries the style at full size.
    pub guide_style: Option<String>,
    /// Perceptual + adversarial fine-tuning (start it from an L1-trained
    /// network: [`UpscaleTrainer::start_from`]).
    pub gan: Option<UpscaleGanConfig>,
}

/// The second phase of SRGAN / ESRGAN training: the generator minimises
/// `pixel · L1 + perceptual · VGG + adversarial · GAN`, where VGG is the
/// mean absolute difference of VGG16 features (every tap down to `tap`,
/// each normalised by its channel count through the mean), and a patch
/// discriminator learns to tell the crops from the reconstructions. Adam
/// with β = (0.5, 0.999) for both, as for the other GANs.
///
/// ```
/// use bevy_gan_style_train::{AdversarialLoss, UpscaleGanConfig};
/// let gan = UpscaleGanConfig::new("assets/training/vgg16_features.safetensors".into());
/// assert_eq!(gan.loss, AdversarialLoss::Lsgan);
/// assert_eq!(gan.discriminator.channels, vec![32, 64, 128]);
/// ```
#[derive(Config, Debug)]
pub struct UpscaleGanConfig {
    /// VGG16 weights for the perceptual loss.
    pub vgg: String,
    /// The deepest VGG16 tap of the perceptual loss.
    #[config(default = "VggTap::Relu3_3")]
    pub tap: VggTap,
    /// The discriminator's architecture (spectral normalisation and the
    /// Lipschitz penalty are its Lipschitz options).
    #[config(default = "PatchDiscriminatorConfig::new(vec![32, 64, 128])")]
    pub discriminator: PatchDiscriminatorConfig,
    /// Adversarial objective.
    #[config(default = "AdversarialLoss::Lsgan")]
    pub loss: AdversarialLoss,
    /// Weight of the L1 loss.
    #[config(default = 1e-2)]
    pub pixel: f32,
    /// Weight of the VGG feature distance.
    #[config(default = 1.0)]
    pub perceptual: f32,
    /// The feature distance is the content loss at `tap` alone (mean
    /// squared difference: what `eval_upscale` measures for a style-aware
    /// upscaler) rather than the mean absolute difference at every tap.
    #[config(default = false)]
    pub content_only: bool,
    /// Weight of the generator's adversarial loss (0: perceptual
    /// fine-tuning alone; the discriminator is not trained).
    #[config(default = 5e-3)]
    pub adversarial: f32,
    /// Weight of the first-order Lipschitz penalty on the discriminator
    /// (0: none).
    #[config(default = 0.0)]
    pub lipschitz: f32,
}

/// The upscaler trainer's loss columns: the L1 loss, and the PSNR of the
/// batch against the crops, the network's and bicubic upsampling's (its
/// starting point; dB).
const COLUMNS: &[Column] = &[
    Column {
        name: "l1",
        plot: true,
    },
    Column {
        name: "psnr",
        plot: false,
    },
    Column {
        name: "psnr_bicubic",
        plot: false,
    },
];

/// With [`UpscaleGanConfig`], also the VGG feature distance and the
/// discriminator's and the generator's adversarial losses.
const GAN_COLUMNS: &[Column] = &[
    COLUMNS[0],
    COLUMNS[1],
    COLUMNS[2],
    Column {
        name: "vgg",
        plot: true,
    },
    Column {
        name: "d",
        plot: true,
    },
    Column {
        name: "g",
        plot: true,
    },
];

/// Step along the real–fake line of the Lipschitz penalty.
const LIPSCHITZ_STEP: f32 = 0.1;

type Opt<M, B> = OptimizerAdaptor<Adam, M, B>;

/// A batch's input, target and (guided) guide crops.
type Crops<B> = (Tensor<B, 4>, Tensor<B, 4>, Option<Tensor<B, 4>>);

/// An upscaler being trained on crops of images.
pub struct UpscaleTrainer<B: AutodiffBackend> {
    /// The run's configuration.
    pub config: UpscaleTrainConfig,
    /// The network (its weights are what an upscaling model ships).
    pub network: Upscaler<B>,
    optimizer: Opt<Upscaler<B>, B>,
    state: LoopState,
    data: UpscaleData,
    gan: Option<Gan<B>>,
    device: B::Device,
}

/// The fine-tuning's discriminator, its optimiser and the frozen VGG16.
struct Gan<B: AutodiffBackend> {
    discriminator: PatchDiscriminator<B>,
    optimizer: Opt<PatchDiscriminator<B>, B>,
    vgg: Vgg16<B>,
}

impl<B: StyleTrainBackend> UpscaleTrainer<B> {
    /// A fresh network for `config`, trained on crops of `data`: images
    /// (downscaled on the fly) or low / full pairs.
    pub fn new(
        config: UpscaleTrainConfig,
        data: impl Into<UpscaleData>,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let factor = config.network.factor;
        if !matches!(factor, 2 | 4) {
            return Err(TrainError::Invalid(format!(
                "the upscaling factor must be 2 or 4, not {factor}"
            )));
        }
        if config.size < 8 * factor || !config.size.is_multiple_of(factor) {
            return Err(TrainError::Invalid(format!(
                "the crop size {} must be a multiple of the factor {factor}, and at least {}",
                config.size,
                8 * factor
            )));
        }
        if config.batch == 0 {
            return Err(TrainError::Invalid("the batch must hold an image".into()));
        }
        let guide_base = config.network.base == Some(UpscaleBase::Guide);
        if !matches!(
            (config.network.guide, &config.teacher, &config.guide_style),
            (None, _, None) | (Some(3), Some(_), _)
        ) || guide_base && config.network.guide.is_none()
        {
            return Err(TrainError::Invalid(
                "a guided upscaler learns from a teacher, guided by the RGB picture the \
                 teacher ran on (guide 3) or by a style model's output on it"
                    .into(),
            ));
        }
        let data = match (data.into(), &config.teacher) {
            (UpscaleData::Images(images), Some(teacher)) => {
                check_side(&images, config.size, "images")?;
                let guide = match (config.network.guide, &config.guide_style) {
                    (None, _) => Guide::None,
                    (Some(_), None) => Guide::Picture,
                    (Some(_), Some(card)) => Guide::Style(Teacher::<B::InnerBackend>::load(
                        &TeacherConfig::new(card.clone()),
                        device,
                    )?),
                };
                UpscaleData::Pairs(teach::<B>(teacher, &images, factor, guide, device)?)
            }
            (UpscaleData::Pairs(_), Some(_)) => {
                return Err(TrainError::Invalid(
                    "a style-aware run makes its pairs from images with its teacher".into(),
                ));
            }
            (data, None) => data,
        };
        match &data {
            UpscaleData::Images(images) => check_side(images, config.size, "images")?,
            UpscaleData::Pairs(pairs) => {
                check_side(&pairs.full, config.size, "full-size pictures")?;
                pairs.check(factor)?;
            }
        }
        let adam = match config.gan {
            Some(_) => AdamConfig::new().with_beta_1(0.5).with_beta_2(0.999),
            None => AdamConfig::new(),
        };
        let gan = match &config.gan {
            Some(gan) => Some(Gan {
                discriminator: gan.discriminator.init(device),
                optimizer: adam.init(),
                vgg: frozen_vgg::<B>(&gan.vgg, device)?,
            }),
            None => None,
        };
        B::seed(device, config.seed);
        Ok(Self {
            network: config.network.init(device),
            optimizer: adam.init(),
            state: LoopState::new(config.seed),
            data,
            gan,
            device: device.clone(),
            config,
        })
    }

    /// Starts from `network`'s weights (an L1-trained model, before
    /// [`UpscaleGanConfig`] fine-tuning); its architecture must be the
    /// configuration's.
    pub fn start_from(mut self, network: Upscaler<B>) -> Result<Self, TrainError> {
        let [_, head_in, ..] = network.head.weight.dims();
        let [channels, ..] = network.head.weight.dims();
        let config = &self.config.network;
        if network.factor != config.factor
            || channels != config.channels
            || head_in != config.input_planes()
            || network.body.len() != config.blocks
        {
            return Err(TrainError::Invalid(format!(
                "the starting network (×{}, {channels} channels, {} blocks, {head_in} input \
                 planes) is not the configuration's (×{}, {} channels, {} blocks, {} input planes)",
                network.factor,
                network.body.len(),
                config.factor,
                config.channels,
                config.blocks,
                config.input_planes()
            )));
        }
        // The configuration says what the detail is added to.
        self.network = Upscaler {
            guide_base: config.base == Some(UpscaleBase::Guide),
            ..network
        };
        Ok(self)
    }

    /// Resumes from a folder written by [`Trainer::save_checkpoint`]; the
    /// configuration is the checkpoint's.
    pub fn resume(
        dir: &Path,
        data: impl Into<UpscaleData>,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let (config, checkpoint) = LoopState::open::<UpscaleTrainConfig>(dir)?;
        let mut trainer = Self::new(config, data, device)?;
        trainer.load(&checkpoint)?;
        Ok(trainer)
    }

    fn load(&mut self, checkpoint: &CheckpointReader) -> Result<(), TrainError> {
        let device = &self.device;
        self.network = checkpoint.module("network", self.network.clone(), device)?;
        self.optimizer = checkpoint.optimizer("adam", self.optimizer.clone(), device)?;
        if let Some(gan) = &mut self.gan {
            gan.discriminator =
                checkpoint.module("discriminator", gan.discriminator.clone(), device)?;
            gan.optimizer =
                checkpoint.optimizer("adam-discriminator", gan.optimizer.clone(), device)?;
        }
        self.state.restore(checkpoint);
        Ok(())
    }

    /// The network without autodiff, for samples and export.
    pub fn inference_network(&self) -> Upscaler<B::InnerBackend> {
        self.network.valid()
    }

    /// `(input, target, guide)` crops: `size / factor`, `size` and (for
    /// guided pairs) `size` pixels.
    fn batch<C: Backend>(
        &self,
        images: &[usize],
        augment: Augment,
        rng: &mut SplitMix64,
        device: &C::Device,
    ) -> Crops<C> {
        let (size, factor) = (self.config.size, self.config.network.factor);
        match &self.data {
            UpscaleData::Pairs(pairs) => pairs.full.paired_crops(
                (&pairs.low, pairs.guide.as_ref()),
                rng,
                (images, size, factor),
                augment,
                device,
            ),
            UpscaleData::Images(set) => {
                let high = set.crops_of(rng, images, size, augment, 1.0, device);
                (downscale(high.clone(), factor), high, None)
            }
        }
    }

    /// The network's output on a batch's input (and guide).
    fn run<C: StageBackend>(
        network: &Upscaler<C>,
        low: Tensor<C, 4>,
        guide: Option<Tensor<C, 4>>,
    ) -> Tensor<C, 4> {
        network.forward_with(low, guide, Precision::F32)
    }

    /// One step (a discriminator and a generator step when fine-tuning);
    /// returns the values of [`Trainer::columns`].
    fn train_step(&mut self) -> Vec<f32> {
        let lr = self.state.learning_rate(self.config.learning_rate);
        let picks: Vec<usize> = (0..self.config.batch)
            .map(|_| self.state.rng.below(self.data.len()))
            .collect();
        let mut rng = self.state.rng.clone();
        let (low, high, guide) =
            self.batch::<B>(&picks, self.config.augment, &mut rng, &self.device);
        self.state.rng = rng;
        let bicubic = upsample_bicubic(low.clone().detach(), self.config.network.factor);
        let output = Self::run(&self.network, low, guide);
        let l1_loss = (output.clone() - high.clone()).abs().mean();
        let l1 = scalar(l1_loss.clone());
        let psnr_net = psnr(output.clone().detach(), high.clone()) as f32;
        let psnr_bicubic = psnr(bicubic, high.clone()) as f32;
        let (loss, extra) = match (&mut self.gan, &self.config.gan) {
            (Some(gan), Some(config)) => {
                let t = self.state.rng.uniform();
                let (loss, extra) = gan.losses(config, output, high, l1_loss, (lr, t));
                (loss, extra.to_vec())
            }
            _ => (l1_loss, Vec::new()),
        };
        let grads = GradientsParams::from_grads(loss.backward(), &self.network);
        self.network = self.optimizer.step(lr, self.network.clone(), grads);
        self.state.iteration += 1;
        [vec![l1, psnr_net, psnr_bicubic], extra].concat()
    }
}

impl<B: AutodiffBackend> Gan<B> {
    /// Steps the discriminator on `high` (real) against `output` (fake),
    /// then returns the generator's loss and the columns vgg, d, g.
    fn losses(
        &mut self,
        config: &UpscaleGanConfig,
        output: Tensor<B, 4>,
        high: Tensor<B, 4>,
        l1: Tensor<B, 1>,
        (lr, t): (f64, f32),
    ) -> (Tensor<B, 1>, [f32; 3]) {
        let ours = self.vgg.forward(output.clone(), config.tap);
        let theirs = self.vgg.forward(high.clone().detach(), config.tap);
        let pairs = ours.into_iter().zip(theirs);
        let perceptual = match config.content_only {
            true => pairs.last().map(|(a, b)| content_loss(a, b.detach())),
            false => pairs
                .map(|(a, b)| (a - b.detach()).abs().mean())
                .reduce(|a, b| a + b),
        }
        .expect("VGG16 has a tap");
        let vgg = scalar(perceptual.clone());
        let loss = l1.mul_scalar(config.pixel) + perceptual.mul_scalar(config.perceptual);
        if config.adversarial == 0.0 {
            // Perceptual fine-tuning alone: no discriminator to train.
            return (loss, [vgg, 0.0, 0.0]);
        }
        let signed = |x: Tensor<B, 4>| x.mul_scalar(2.0).sub_scalar(1.0);
        let (real, fake) = (signed(high), signed(output.clone().detach()));
        self.discriminator.power_iteration();
        let mut loss_d = config.loss.discriminator(
            self.discriminator.forward(real.clone()),
            self.discriminator.forward(fake.clone()),
        );
        if config.lipschitz > 0.0 {
            let [n, ..] = real.dims();
            let t = Tensor::full([n], t * (1.0 - LIPSCHITZ_STEP), &real.device());
            let discriminator = &self.discriminator;
            let penalty =
                lipschitz_penalty(|x| discriminator.forward(x), real, fake, t, LIPSCHITZ_STEP);
            loss_d = loss_d + penalty.mul_scalar(config.lipschitz);
        }
        let d = scalar(loss_d.clone());
        let grads = GradientsParams::from_grads(loss_d.backward(), &self.discriminator);
        self.discriminator = self.optimizer.step(lr, self.discriminator.clone(), grads);

        let adversarial = config
            .loss
            .generator(self.discriminator.forward(signed(output)));
        let g = scalar(adversarial.clone());
        let loss = loss + adversarial.mul_scalar(config.adversarial);
        (loss, [vgg, d, g])
    }
}

/// What a style-aware upscaler's pairs carry as the guide.
enum Guide<B: Backend> {
    /// Nothing: the upscaler is not guided.
    None,
    /// The full-size picture.
    Picture,
    /// A style model's output on the full-size picture.
    Style(Teacher<B>),
}

/// The teacher's output on every image as pairs: on the image downscaled
/// by `factor`, and at full size, with the `guide`; images are cropped to
/// a multiple of `4 · factor` first (the style networks' strides).
fn teach<B: StyleTrainBackend>(
    config: &TeacherConfig,
    images: &ImageSet,
    factor: usize,
    guide: Guide<B::InnerBackend>,
    device: &B::Device,
) -> Result<UpscalePairs, TrainError> {
    let teacher = Teacher::<B::InnerBackend>::load(config, device)?;
    let step = 4 * factor;
    let (mut full, mut low, mut guides) = (Vec::new(), Vec::new(), Vec::new());
    for index in 0..images.len() {
        let image = images.image::<B::InnerBackend>(index, device);
        let [_, _, h, w] = image.dims();
        let image = image.narrow(2, 0, h - h % step).narrow(3, 0, w - w % step);
        low.push(teacher.forward(downscale(image.clone(), factor), &[0]));
        full.push(teacher.forward(image.clone(), &[0]));
        match &guide {
            Guide::None => {}
            Guide::Picture => guides.push(image),
            Guide::Style(style) => guides.push(style.forward(image, &[0])),
        }
    }
    let mut pairs = UpscalePairs::from_tensors(low, full);
    if !matches!(guide, Guide::None) {
        pairs.guide = Some(ImageSet::from_tensors(guides));
    }
    Ok(pairs)
}

fn check_side(set: &ImageSet, crop: usize, what: &str) -> Result<(), TrainError> {
    if set.min_side() < crop {
        return Err(TrainError::Invalid(format!(
            "the {what} must be at least {crop} pixels on a side (the crop); the smallest is {}",
            set.min_side()
        )));
    }
    Ok(())
}

/// What an upscaler trains on.
pub enum UpscaleData {
    /// Images whose random crops are downscaled with antialiasing
    /// ([`downscale`]) into the inputs.
    Images(ImageSet),
    /// Low / full pairs, e.g. frames rendered natively at both sizes.
    Pairs(UpscalePairs),
}

impl UpscaleData {
    fn len(&self) -> usize {
        match self {
            Self::Images(set) => set.len(),
            Self::Pairs(pairs) => pairs.len(),
        }
    }
}

impl From<ImageSet> for UpscaleData {
    fn from(images: ImageSet) -> Self {
        Self::Images(images)
    }
}

impl From<UpscalePairs> for UpscaleData {
    fn from(pairs: UpscalePairs) -> Self {
        Self::Pairs(pairs)
    }
}

/// Low-resolution pictures and their full-resolution versions, `factor`
/// times larger, in the same order: what an upscaler learns from and is
/// judged on.
///
/// ```no_run
/// use bevy_gan_style_train::{UpscalePairs, upscale_images};
/// // frames of `upscale_scene --pairs`, and photos downscaled ×½
/// let rendered = UpscalePairs::load("out/render_pairs".as_ref(), 2)?;
/// let photos = upscale_images(&["assets/styles".into()], 512, 96)?;
/// let pairs = UpscalePairs::merge(UpscalePairs::downscaled(&photos, 2), rendered);
/// assert!(pairs.len() > 0);
/// # Ok::<(), bevy_gan_style_train::TrainError>(())
/// ```
pub struct UpscalePairs {
    low: ImageSet,
    full: ImageSet,
    /// For a guided upscaler: the full-size pictures the pairs were made
    /// from.
    guide: Option<ImageSet>,
    names: Vec<String>,
}

impl UpscalePairs {
    /// Every `NNN_low.png` / `NNN_full.png` pair in `dir` (what
    /// `upscale_scene --pairs` writes), in name order; each full frame must
    /// be `factor` times its low one.
    pub fn load(dir: &Path, factor: usize) -> Result<Self, TrainError> {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| TrainError::NoImages(format!("cannot read {}: {e}", dir.display())))?;
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.strip_suffix("_full.png").map(str::to_owned)
            })
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(TrainError::NoImages(format!(
                "no NNN_full.png / NNN_low.png pairs in {}",
                dir.display()
            )));
        }
        let files = |kind: &str| -> Vec<PathBuf> {
            names
                .iter()
                .map(|name| dir.join(format!("{name}_{kind}.png")))
                .collect()
        };
        let pairs = Self {
            low: ImageSet::load(&files("low"), 1.0, 1)?,
            full: ImageSet::load(&files("full"), 1.0, 1)?,
            guide: None,
            names,
        };
        pairs.check(factor)?;
        Ok(pairs)
    }

    /// `images` with their antialiased downscales ([`downscale`]) as the
    /// low pictures (cropped to a multiple of `factor` first).
    pub fn downscaled(images: &ImageSet, factor: usize) -> Self {
        let device = Default::default();
        let (mut low, mut full) = (Vec::new(), Vec::new());
        for index in 0..images.len() {
            let image = images.image::<bevy_gan_style_runtime::device::CpuBackend>(index, &device);
            let [_, _, h, w] = image.dims();
            let image = image
                .narrow(2, 0, h - h % factor)
                .narrow(3, 0, w - w % factor);
            low.push(downscale(image.clone(), factor));
            full.push(image);
        }
        Self::from_tensors(low, full)
    }

    fn from_tensors<B: Backend>(low: Vec<Tensor<B, 4>>, full: Vec<Tensor<B, 4>>) -> Self {
        Self {
            names: (0..low.len()).map(|i| format!("{i:03}")).collect(),
            low: ImageSet::from_tensors(low),
            full: ImageSet::from_tensors(full),
            guide: None,
        }
    }

    /// Both sets' pairs in one set (guides only where both have them).
    pub fn merge(first: Self, second: Self) -> Self {
        Self {
            low: ImageSet::merge(first.low, second.low),
            full: ImageSet::merge(first.full, second.full),
            guide: first
                .guide
                .zip(second.guide)
                .map(|(a, b)| ImageSet::merge(a, b)),
            names: [first.names, second.names].concat(),
        }
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.full.len()
    }

    /// Whether there is no pair (never, for a set that loaded).
    pub fn is_empty(&self) -> bool {
        self.full.is_empty()
    }

    /// Pair `index`: its name (`NNN` for loaded pairs) and its low and full
    /// pictures, `[1, 3, h, w]` and `[1, 3, factor · h, factor · w]`.
    pub fn pair<B: Backend>(
        &self,
        index: usize,
        device: &B::Device,
    ) -> (&str, Tensor<B, 4>, Tensor<B, 4>) {
        (
            &self.names[index],
            self.low.image(index, device),
            self.full.image(index, device),
        )
    }

    /// Every full picture is `factor` times its low one.
    fn check(&self, factor: usize) -> Result<(), TrainError> {
        for (index, name) in self.names.iter().enumerate() {
            let (low, full) = (self.low.size(index), self.full.size(index));
            if (low.0 * factor, low.1 * factor) != full {
                return Err(TrainError::Invalid(format!(
                    "pair {name}: the low picture is {}×{} and the full one {}×{},                      not {factor} times larger",
                    low.0, low.1, full.0, full.1
                )));
            }
        }
        Ok(())
    }
}

/// Downscales `[N, 3, H, W]` by `factor` with antialiasing: a separable
/// tent filter two output pixels wide (what a triangle-filter resize does),
/// edges repeated. The training inputs (and the evaluation's
/// low-resolution photos) are made this way.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_train::downscale;
/// let flat = Tensor::<CpuBackend, 4>::full([1, 3, 8, 12], 0.25, &Default::default());
/// let small = downscale(flat, 2);
/// assert_eq!(small.dims(), [1, 3, 4, 6]);
/// assert!(small.sub_scalar(0.25).abs().max().into_scalar() < 1e-6);
/// ```
pub fn downscale<B: Backend>(image: Tensor<B, 4>, factor: usize) -> Tensor<B, 4> {
    let device = image.device();
    let [_, channels, _, _] = image.dims();
    let taps: Vec<f32> = (0..2 * factor)
        .map(|k| (1.0 - (k as f32 + 0.5 - factor as f32).abs() / factor as f32).max(0.0))
        .collect();
    let total: f32 = taps.iter().sum();
    let taps: Vec<f32> = taps.iter().map(|t| t / total).collect();
    let kernel = |shape: [usize; 4]| {
        let weights: Vec<f32> = (0..channels).flat_map(|_| taps.iter().copied()).collect();
        Tensor::<B, 4>::from_data(TensorData::new(weights, shape), &device)
    };
    let pad = factor / 2;
    let along = |x: Tensor<B, 4>, dim: usize, weight: Tensor<B, 4>, stride: [usize; 2]| {
        let side = x.dims()[dim];
        let first = x.clone().narrow(dim, 0, 1);
        let last = x.clone().narrow(dim, side - 1, 1);
        let padded = Tensor::cat([vec![first; pad], vec![x], vec![last; pad]].concat(), dim);
        conv2d(
            padded,
            weight,
            None,
            ConvOptions::new(stride, [0, 0], [1, 1], channels),
        )
    };
    let rows = along(image, 3, kernel([channels, 1, 1, 2 * factor]), [1, factor]);
    along(rows, 2, kernel([channels, 1, 2 * factor, 1]), [factor, 1])
}

impl<B: StyleTrainBackend> Trainer for UpscaleTrainer<B> {
    fn columns(&self) -> &'static [Column] {
        match self.gan {
            Some(_) => GAN_COLUMNS,
            None => COLUMNS,
        }
    }

    fn log_plot(&self) -> bool {
        true
    }

    fn iteration(&self) -> u64 {
        self.state.iteration
    }

    fn step(&mut self) -> Result<Vec<f32>, TrainError> {
        Ok(self.train_step())
    }

    fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        self.state.save(dir, &self.config, |writer| {
            writer.module("network", &self.network)?;
            writer.optimizer::<B, _, _>("adam", &self.optimizer)?;
            if let Some(gan) = &self.gan {
                writer.module("discriminator", &gan.discriminator)?;
                writer.optimizer::<B, _, _>("adam-discriminator", &gan.optimizer)?;
            }
            Ok(())
        })
    }

    fn restore(&mut self, dir: &Path) -> Result<(), TrainError> {
        self.load(&CheckpointReader::open(dir)?)
    }

    fn learning_rate_scale(&self) -> f64 {
        self.state.lr_scale
    }

    fn set_learning_rate_scale(&mut self, scale: f64) {
        self.state.lr_scale = scale;
    }

    /// For one crop of each of up to three images (the same crops at every
    /// report), one row each: the low-resolution input (nearest), bilinear
    /// and bicubic upsampling, the network, and the target.
    fn sample_sheet(&mut self, path: &Path) -> Result<(), TrainError> {
        let size = self.config.size;
        let factor = self.config.network.factor;
        let network = self.inference_network();
        let rows: Vec<usize> = (0..self.data.len().min(3)).collect();
        let device = self.device.clone();
        let mut rng = SplitMix64::seeded(SHEET_SEED);
        let (low, high, guide) =
            self.batch::<B::InnerBackend>(&rows, Augment::None, &mut rng, &device);
        let nearest = interpolate(
            low.clone(),
            [size, size],
            InterpolateOptions::new(InterpolateMode::Nearest),
        );
        let columns = [
            nearest,
            upsample_bilinear(low.clone(), factor),
            upsample_bicubic(low.clone(), factor),
            Self::run(&network, low, guide),
            high,
        ];
        let s = size as u32;
        let mut sheet = RgbImage::from_pixel(5 * s, rows.len() as u32 * s, Rgb([255, 255, 255]));
        for (column, images) in columns.into_iter().enumerate() {
            for row in 0..rows.len() {
                let image = images.clone().narrow(0, row, 1).clamp(0.0, 1.0);
                let image = tensor_to_image(image, (0.0, 1.0));
                paste(&mut sheet, &image, column as u32 * s, row as u32 * s);
            }
        }
        save(&sheet, path)
    }
}

/// Seed of the sample sheets' crops.
const SHEET_SEED: u64 = 0x5eed;

/// The training images an upscaler run was given: files (at their own
/// size) and folders (all their JPEG and PNG images, the shorter side
/// brought down to at most `max_side`), each at least `crop` on a side.
pub fn upscale_images(
    paths: &[PathBuf],
    max_side: usize,
    crop: usize,
) -> Result<ImageSet, TrainError> {
    let mut set: Option<ImageSet> = None;
    for path in paths {
        let more = if path.is_dir() {
            ImageSet::from_folder(path, max_side, crop)?.0
        } else {
            ImageSet::load(std::slice::from_ref(path), 1.0, crop)?
        };
        set = Some(match set {
            Some(set) => ImageSet::merge(set, more),
            None => more,
        });
    }
    set.ok_or_else(|| TrainError::NoImages("no image given".into()))
}
