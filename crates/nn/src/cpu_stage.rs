//! Convolution stages on burn's CPU backend (how [`StageBackend`](super::StageBackend)
//! runs them on `Flex`): the reflection padding and the ×2 upsampling read
//! through the convolution's addressing, then the instance norm, the
//! activation and the residual add in one pass over each channel. burn's
//! ops take an upsampled copy, a padded copy and about ten passes over the
//! data for the same. Stages with a style map (regional norms) run burn's
//! ops.

use burn::backend::Flex;
use burn::prelude::*;
use burn::tensor::{DType, TensorPrimitive};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::cpu::{Geometry, flex, forward, values};
use super::ops::BlockActivation;
use super::stage::{ConvStage, Skip, StagePost};

/// Runs `stages` in order on `x`, with their residual connections.
pub(crate) fn run_stages(stages: &[ConvStage<Flex>], x: Tensor<Flex, 4>) -> Tensor<Flex, 4> {
    let mut saved = None;
    stages.iter().fold(x, |x, stage| {
        if stage.skip == Skip::Save {
            saved = Some(x.clone());
        }
        let residual = match stage.skip {
            Skip::Add => saved.take(),
            _ => None,
        };
        match Fused::new(stage, &x, residual.as_ref()) {
            Some(fused) => fused.run(stage, x, residual),
            None => {
                let y = stage.forward_plain(x);
                match residual {
                    Some(input) => input + y,
                    None => y,
                }
            }
        }
    })
}

/// A stage the fused path takes: f32 data, no style map, sizes that agree.
struct Fused {
    geometry: Geometry,
}

impl Fused {
    fn new(
        stage: &ConvStage<Flex>,
        x: &Tensor<Flex, 4>,
        residual: Option<&Tensor<Flex, 4>>,
    ) -> Option<Self> {
        let [cout, cin, kernel, _] = stage.weight.dims();
        let f32s = x.dtype() == DType::F32 && stage.weight.dtype() == DType::F32;
        if !f32s || cin != x.dims()[1] || matches!(stage.post, StagePost::MappedNorm { .. }) {
            return None;
        }
        let upsample = if stage.upsample { 2 } else { 1 };
        let geometry = Geometry::reflect(x.dims(), [cout, kernel], stage.stride, upsample)?;
        let [oh, ow] = geometry.output;
        let output = [geometry.batch, cout, oh, ow];
        let channels = |t: &Tensor<Flex, 4>| t.dims()[1] == cout && t.dims()[2..] == [1, 1];
        let post_ok = match &stage.post {
            StagePost::Bias(bias) => bias.dims() == [cout],
            StagePost::Norm { scale, shift, .. } => channels(scale) && channels(shift),
            _ => true,
        };
        let residual_ok = residual.is_none_or(|r| r.dims() == output);
        (post_ok && residual_ok).then_some(Self { geometry })
    }

    fn run(
        self,
        stage: &ConvStage<Flex>,
        x: Tensor<Flex, 4>,
        residual: Option<Tensor<Flex, 4>>,
    ) -> Tensor<Flex, 4> {
        let g = self.geometry;
        let primitive = |t: Tensor<Flex, 4>| values(&t.into_primitive().tensor());
        let x = primitive(x);
        let weight = primitive(stage.weight.clone());
        let bias = match &stage.post {
            StagePost::Bias(bias) => Some(values(&bias.clone().into_primitive().tensor())),
            _ => None,
        };
        let mut y = forward(
            x.storage(),
            weight.storage(),
            bias.as_ref().map(FlexTensor::storage),
            &g,
        );
        let norm = match &stage.post {
            StagePost::Norm {
                scale,
                shift,
                epsilon,
            } => Some((primitive(scale.clone()), primitive(shift.clone()), *epsilon)),
            _ => None,
        };
        let residual = residual.map(primitive);
        let plane = g.output[0] * g.output[1];
        let activation = stage.activation;
        if plane > 0 {
            y.par_chunks_mut(plane).enumerate().for_each(|(i, values)| {
                if let Some((scale, shift, epsilon)) = &norm {
                    // `[1, C, 1, 1]` rows serve every image.
                    let at = |t: &FlexTensor| t.storage::<f32>()[i % t.storage::<f32>().len()];
                    normalise(values, at(scale), at(shift), *epsilon);
                }
                activate(values, activation);
                if let Some(residual) = &residual {
                    let input = &residual.storage::<f32>()[i * plane..(i + 1) * plane];
                    values.iter_mut().zip(input).for_each(|(v, r)| *v += r);
                }
            });
        }
        let y = flex(y, [g.batch, g.channels_out, g.output[0], g.output[1]]);
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }
}

/// Instance norm of one channel (biased variance, as `nn::instance_norm`),
/// then `scale` and `shift`.
fn normalise(values: &mut [f32], scale: f32, shift: f32, epsilon: f64) {
    let count = values.len() as f64;
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / count;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / count;
    let a = scale as f64 / (var + epsilon).sqrt();
    let (a, b) = (a as f32, (shift as f64 - mean * a) as f32);
    values.iter_mut().for_each(|v| *v = *v * a + b);
}

fn activate(values: &mut [f32], activation: BlockActivation) {
    match activation {
        BlockActivation::Relu => values.iter_mut().for_each(|v| *v = v.max(0.0)),
        BlockActivation::Sigmoid => values
            .iter_mut()
            .for_each(|v| *v = 1.0 / (1.0 + (-*v).exp())),
        BlockActivation::Identity => {}
    }
}
