//! Training feed-forward style networks: the conditional-instance-norm
//! transformer learns N styles at once from content crops with
//! L = Lc + α·Ls + β·TV + λ·Ladv (content and Gram style losses on VGG16
//! features, total variation, and a patch discriminator that judges patches
//! of the style image against patches of the output), or learns only the
//! scale/shift rows of styles added to an existing model. With a teacher
//! (distillation) the content term is the distance to the teacher's output
//! instead: VGG16 features up to the content tap plus pixels.

use std::path::{Path, PathBuf};

use burn::module::{AutodiffModule, ParamId};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use image::{Rgb, RgbImage};

use super::adversarial::AdversarialLoss;
use super::checkpoint::CheckpointReader;
use super::discriminator::{PatchDiscriminator, PatchDiscriminatorConfig};
use super::error::TrainError;
use super::flow::{FlowSet, Warp};
use super::images::{Augment, ImageSet, Skipped};
use super::loop_state::{LoopState, scalar};
use super::parallel::{Peer, mean_gradients, mean_values, part, rows};
use super::phases::{PhaseClock, StepPhases};
use super::report::{Column, paste, save};
use super::run::{Monitored, Trainer};
use super::teacher::{Teacher, TeacherConfig};
use super::temporal::temporal_loss;
use crate::eval::{Features, frechet_distance, position_features};
use bevy_gan_style_nn::{
    Draw, MultiStyleConfig, MultiStyleNet, StageBackend, StyleTransformer, Vgg16, VggTap,
    content_loss, drawn, style_grams, style_loss, total_variation,
};
use bevy_gan_style_runtime::bridge::tensor_to_image;
use bevy_gan_style_runtime::model::{StyleArchitecture, StyleModelCard, export_model};

/// Everything that defines a style training run, data sources included (so
/// that a run resumes from its output folder alone).
///
/// ```
/// use bevy_gan_style_runtime::nn::MultiStyleConfig;
/// use bevy_gan_style_train::StyleTrainConfig;
/// let config = StyleTrainConfig::new(
///     MultiStyleConfig::new(2, [16, 32, 32], 3, [16, 8]),
///     vec!["starry.jpg".into(), "wave.jpg".into()],
///     vec!["photos".into()],
///     "assets/training/vgg16_features.safetensors".into(),
/// )
/// .with_style_weight(5e4);
/// assert_eq!(config.learning_rate, 1e-3);
/// ```
#[derive(Config, Debug)]
pub struct StyleTrainConfig {
    /// The style network (its `num_styles` counts frozen and trained styles).
    pub net: MultiStyleConfig,
    /// The style images being learned, one per trained style, in order.
    /// With a teacher they are optional: given, they add the Gram loss and
    /// are the discriminator's real patches (else the teacher's outputs
    /// are).
    pub styles: Vec<String>,
    /// Folders of content images (searched recursively).
    pub content: Vec<String>,
    /// VGG16 weights (safetensors or `.pth`).
    pub vgg: String,
    /// Names of all styles, frozen ones first (defaults to the style
    /// images' file stems).
    #[config(default = "Vec::new()")]
    pub style_names: Vec<String>,
    /// Styles `0..frozen_styles` come from a base model and stay as they
    /// are; the network's convolutions are frozen too and only the added
    /// styles' scale and shift rows are trained.
    #[config(default = 0)]
    pub frozen_styles: usize,
    /// Tap of the content loss.
    #[config(default = "VggTap::Relu2_2")]
    pub content_layer: VggTap,
    /// Weight of the content loss.
    #[config(default = 1.0)]
    pub content_weight: f32,
    /// α: weight of the Gram style loss.
    #[config(default = 2e5)]
    pub style_weight: f32,
    /// Per-tap weights of the style loss (relu1_2, relu2_2, relu3_3, relu4_3).
    #[config(default = "vec![1.0, 1.0, 1.0, 1.0]")]
    pub style_layer_weights: Vec<f32>,
    /// β: weight of the total-variation loss.
    #[config(default = 10.0)]
    pub tv_weight: f32,
    /// Adversarial objective, or none.
    #[config(default = "Some(AdversarialLoss::Lsgan)")]
    pub adversarial: Option<AdversarialLoss>,
    /// λ: weight of the generator's adversarial loss.
    #[config(default = 1.0)]
    pub adversarial_weight: f32,
    /// Discriminator widths (its input is RGB plus one plane per style).
    #[config(default = "vec![32, 64, 128]")]
    pub discriminator_channels: Vec<usize>,
    /// Side of the content crops (a multiple of 4).
    #[config(default = 256)]
    pub size: usize,
    /// Content crops per batch.
    #[config(default = 4)]
    pub batch: usize,
    /// Style images are resized to this shorter side.
    #[config(default = 256)]
    pub style_size: usize,
    /// Content crops cover `size · jitter^u` pixels, `u` in `[-1, 1]`.
    #[config(default = 1.25)]
    pub scale_jitter: f32,
    /// Adam learning rate of the style network.
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    /// The styles' scale and shift rows learn this many times faster than
    /// the convolutions: each row sees only its own style's images, so it
    /// gets a fraction of the updates (Adam's steps are about the learning
    /// rate, whatever the gradient's size).
    #[config(default = 10.0)]
    pub style_learning_rate_scale: f64,
    /// Adam learning rate of the discriminator.
    #[config(default = 2e-4)]
    pub discriminator_learning_rate: f64,
    /// Adam β₁ of both networks.
    #[config(default = 0.5)]
    pub beta_1: f32,
    /// Adam β₂ of both networks.
    #[config(default = 0.999)]
    pub beta_2: f32,
    /// Seed of initialisation, crops and style choice.
    #[config(default = 0)]
    pub seed: u64,
    /// Distil this teacher's styles: the content term becomes the distance
    /// to its output (VGG16 taps up to `content_layer`, weight
    /// `content_weight`, plus pixels).
    pub teacher: Option<TeacherConfig>,
    /// Folders of frames recorded with the engine's motion vectors and
    /// depth ([`CaptureFlow`](super::CaptureFlow)): consecutive pairs for
    /// the temporal loss.
    #[config(default = "Vec::new()")]
    pub pairs: Vec<String>,
    /// Weight of the temporal loss `‖S(f_t) − warp(S(f_{t−1}))‖²` over the
    /// pixels the previous frame saw (0: off).
    #[config(default = 0.0)]
    pub temporal_weight: f32,
    /// Relative depth difference beyond which a pixel counts as newly
    /// visible (no temporal loss there).
    #[config(default = 0.05)]
    pub depth_tolerance: f32,
}

