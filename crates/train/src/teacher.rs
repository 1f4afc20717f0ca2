//! Distillation teachers: any style model whose output a student learns to
//! reproduce — stored styles of a multi-style model, a single-style
//! network, or an arbitrary-style model with style images.

use std::path::Path;

use burn::prelude::*;

use super::error::TrainError;
use bevy_gan_style_nn::{StageBackend, StyleTransformer};
use bevy_gan_style_runtime::bridge::open_image;
use bevy_gan_style_runtime::model::{CardModel, StyleModel, StyleNet, StyleWeights};

/// Which model teaches, and which of its styles (saved with a run's
/// configuration, so that a run resumes with the same teacher).
///
/// ```
/// use bevy_gan_style_train::TeacherConfig;
/// let teacher = TeacherConfig::new("assets/models/multistyle26.style.ron".into())
///     .with_styles(vec![0, 7, 12]);
/// assert_eq!(teacher.pixel_weight, 10.0);
/// ```
#[derive(Config, Debug)]
pub struct TeacherConfig {
    /// The teacher's card (`.style.ron`).
    pub card: String,
    /// Stored styles to learn, in order (empty: all of them).
    #[config(default = "Vec::new()")]
    pub styles: Vec<usize>,
    /// Style images, for an arbitrary-style teacher: one style each.
    #[config(default = "Vec::new()")]
    pub style_images: Vec<String>,
    /// Weight of the mean squared pixel difference to the teacher's output
    /// (RGB in `[0, 1]`).
    #[config(default = 10.0)]
    pub pixel_weight: f32,
}

/// A loaded teacher: its network and one style code per taught style. Also
/// how a student is compared with its teacher: both run on RGB in `[0, 1]`
/// whatever their cards' ranges.
///
/// ```no_run
/// # use burn::prelude::*;
/// use bevy_gan_style_runtime::prelude::*;
/// use bevy_gan_style_train::{Teacher, TeacherConfig};
/// let device = Default::default();
/// let config = TeacherConfig::new("assets/models/multistyle26.style.ron".into()).with_styles(vec![7]);
/// let teacher = Teacher::<CpuBackend>::load(&config, &device)?;
/// let photo = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 0.5, &device);
/// let painted = teacher.forward(photo, &[0]);
/// # Ok::<(), bevy_gan_style_train::TrainError>(())
/// ```
pub struct Teacher<B: Backend> {
    net: StyleNet<B>,
    codes: Vec<Tensor<B, 2>>,
    names: Vec<String>,
    input_range: (f32, f32),
    output_range: (f32, f32),
}

impl<B: StageBackend> Teacher<B> {
    /// Loads the teacher's card and weights and its taught styles' codes.
    pub fn load(config: &TeacherConfig, device: &B::Device) -> Result<Self, TrainError> {
        let model = StyleModel::load_file(&config.card)?;
        let card = model.card().clone();
        let net = model.build::<B>(device)?;
        let stem = |path: &str| {
            Path::new(path)
                .file_stem()
                .map_or_else(|| path.to_string(), |s| s.to_string_lossy().into_owned())
        };
        let (codes, names) = if card.takes_style_image() {
            if config.style_images.is_empty() {
                return Err(TrainError::Invalid(format!(
                    "{} takes its style from pictures: give the teacher style images",
                    card.name
                )));
            }
            let mut codes = Vec::new();
            for path in &config.style_images {
                let image = open_image(path).map_err(|source| TrainError::Image {
                    path: path.into(),
                    source,
                })?;
                let vector = net
                    .predict_style_image(&image, device)
                    .map_err(bevy_gan_style_runtime::model::ModelError::from)?;
                codes.push(vector.tensor());
            }
            let names = config.style_images.iter().map(|p| stem(p)).collect();
            (codes, names)
        } else {
            let count = model.num_styles();
            let styles: Vec<usize> = if config.styles.is_empty() {
                (0..count).collect()
            } else {
                config.styles.clone()
            };
            let mut codes = Vec::new();
            let mut names = Vec::new();
            for &style in &styles {
                codes.push(model.style_tensor::<B>(&StyleWeights::single(style), device)?);
                names.push(
                    card.styles
                        .get(style)
                        .cloned()
                        .unwrap_or_else(|| format!("{} {style}", card.name)),
                );
            }
            (codes, names)
        };
        Ok(Self {
            net,
            codes,
            names,
            input_range: card.input_range,
            output_range: card.output_range,
        })
    }

    /// Styles taught.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// Whether it teaches no style (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The network, for its multiply-accumulates.
    pub fn net(&self) -> &StyleNet<B> {
        &self.net
    }

    /// Their names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The teacher's output (RGB in `[0, 1]`) for `content` (RGB in
    /// `[0, 1]`), image `i` in taught style `picks[i]`.
    pub fn forward(&self, content: Tensor<B, 4>, picks: &[usize]) -> Tensor<B, 4> {
        let code = Tensor::cat(picks.iter().map(|&p| self.codes[p].clone()).collect(), 0);
        let ((in_lo, in_hi), (out_lo, out_hi)) = (self.input_range, self.output_range);
        let input = content.mul_scalar(in_hi - in_lo).add_scalar(in_lo);
        self.net
            .forward(input, code)
            .sub_scalar(out_lo)
            .div_scalar(out_hi - out_lo)
            .clamp(0.0, 1.0)
    }
}
