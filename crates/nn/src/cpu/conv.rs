//! 2D convolution for every network of the crate ([`conv2d`]): on burn's
//! CPU backend (`Flex`, f32), forward and, under `Autodiff`, both
//! gradients run the crate's im2col + GEMM kernels; everything else runs
//! burn's `conv2d`.
//!
//! burn-flex 0.21 computes a convolution's gradients with burn's generic
//! fallbacks (a transposed convolution, and a convolution whose kernel is
//! the whole output), 2–19× slower than PyTorch's on the thin, full-size
//! layers of the style networks (BENCHMARKS.md). The backend is chosen at
//! run time by type, so networks stay generic over `Backend`.

use std::any::TypeId;

use burn::backend::Flex;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::ops::PaddedConvOptions;
use burn::tensor::{DType, TensorPrimitive};
use burn_flex::FlexTensor;

use super::gemm_conv::{self, Edge, Geometry};
use super::tensors::{flex, same, values};

/// burn's `conv2d` (same arguments, same result within float rounding),
/// on the crate's faster kernels where the backend is burn's CPU backend
/// (with or without `Autodiff`), the data f32 and the convolution neither
/// grouped nor dilated.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use burn::tensor::ops::ConvOptions;
/// let device = Default::default();
/// let x = Tensor::<CpuBackend, 4>::ones([1, 2, 5, 5], &device);
/// let weight = Tensor::ones([4, 2, 3, 3], &device);
/// let y = bevy_gan_style_nn::conv2d(x, weight, None, ConvOptions::new([1, 1], [1, 1], [1, 1], 1));
/// assert_eq!(y.dims(), [1, 4, 5, 5]);
/// // The centre sees all 2 · 3 · 3 ones, a corner 2 · 2 · 2.
/// assert_eq!(y.clone().slice([0..1, 0..1, 2..3, 2..3]).into_scalar(), 18.0);
/// assert_eq!(y.slice([0..1, 0..1, 0..1, 0..1]).into_scalar(), 8.0);
/// ```
pub fn conv2d<B: Backend>(
    x: Tensor<B, 4>,
    weight: Tensor<B, 4>,
    bias: Option<Tensor<B, 1>>,
    options: impl Into<PaddedConvOptions<2>>,
) -> Tensor<B, 4> {
    let options = options.into();
    let Some(geometry) = geometry(&x, &weight, bias.as_ref(), &options) else {
        return burn::tensor::module::conv2d(x, weight, bias, options);
    };
    if TypeId::of::<B>() == TypeId::of::<Flex>() {
        let (x, weight, bias): (Tensor<Flex, 4>, Tensor<Flex, 4>, Option<Tensor<Flex, 1>>) =
            same((x, weight, bias));
        let y = flex_conv(
            x.into_primitive().tensor(),
            weight.into_primitive().tensor(),
            bias.map(|bias| bias.into_primitive().tensor()),
            &geometry,
        );
        return same(Tensor::<Flex, 4>::from_primitive(TensorPrimitive::Float(y)));
    }
    #[cfg(feature = "autodiff")]
    if TypeId::of::<B>() == TypeId::of::<super::tensors::Train>() {
        return same(tracked::conv2d(same((x, weight, bias)), geometry));
    }
    burn::tensor::module::conv2d(x, weight, bias, options)
}

/// A burn `Conv2d` module's forward pass through [`conv2d`].
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use burn::nn::conv::Conv2dConfig;
/// let device = Default::default();
/// let conv = Conv2dConfig::new([3, 8], [3, 3]).init::<CpuBackend>(&device);
/// let x = Tensor::<CpuBackend, 4>::ones([1, 3, 6, 6], &device);
/// let y = bevy_gan_style_nn::conv2d_module(&conv, x.clone());
/// assert_eq!(y.dims(), [1, 8, 4, 4]);
/// y.into_data().assert_approx_eq::<f32>(&conv.forward(x).into_data(), Default::default());
/// ```
pub fn conv2d_module<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let (start, end) = match conv.padding {
        PaddingConfig2d::Valid => ([0, 0], [0, 0]),
        PaddingConfig2d::Explicit(top, left, bottom, right) => ([top, left], [bottom, right]),
        // `Same` depends on the input's size: burn's module works it out.
        PaddingConfig2d::Same => return conv.forward(x),
    };
    let options =
        PaddedConvOptions::asymmetric(conv.stride, start, end, conv.dilation, conv.groups);
    conv2d(
        x,
        conv.weight.val(),
        conv.bias.as_ref().map(|bias| bias.val()),
        options,
    )
}