/// The style trainer's loss columns.
const COLUMNS: &[Column] = &[
    Column {
        name: "total",
        plot: true,
    },
    Column {
        name: "content",
        plot: true,
    },
    Column {
        name: "pixel",
        plot: true,
    },
    Column {
        name: "style",
        plot: true,
    },
    Column {
        name: "tv",
        plot: true,
    },
    Column {
        name: "adversarial_g",
        plot: true,
    },
    Column {
        name: "loss_d",
        plot: true,
    },
    Column {
        name: "temporal",
        plot: true,
    },
];

type Opt<M, B> = OptimizerAdaptor<Adam, M, B>;

/// The backends style networks train on: burn's autodiff over a backend
/// that runs convolution stages (the trainer runs its network with and
/// without autodiff), e.g. `Autodiff<CpuBackend>` or `Autodiff<GpuBackend>`.
pub trait StyleTrainBackend: AutodiffBackend<InnerBackend: StageBackend> + StageBackend {}

impl<B: AutodiffBackend<InnerBackend: StageBackend> + StageBackend> StyleTrainBackend for B {}

/// A style network, its discriminator and the data being trained on.
pub struct StyleTrainer<B: AutodiffBackend> {
    /// The run's configuration.
    pub config: StyleTrainConfig,
    /// The style network (what the exported model holds).
    pub net: MultiStyleNet<B>,
    /// The discriminator, with an adversarial loss.
    pub discriminator: Option<PatchDiscriminator<B>>,
    opt_g: Opt<MultiStyleNet<B>, B>,
    opt_d: Opt<PatchDiscriminator<B>, B>,
    state: LoopState,
    vgg: Vgg16<B>,
    /// Per trained style, its Gram targets at the four style taps (none
    /// without style images).
    targets: Vec<Vec<Tensor<B, 3>>>,
    styles: Option<ImageSet>,
    teacher: Option<Teacher<B::InnerBackend>>,
    /// Frame pairs of the temporal loss.
    pairs: Option<FlowSet>,
    content: ImageSet,
    /// Fixed content crops of the sample sheets.
    samples: Tensor<B::InnerBackend, 4>,
    /// Content files that could not be used, and why.
    pub skipped: Vec<Skipped>,
    monitor: Option<StyleMonitor<B::InnerBackend>>,
    /// Time each step's phases ([`Trainer::profile_phases`]).
    profiling: bool,
    phases: Option<StepPhases>,
    /// This trainer's place in a data-parallel run.
    peer: Option<Peer>,
    device: B::Device,
}

