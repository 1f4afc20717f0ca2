//! The upscaler's training loop: random high-resolution crops, their
//! antialiased downscales as input, and an L1 loss between the network's
//! reconstruction and the crop (the PSNR-oriented first phase of SRGAN /
//! ESRGAN training). One Adam step per iteration.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::module::{conv2d, interpolate};
use burn::tensor::ops::{ConvOptions, InterpolateMode, InterpolateOptions};
use image::{Rgb, RgbImage};

use super::checkpoint::CheckpointReader;
use super::error::TrainError;
use super::images::{Augment, ImageSet};
use super::loop_state::{LoopState, scalar};
use super::report::{Column, paste, save};
use super::run::Trainer;
use super::style::StyleTrainBackend;
use crate::eval::psnr;
use bevy_gan_style_nn::{Upscaler, UpscalerConfig, upsample_bicubic, upsample_bilinear};
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

type Opt<M, B> = OptimizerAdaptor<Adam, M, B>;

/// An upscaler being trained on crops of images.
pub struct UpscaleTrainer<B: AutodiffBackend> {
    /// The run's configuration.
    pub config: UpscaleTrainConfig,
    /// The network (its weights are what an upscaling model ships).
    pub network: Upscaler<B>,
    optimizer: Opt<Upscaler<B>, B>,
    state: LoopState,
    images: ImageSet,
    device: B::Device,
}

impl<B: StyleTrainBackend> UpscaleTrainer<B> {
    /// A fresh network for `config`, trained on crops of `images`.
    pub fn new(
        config: UpscaleTrainConfig,
        images: ImageSet,
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
        if images.min_side() < config.size {
            return Err(TrainError::Invalid(format!(
                "the images must be at least {} pixels on a side (the crop); the smallest is {}",
                config.size,
                images.min_side()
            )));
        }
        B::seed(device, config.seed);
        Ok(Self {
            network: config.network.init(device),
            optimizer: AdamConfig::new().init(),
            state: LoopState::new(config.seed),
            images,
            device: device.clone(),
            config,
        })
    }

    /// Resumes from a folder written by [`Trainer::save_checkpoint`]; the
    /// configuration is the checkpoint's.
    pub fn resume(dir: &Path, images: ImageSet, device: &B::Device) -> Result<Self, TrainError> {
        let (config, checkpoint) = LoopState::open::<UpscaleTrainConfig>(dir)?;
        let mut trainer = Self::new(config, images, device)?;
        trainer.load(&checkpoint)?;
        Ok(trainer)
    }

    fn load(&mut self, checkpoint: &CheckpointReader) -> Result<(), TrainError> {
        self.network = checkpoint.module("network", self.network.clone(), &self.device)?;
        self.optimizer = checkpoint.optimizer("adam", self.optimizer.clone(), &self.device)?;
        self.state.restore(checkpoint);
        Ok(())
    }

    /// The network without autodiff, for samples and export.
    pub fn inference_network(&self) -> Upscaler<B::InnerBackend> {
        self.network.valid()
    }

    /// One Adam step; returns the values of [`Trainer::columns`].
    fn train_step(&mut self) -> [f32; 3] {
        let config = &self.config;
        let lr = self.state.learning_rate(config.learning_rate);
        let high = self.images.crops::<B>(
            &mut self.state.rng,
            config.batch,
            config.size,
            config.augment,
            1.0,
            &self.device,
        );
        let low = downscale(high.clone(), config.network.factor);
        let bicubic = upsample_bicubic(low.clone().detach(), config.network.factor);
        let output = self.network.forward(low);
        let loss = (output.clone() - high.clone()).abs().mean();
        let l1 = scalar(loss.clone());
        let psnr_net = psnr(output.detach(), high.clone());
        let psnr_bicubic = psnr(bicubic, high);
        let grads = GradientsParams::from_grads(loss.backward(), &self.network);
        self.network = self.optimizer.step(lr, self.network.clone(), grads);
        self.state.iteration += 1;
        [l1, psnr_net as f32, psnr_bicubic as f32]
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
        COLUMNS
    }

    fn log_plot(&self) -> bool {
        true
    }

    fn iteration(&self) -> u64 {
        self.state.iteration
    }

    fn step(&mut self) -> Result<Vec<f32>, TrainError> {
        Ok(self.train_step().to_vec())
    }

    fn save_checkpoint(&self, dir: &Path) -> Result<(), TrainError> {
        self.state.save(dir, &self.config, |writer| {
            writer.module("network", &self.network)?;
            writer.optimizer::<B, _, _>("adam", &self.optimizer)
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

    /// For the centre crops of up to three images, one row each: the
    /// low-resolution input (nearest), bilinear and bicubic upsampling, the
    /// network, and the original.
    fn sample_sheet(&mut self, path: &Path) -> Result<(), TrainError> {
        let size = 2 * self.config.size;
        let factor = self.config.network.factor;
        let network = self.inference_network();
        let rows = self.images.len().min(3);
        let s = size as u32;
        let mut sheet = RgbImage::from_pixel(5 * s, rows as u32 * s, Rgb([255, 255, 255]));
        for row in 0..rows {
            let high = self
                .images
                .centre_crop::<B::InnerBackend>(row, size, &self.device);
            let low = downscale(high.clone(), factor);
            let nearest = interpolate(
                low.clone(),
                [size, size],
                InterpolateOptions::new(InterpolateMode::Nearest),
            );
            let columns = [
                nearest,
                upsample_bilinear(low.clone(), factor),
                upsample_bicubic(low.clone(), factor),
                network.forward(low),
                high,
            ];
            for (column, image) in columns.into_iter().enumerate() {
                let image = tensor_to_image(image.clamp(0.0, 1.0), (0.0, 1.0));
                paste(&mut sheet, &image, column as u32 * s, row as u32 * s);
            }
        }
        save(&sheet, path)
    }
}

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