/// The convolution's geometry where the crate's kernels take it: f32,
/// not grouped, not dilated, sizes that agree.
fn geometry<B: Backend>(
    x: &Tensor<B, 4>,
    weight: &Tensor<B, 4>,
    bias: Option<&Tensor<B, 1>>,
    options: &PaddedConvOptions<2>,
) -> Option<Geometry> {
    let f32s = x.dtype() == DType::F32
        && weight.dtype() == DType::F32
        && bias.is_none_or(|bias| bias.dtype() == DType::F32);
    let conv = &options.options;
    if !f32s || conv.groups != 1 || conv.dilation != [1, 1] || conv.stride.contains(&0) {
        return None;
    }
    let [batch, channels_in, h, w] = x.dims();
    let [channels_out, weight_in, kh, kw] = weight.dims();
    let bias_ok = bias.is_none_or(|bias| bias.dims() == [channels_out]);
    if weight_in != channels_in || !bias_ok {
        return None;
    }
    let start = conv.padding;
    let end = options.padding_end.unwrap_or(start);
    let side = |axis: usize, size: usize, kernel: usize| {
        let padded = size + start[axis] + end[axis];
        (padded >= kernel && kernel > 0).then(|| (padded - kernel) / conv.stride[axis] + 1)
    };
    Some(Geometry {
        batch,
        channels_in,
        input: [h, w],
        channels_out,
        kernel: [kh, kw],
        stride: conv.stride,
        offset: [-(start[0] as isize), -(start[1] as isize)],
        output: [side(0, h, kh)?, side(1, w, kw)?],
        edge: Edge::Zero,
        upsample: 1,
    })
}

fn flex_conv(
    x: FlexTensor,
    weight: FlexTensor,
    bias: Option<FlexTensor>,
    g: &Geometry,
) -> FlexTensor {
    let (x, weight, bias) = (values(&x), values(&weight), bias.map(|bias| values(&bias)));
    let y = gemm_conv::forward(
        x.storage(),
        weight.storage(),
        bias.as_ref().map(|bias| bias.storage()),
        g,
    );
    flex(y, [g.batch, g.channels_out, g.output[0], g.output[1]])
}

/// The convolution under burn's autodiff: the crate's kernels forward, and
/// its own backward step with both gradients on the same kernels.
#[cfg(feature = "autodiff")]
mod tracked {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::tensor::{Shape, TensorData};

    use super::*;
    use crate::cpu::tensors::Train;

    #[derive(Debug)]
    struct GemmConv;

    impl<const N: usize> Backward<Flex, N> for GemmConv {
        /// The input, the weight and the geometry.
        type State = (FlexTensor, FlexTensor, Geometry);

        fn backward(self, ops: Ops<Self::State, N>, grads: &mut Gradients, _: &mut Checkpointer) {
            let grad = values(&grads.consume::<Flex>(&ops.node));
            let (x, weight, g) = ops.state;
            let mut parents = ops.parents.into_iter();
            if let Some(node) = parents.next().flatten() {
                let dx = gemm_conv::input_gradient(grad.storage(), weight.storage(), &g);
                let shape = [g.batch, g.channels_in, g.input[0], g.input[1]];
                grads.register::<Flex>(node.id, flex(dx, shape));
            }
            if let Some(node) = parents.next().flatten() {
                let dw = gemm_conv::weight_gradient(x.storage(), grad.storage(), &g);
                let shape = [g.channels_out, g.channels_in, g.kernel[0], g.kernel[1]];
                grads.register::<Flex>(node.id, flex(dw, shape));
            }
            if let Some(node) = parents.next().flatten() {
                let db = gemm_conv::bias_gradient(grad.storage(), &g);
                let db = FlexTensor::from_data(TensorData::new(db, Shape::new([g.channels_out])));
                grads.register::<Flex>(node.id, db);
            }
        }
    }

    pub(super) fn conv2d(
        (x, weight, bias): (Tensor<Train, 4>, Tensor<Train, 4>, Option<Tensor<Train, 1>>),
        g: Geometry,
    ) -> Tensor<Train, 4> {
        let x = x.into_primitive().tensor();
        let weight = weight.into_primitive().tensor();
        let bias = bias.map(|bias| bias.into_primitive().tensor());
        let state = (values(&x.primitive), values(&weight.primitive), g);
        let forward =
            |bias: Option<FlexTensor>| flex_conv(state.0.clone(), state.1.clone(), bias, &g);
        let y = match bias {
            Some(bias) => {
                let nodes = [x.node.clone(), weight.node.clone(), bias.node.clone()];
                match GemmConv
                    .prepare::<NoCheckpointing>(nodes)
                    .compute_bound()
                    .stateful()
                {
                    OpsKind::Tracked(prep) => {
                        prep.finish(state.clone(), forward(Some(bias.primitive)))
                    }
                    OpsKind::UnTracked(prep) => prep.finish(forward(Some(bias.primitive))),
                }
            }
            None => {
                let nodes = [x.node.clone(), weight.node.clone()];
                match GemmConv
                    .prepare::<NoCheckpointing>(nodes)
                    .compute_bound()
                    .stateful()
                {
                    OpsKind::Tracked(prep) => prep.finish(state.clone(), forward(None)),
                    OpsKind::UnTracked(prep) => prep.finish(forward(None)),
                }
            }
        };
        Tensor::from_primitive(TensorPrimitive::Float(y))
    }
}