/// The style trainer's monitor column: SIFID of the sample sheet's outputs
/// against their style images.
const MONITOR_COLUMNS: &[Column] = &[Column {
    name: "sifid",
    plot: true,
}];

/// Watches how close the outputs come to the paintings' own statistics:
/// VGG16 and, per trained style, its image's SIFID features.
struct StyleMonitor<B: Backend> {
    vgg: Vgg16<B>,
    styles: Vec<Features>,
}

impl<B: StyleTrainBackend> StyleTrainer<B> {
    /// A new network for `config` (`config.frozen_styles` must be 0).
    pub fn new(config: StyleTrainConfig, device: &B::Device) -> Result<Self, TrainError> {
        if config.frozen_styles != 0 {
            return Err(TrainError::Invalid(
                "frozen styles need a base model: use StyleTrainer::add_styles".into(),
            ));
        }
        B::seed(device, config.seed);
        let net = drawn(config.net.init(device));
        Self::with_net(config, net, device)
    }

    /// Adds `config.styles` to `base` and trains only their scale and shift
    /// rows; `config.net` and `config.frozen_styles` are set from `base`.
    pub fn add_styles(
        mut config: StyleTrainConfig,
        base: MultiStyleNet<B>,
        base_config: MultiStyleConfig,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        let added = match &config.teacher {
            Some(teacher) => Teacher::<B::InnerBackend>::load(teacher, device)?.len(),
            None => config.styles.len(),
        };
        config.frozen_styles = base.num_styles;
        config.net = MultiStyleConfig {
            num_styles: base.num_styles + added,
            ..base_config
        };
        B::seed(device, config.seed);
        Self::with_net(config, base.with_added_styles(added), device)
    }

    fn with_net(
        config: StyleTrainConfig,
        net: MultiStyleNet<B>,
        device: &B::Device,
    ) -> Result<Self, TrainError> {
        if config.batch == 0 {
            return Err(TrainError::Invalid("the batch must hold an image".into()));
        }
        let teacher = config
            .teacher
            .as_ref()
            .map(|teacher| Teacher::load(teacher, device))
            .transpose()?;
        let taught = teacher.as_ref().map_or(config.styles.len(), Teacher::len);
        let trained = config.net.num_styles.checked_sub(config.frozen_styles);
        if trained != Some(taught) || taught == 0 {
            return Err(TrainError::Invalid(format!(
                "{taught} style(s) to learn for a network of {} styles with {} frozen",
                config.net.num_styles, config.frozen_styles
            )));
        }
        if !config.styles.is_empty() && config.styles.len() != taught {
            return Err(TrainError::Invalid(format!(
                "{} style image(s) for the teacher's {taught} style(s): give one per style, \
                 in the teacher's order, or none",
                config.styles.len()
            )));
        }
        if !config.size.is_multiple_of(4) || config.size < config.net.min_input_size() {
            return Err(TrainError::Size {
                size: config.size,
                multiple: 4,
            });
        }
        if config.style_layer_weights.len() != VggTap::STYLE.len() {
            return Err(TrainError::Invalid(format!(
                "{} style layer weights given, the style loss has {} taps",
                config.style_layer_weights.len(),
                VggTap::STYLE.len()
            )));
        }
        let vgg = frozen_vgg::<B>(&config.vgg, device)?;
        let style_paths: Vec<PathBuf> = config.styles.iter().map(PathBuf::from).collect();
        let styles = (!style_paths.is_empty())
            .then(|| ImageSet::load_short_side(&style_paths, config.style_size))
            .transpose()?;
        let targets = styles.as_ref().map_or_else(Vec::new, |styles| {
            let images: Vec<Tensor<B, 4>> =
                (0..styles.len()).map(|i| styles.image(i, device)).collect();
            style_grams(&vgg, &images)
                .into_iter()
                .map(|grams| grams.into_iter().map(|g| g.detach()).collect())
                .collect()
        });
        let pairs = if config.temporal_weight > 0.0 {
            let mut frames = FlowSet::default();
            for dir in &config.pairs {
                frames = FlowSet::merge(frames, FlowSet::load_folder(Path::new(dir))?);
            }
            if frames.is_empty() {
                return Err(TrainError::NoImages(
                    "the temporal loss needs frame pairs (folders recorded with CaptureFlow)"
                        .into(),
                ));
            }
            Some(frames)
        } else {
            None
        };
        let mut content = None;
        let mut skipped = Vec::new();
        for dir in &config.content {
            let (set, left_out) =
                ImageSet::from_folder(Path::new(dir), 2 * config.size, config.size)?;
            skipped.extend(left_out);
            content = Some(match content {
                None => set,
                Some(previous) => ImageSet::merge(previous, set),
            });
        }
        let content =
            content.ok_or_else(|| TrainError::NoImages("no content folder given".into()))?;
        let samples = Tensor::cat(
            (0..content.len().min(3))
                .map(|i| content.centre_crop(i, config.size, device))
                .collect(),
            0,
        );
        let adam = AdamConfig::new()
            .with_beta_1(config.beta_1)
            .with_beta_2(config.beta_2);
        let discriminator = config.adversarial.map(|_| {
            PatchDiscriminatorConfig::new(config.discriminator_channels.clone())
                .with_input_channels(3 + config.net.num_styles)
                .init(device)
        });
        Ok(Self {
            net,
            discriminator,
            opt_g: adam.init(),
            opt_d: adam.init(),
            state: LoopState::new(config.seed),
            vgg,
            targets,
            styles,
            teacher,
            pairs,
            content,
            samples,
            skipped,
            monitor: None,
            profiling: false,
            phases: None,
            peer: None,
            device: device.clone(),
            config,
        })
    }

    /// Takes part in a data-parallel run as `peer` (from
    /// [`crate::DataParallel::launch`]): each step trains on this peer's
    /// share of the batch and averages gradients and losses with the other
    /// peers. Fresh networks take the writing peer's weights; resumed ones
    /// must match it. Fails when the batch does not split evenly or the
    /// peers' iterations or weights differ.
    pub fn join(&mut self, peer: Peer) -> Result<(), TrainError> {
        peer.share(self.config.batch, "a batch")?;
        if self.pairs.is_some() {
            peer.share(
                (self.config.batch / 2).max(1),
                "the temporal loss's frame pairs (half the batch)",
            )?;
        }
        peer.start()?;
        let iteration = self.state.iteration;
        self.net = peer.adopt(self.net.clone(), iteration, &self.device)?;
        self.discriminator = self
            .discriminator
            .take()
            .map(|d| peer.adopt(d, iteration, &self.device))
            .transpose()?;
        self.peer = Some(peer);
        Ok(())
    }

    /// Monitors the run: at every report, the mean SIFID of the sample
    /// sheet's outputs (each fixed content crop in each trained style)
    /// against the style images, a `sifid` column in `losses.csv` and a
    /// panel under the loss curves. Needs style images.
    pub fn monitor(&mut self) -> Result<(), TrainError> {
        let Some(styles) = &self.styles else {
            return Err(TrainError::Invalid(
                "the SIFID monitor compares outputs with style images; this run has none".into(),
            ));
        };
        let vgg = self.vgg.valid();
        let styles = (0..styles.len())
            .map(|i| position_features(&vgg, styles.image(i, &self.device)))
            .collect();
        self.monitor = Some(StyleMonitor { vgg, styles });
        Ok(())
    }

    /// Resumes from a folder written by [`Trainer::save_checkpoint`]; the
    /// configuration (data sources included) is the checkpoint's.
    pub fn resume(dir: &Path, device: &B::Device) -> Result<Self, TrainError> {
        Self::resume_with(dir, device, |_| {})
    }

    /// Resumes from a checkpoint with its configuration changed by `adjust`
    /// before the data are loaded: e.g. fine-tuning a trained network with
    /// the temporal loss added. The network's shape must stay the same.
    ///
    /// ```no_run
    /// # use bevy_gan_style_train::StyleTrainer;
    /// # type B = burn::backend::Autodiff<bevy_gan_style_runtime::prelude::CpuBackend>;
    /// let trainer = StyleTrainer::<B>::resume_with(
    ///     "out/lite/checkpoint".as_ref(),
    ///     &Default::default(),
    ///     |config| {
    ///         config.pairs = vec!["out/lite/pairs".into()];
    ///         config.temporal_weight = 50.0;
    ///     },
    /// )?;
    /// # Ok::<(), bevy_gan_style_train::TrainError>(())
    /// ```
    pub fn resume_with(
        dir: &Path,
        device: &B::Device,
        adjust: impl FnOnce(&mut StyleTrainConfig),
    ) -> Result<Self, TrainError> {
        let (mut config, checkpoint) = LoopState::open::<StyleTrainConfig>(dir)?;
        adjust(&mut config);
        let net = config.net.init(device);
        let mut trainer = Self::with_net(config, net, device)?;
        trainer.load(&checkpoint)?;
        Ok(trainer)
    }

    fn load(&mut self, checkpoint: &CheckpointReader) -> Result<(), TrainError> {
        let device = &self.device;
        self.net = checkpoint.module("net", self.net.clone(), device)?;
        self.opt_g = checkpoint.optimizer("adam-net", self.opt_g.clone(), device)?;
        if let Some(discriminator) = self.discriminator.take() {
            self.discriminator = Some(checkpoint.module("discriminator", discriminator, device)?);
            self.opt_d = checkpoint.optimizer("adam-discriminator", self.opt_d.clone(), device)?;
        }
        self.state.restore(checkpoint);
        Ok(())
    }

    /// One-hot style codes `[N, num_styles]` for the style indices.
    fn one_hot<K: Backend>(&self, styles: &[usize], device: &K::Device) -> Tensor<K, 2> {
        let n = self.config.net.num_styles;
        let mut data = vec![0.0f32; styles.len() * n];
        for (row, &style) in styles.iter().enumerate() {
            data[row * n + style] = 1.0;
        }
        Tensor::from_data(TensorData::new(data, [styles.len(), n]), device)
    }

    /// RGB in `[-1, 1]` plus the style code as constant planes: what the
    /// conditional discriminator sees.
    fn conditioned(image: Tensor<B, 4>, code: Tensor<B, 2>) -> Tensor<B, 4> {
        let [n, _, h, w] = image.dims();
        let [_, s] = code.dims();
        let planes = code.reshape([n, s, 1, 1]).expand([n, s, h, w]);
        Tensor::cat(vec![image.mul_scalar(2.0).sub_scalar(1.0), planes], 1)
    }

    fn train_step(&mut self) -> Result<[f32; 8], TrainError> {
        let config = self.config.clone();
        let device = self.device.clone();
        let mut clock = PhaseClock::<B>::start(self.profiling, &device);
        let trained = config.net.num_styles - config.frozen_styles;
        // Every peer draws the whole batch from the same random state and
        // takes its part: together they see what one process would.
        let mine = part(self.peer.as_ref(), config.batch);
        // Style index into the network per image, and into the trained
        // styles (targets, style images, the teacher's styles).
        let all_picks: Vec<usize> = (0..config.batch)
            .map(|_| self.state.rng.below(trained))
            .collect();
        let picks = all_picks[mine.clone()].to_vec();
        let net_styles: Vec<usize> = picks.iter().map(|p| p + config.frozen_styles).collect();
        let code = self.one_hot::<B>(&net_styles, &device);
        let content = rows(
            self.content.crops::<B>(
                &mut self.state.rng,
                config.batch,
                config.size,
                Augment::Flips,
                config.scale_jitter,
                &device,
            ),
            &mine,
        );
        clock.mark("data");
        let output = self.net.forward(content.clone(), code.clone());
        let taught = self.teacher.as_ref().map(|teacher| {
            Tensor::<B, 4>::from_inner(teacher.forward(content.clone().inner(), &picks))
        });

        let gram = !self.targets.is_empty() && config.style_weight > 0.0;
        let deepest = if gram {
            config.content_layer.max(VggTap::Relu4_3)
        } else {
            config.content_layer
        };
        let taps = self.vgg.forward(output.clone(), deepest);
        let zero = || Tensor::<B, 1>::zeros([1], &device);
        // Distance to the photo's features at the content tap, or to the
        // teacher's output at every tap up to it.
        let (loss_c, loss_p) = match &taught {
            Some(taught) => {
                let targets = self.vgg.forward(taught.clone(), config.content_layer);
                let perceptual = targets
                    .into_iter()
                    .zip(&taps)
                    .fold(zero(), |sum, (target, tap)| {
                        sum + content_loss(tap.clone(), target.detach())
                    });
                let pixel = (output.clone() - taught.clone()).powi_scalar(2).mean();
                (perceptual, pixel)
            }
            None => {
                let target = self
                    .vgg
                    .forward(content, config.content_layer)
                    .pop()
                    .map(|t| t.detach());
                let loss = match target {
                    Some(target) => {
                        content_loss(taps[config.content_layer.block()].clone(), target)
                    }
                    None => zero(),
                };
                (loss, zero())
            }
        };
        let pixel_weight = config.teacher.as_ref().map_or(0.0, |t| t.pixel_weight);
        let loss_s = if gram {
            let grams: Vec<Tensor<B, 3>> = (0..VggTap::STYLE.len())
                .map(|tap| {
                    Tensor::cat(
                        picks
                            .iter()
                            .map(|&p| self.targets[p][tap].clone())
                            .collect(),
                        0,
                    )
                })
                .collect();
            style_loss(
                &taps[..VggTap::STYLE.len()],
                &grams,
                &config.style_layer_weights,
            )
        } else {
            zero()
        };
        let loss_tv = total_variation(output.clone());
        let mut total = loss_c.clone().mul_scalar(config.content_weight)
            + loss_p.clone().mul_scalar(pixel_weight)
            + loss_s.clone().mul_scalar(config.style_weight)
            + loss_tv.clone().mul_scalar(config.tv_weight);

        clock.mark("forward");
        let (mut adv_g, mut loss_d_value) = (0.0, 0.0);
        if let (Some(loss), Some(discriminator)) = (config.adversarial, self.discriminator.clone())
        {
            // Discriminator: patches of each image's style image (or, without
            // style images, the teacher's output) are real, the output fake,
            // both tagged with the style code.
            let real = match (&self.styles, &taught) {
                (Some(styles), _) => rows(
                    styles.crops_of::<B>(
                        &mut self.state.rng,
                        &all_picks,
                        config.size.min(styles.min_side()),
                        Augment::Flips,
                        1.0,
                        &device,
                    ),
                    &mine,
                ),
                (None, Some(taught)) => taught.clone(),
                (None, None) => unreachable!("style images or a teacher are checked at start"),
            };
            let real_logits = discriminator.forward(Self::conditioned(real, code.clone()));
            let fake_logits =
                discriminator.forward(Self::conditioned(output.clone().detach(), code.clone()));
            let loss_d = loss.discriminator(real_logits, fake_logits);
            loss_d_value = scalar(loss_d.clone());
            let grads = mean_gradients(
                self.peer.as_ref(),
                GradientsParams::from_grads(loss_d.backward(), &discriminator),
                &discriminator,
            )?;
            let lr = self.state.learning_rate(config.discriminator_learning_rate);
            let discriminator = self.opt_d.step(lr, discriminator, grads);
            let loss_g = loss.generator(discriminator.forward(Self::conditioned(output, code)));
            adv_g = scalar(loss_g.clone());
            total = total + loss_g.mul_scalar(config.adversarial_weight);
            self.discriminator = Some(discriminator);
            clock.mark("discriminator");
        }

        let mut loss_w_value = 0.0;
        if let Some(loss_w) = self.temporal_term(trained, &device) {
            loss_w_value = scalar(loss_w.clone());
            total = total + loss_w.mul_scalar(config.temporal_weight);
            clock.mark("temporal");
        }

        let total_value = scalar(total.clone());
        let mut grads = total.backward();
        clock.mark("backward");
        let lr = self.state.learning_rate(config.learning_rate);
        let ids: Vec<ParamId> = self.net.style_param_ids();
        let style_grads = mean_gradients(
            self.peer.as_ref(),
            GradientsParams::from_params(&mut grads, &self.net, &ids),
            &self.net,
        )?;
        self.net = self.opt_g.step(
            lr * config.style_learning_rate_scale,
            self.net.clone(),
            style_grads,
        );
        // With frozen styles the convolutions stay as they are.
        if config.frozen_styles == 0 {
            let grads = mean_gradients(
                self.peer.as_ref(),
                GradientsParams::from_module(&mut grads, &self.net),
                &self.net,
            )?;
            self.net = self.opt_g.step(lr, self.net.clone(), grads);
        }
        clock.mark("optimiser");
        self.phases = clock.finish();
        self.state.iteration += 1;
        let values = mean_values::<B::InnerBackend>(
            self.peer.as_ref(),
            vec![
                total_value,
                scalar(loss_c),
                scalar(loss_p),
                scalar(loss_s),
                scalar(loss_tv),
                adv_g,
                loss_d_value,
                loss_w_value,
            ],
            &device,
        )?;
        values
            .try_into()
            .map_err(|_| TrainError::Parallel("the peers sent a different number of losses".into()))
    }

    /// The temporal loss on this peer's part of `batch / 2` frame pairs
    /// (none without pairs): consecutive frames in the same random styles,
    /// where the output of the second should be the first's, moved as the
    /// engine says.
    fn temporal_term(&mut self, trained: usize, device: &B::Device) -> Option<Tensor<B, 1>> {
        let pairs = self.pairs.as_ref()?;
        let config = &self.config;
        let all = (config.batch / 2).max(1);
        let mine = part(self.peer.as_ref(), all);
        let (previous, current, warps) = pairs.crops::<B>(
            &mut self.state.rng,
            all,
            config.size,
            config.depth_tolerance,
            device,
        );
        let styles: Vec<usize> = (0..all)
            .map(|_| self.state.rng.below(trained) + config.frozen_styles)
            .collect();
        let count = mine.len();
        let code = self.one_hot::<B>(&styles[mine.clone()], device);
        let both = self.net.forward(
            Tensor::cat(vec![rows(previous, &mine), rows(current, &mine)], 0),
            Tensor::cat(vec![code.clone(), code], 0),
        );
        let loss = temporal_loss(
            both.clone().narrow(0, count, count),
            both.narrow(0, 0, count),
            &warps[mine.clone()],
        );
        let Some(peer) = &self.peer else {
            return Some(loss);
        };
        // The loss is per pixel its pairs see: weighted by this peer's share
        // of them, the peers' mean is the whole batch's loss.
        let seen = |warps: &[Warp]| {
            warps
                .iter()
                .map(|w| w.visible.iter().filter(|&&v| v).count())
                .sum::<usize>()
                .max(1) as f32
        };
        Some(loss.mul_scalar(seen(&warps[mine]) / seen(&warps) * peer.count() as f32))
    }

    /// The style network without autodiff, for samples and export.
    pub fn inference_net(&self) -> MultiStyleNet<B::InnerBackend> {
        self.net.valid()
    }

    /// The names of all styles, frozen ones first.
    pub fn style_names(&self) -> Vec<String> {
        if self.config.style_names.len() == self.config.net.num_styles {
            return self.config.style_names.clone();
        }
        let stems: Vec<String> = match &self.teacher {
            Some(teacher) => teacher.names().to_vec(),
            None => self
                .config
                .styles
                .iter()
                .map(|path| {
                    Path::new(path)
                        .file_stem()
                        .map_or_else(|| path.clone(), |s| s.to_string_lossy().into_owned())
                })
                .collect(),
        };
        (0..self.config.frozen_styles)
            .map(|i| format!("style {i}"))
            .chain(stems)
            .collect()
    }

    /// Writes the network as a style model, `<dir>/<name>.style.ron` and
    /// `<dir>/<name>.safetensors`, that `stylize` and the camera filter
    /// load unchanged; returns the card's path.
    pub fn export(&self, dir: &Path, name: &str, description: &str) -> Result<PathBuf, TrainError> {
        let card = StyleModelCard {
            name: name.to_string(),
            description: description.to_string(),
            architecture: StyleArchitecture::MultiStyle(self.config.net.clone()),
            weights: format!("{name}.safetensors"),
            input_range: (0.0, 1.0),
            output_range: (0.0, 1.0),
            styles: self.style_names(),
        };
        Ok(export_model(
            &self.inference_net(),
            &card,
            name,
            "style.ron",
            dir,
        )?)
    }
}

impl<B: StyleTrainBackend> Trainer for StyleTrainer<B> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn log_plot(&self) -> bool {
        true
    }

    fn iteration(&self) -> u64 {
        self.state.iteration
    }

    fn step(&mut self) -> Result<Vec<f32>, TrainError> {
        Ok(self.train_step()?.to_vec())
    }

    fn profile_phases(&mut self, on: bool) {
        self.profiling = on;
        self.phases = None;
    }

    fn last_phases(&self) -> Option<&StepPhases> {
        self.phases.as_ref()
    }

    fn writes_reports(&self) -> bool {
        self.peer.as_ref().is_none_or(Peer::is_writer)
    }

    fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        self.state.save(dir, &self.config, |writer| {
            writer.module("net", &self.net)?;
            writer.optimizer::<B, _, _>("adam-net", &self.opt_g)?;
            if let Some(discriminator) = &self.discriminator {
                writer.module("discriminator", discriminator)?;
                writer.optimizer::<B, _, _>("adam-discriminator", &self.opt_d)?;
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

    fn monitor_columns(&self) -> &'static [Column] {
        if self.monitor.is_some() {
            MONITOR_COLUMNS
        } else {
            &[]
        }
    }

    fn monitor(&mut self) -> Result<Monitored, TrainError> {
        let net = self.inference_net();
        let Some(monitor) = &self.monitor else {
            return Ok(Monitored::default());
        };
        let [rows, ..] = self.samples.dims();
        let mut sifid = 0.0;
        for (style, features) in monitor.styles.iter().enumerate() {
            let code = self.one_hot::<B::InnerBackend>(
                &vec![style + self.config.frozen_styles; rows],
                &self.device,
            );
            let outputs = net.forward(self.samples.clone(), code);
            for row in 0..rows {
                let output = position_features(&monitor.vgg, outputs.clone().narrow(0, row, 1));
                sifid += frechet_distance(&output, features).unwrap_or(f64::NAN);
            }
        }
        let count = (rows * monitor.styles.len()).max(1) as f64;
        Ok(Monitored {
            values: vec![(sifid / count) as f32],
            warning: None,
        })
    }

    /// Rows: the fixed content crops; columns: the content, then each
    /// trained style's output (at most six); a top row shows the style
    /// images or, when distilling without them, the teacher's output for
    /// the first crop.
    fn sample_sheet(&mut self, path: &Path) -> Result<(), TrainError> {
        let size = self.config.size;
        let s = size as u32;
        let trained = (self.config.net.num_styles - self.config.frozen_styles).min(6);
        let [rows, ..] = self.samples.dims();
        let net = self.inference_net();
        let mut sheet = RgbImage::from_pixel(
            (trained as u32 + 1) * s,
            (rows as u32 + 1) * s,
            Rgb([255; 3]),
        );
        for style in 0..trained {
            let image = match (&self.styles, &self.teacher) {
                (Some(styles), _) => {
                    styles.centre_crop::<B::InnerBackend>(style, size, &self.device)
                }
                (None, Some(teacher)) => {
                    teacher.forward(self.samples.clone().narrow(0, 0, 1), &[style])
                }
                (None, None) => continue,
            };
            paste(
                &mut sheet,
                &tensor_to_image(image, (0.0, 1.0)),
                (style as u32 + 1) * s,
                0,
            );
        }
        for row in 0..rows {
            let content = self.samples.clone().narrow(0, row, 1);
            let y = (row as u32 + 1) * s;
            paste(
                &mut sheet,
                &tensor_to_image(content.clone(), (0.0, 1.0)),
                0,
                y,
            );
            for style in 0..trained {
                let code = self
                    .one_hot::<B::InnerBackend>(&[style + self.config.frozen_styles], &self.device);
                let output = net.forward(content.clone(), code);
                paste(
                    &mut sheet,
                    &tensor_to_image(output, (0.0, 1.0)),
                    (style as u32 + 1) * s,
                    y,
                );
            }
        }
        save(&sheet, path)
    }
}

/// VGG16 from `path` with its weights frozen: the loss network of the
/// perceptual losses (gradients flow to the images, not to it).
pub(crate) fn frozen_vgg<B: Backend>(
    path: &str,
    device: &B::Device,
) -> Result<Vgg16<B>, TrainError> {
    let path = PathBuf::from(path);
    Vgg16::<B>::load(&path, device)
        .map(Vgg16::no_grad)
        .map_err(|source| TrainError::Weights { path, source })
}
