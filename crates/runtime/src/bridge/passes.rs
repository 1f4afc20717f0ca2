//! Bevy textures ↔ burn tensors on the GPU, with no CPU copy in between.
//!
//! Each direction is one command buffer: a raw copy between the texture and
//! a staging [`TexelBuffer`], and a compute pass between the staging buffer
//! and the tensor's own storage in burn's memory pool. Raw copies keep
//! 8-bit values exact (no hardware sRGB conversion is involved).
//!
//! # Ordering on the shared queue
//!
//! burn (cubecl) and Bevy submit to the same `wgpu::Queue`, and a queue runs
//! submissions in order. cubecl records kernels into its own command encoder
//! and submits it when it flushes, so "in order" only holds for work that
//! has actually been submitted. Both directions therefore flush burn first:
//!
//! * **texture → tensor**: burn allocates the tensor; we flush burn (so any
//!   earlier kernel that still reads the recycled memory is queued ahead of
//!   us) and submit our copy + compute pass. Every burn kernel that reads the
//!   tensor is recorded later, hence submitted later, hence runs after it.
//!   The texture's own content must already be submitted.
//! * **tensor → texture**: we flush burn (so the kernels that produce the
//!   tensor are queued) and submit our compute pass + copy. The tensor's
//!   memory is held until our submission is queued; any later reuse by burn
//!   is submitted, and so runs, after our read.

use std::sync::Mutex;

use bevy::ecs::system::SystemParam;
use bevy::math::UVec2;
use bevy::prelude::*;
use bevy::render::render_resource::{BindGroupEntries, PipelineCache};
use bevy::render::renderer::{RenderDevice, RenderQueue};
use burn::tensor::Tensor;

use super::bindings::{Bound, TensorPassBindings, write_uniform};
use super::error::BridgeError;
use super::pipeline::BridgePipelines;
use super::tensor::BoundTensor;
use super::texels::{TexelBuffer, TexelKind};
use super::view::TensorView;
use crate::device::{BurnDevice, GpuBackend};

/// Copies between Bevy textures and burn tensors on Bevy's render device: a
/// system parameter of the render world (added by
/// [`TensorBridgePlugin`](super::TensorBridgePlugin)).
///
/// ```no_run
/// # use bevy::prelude::*;
/// use bevy::render::render_asset::RenderAssets;
/// use bevy::render::texture::GpuImage;
/// use bevy_gan_style_runtime::bridge::TensorBridge;
/// /// Inverts an image's colours with burn, in the render world.
/// fn invert(bridge: TensorBridge, images: Res<RenderAssets<GpuImage>>, target: Res<Target>) {
///     let Some(image) = images.get(&target.0) else { return };
///     let Ok(x) = bridge.texture_to_tensor(&image.texture, (0.0, 1.0)) else { return };
///     let _ = bridge.tensor_to_texture(x.neg().add_scalar(1.0), (0.0, 1.0), &image.texture);
/// }
/// # #[derive(Resource)] struct Target(Handle<Image>);
/// ```
#[derive(SystemParam)]
pub struct TensorBridge<'w> {
    pipelines: Option<Res<'w, BridgePipelines>>,
    cache: Res<'w, PipelineCache>,
    device: Res<'w, RenderDevice>,
    queue: Res<'w, RenderQueue>,
    burn: Option<Res<'w, BurnDevice>>,
}

/// Which pass.
#[derive(Clone, Copy)]
enum Pass {
    ToTensor = 0,
    ToTexels = 1,
}

impl TensorBridge<'_> {
    /// `true` once the pipelines are compiled (a few frames after start-up).
    pub fn is_ready(&self) -> bool {
        self.pipelines.as_ref().is_some_and(|p| {
            self.cache.get_compute_pipeline(p.to_tensor).is_some()
                && self.cache.get_compute_pipeline(p.to_texels).is_some()
        })
    }

    /// Copies the RGB channels of `texture` into a new `[1, 3, H, W]` tensor
    /// on the shared device, mapping `[0, 1]` onto `range` (the network's
    /// input range). 8-bit textures yield their stored values `k / 255` (for
    /// sRGB formats: the sRGB-encoded values), `Rgba16Float` textures
    /// (linear) are encoded to sRGB. The texture needs `COPY_SRC` usage.
    pub fn texture_to_tensor(
        &self,
        texture: &wgpu::Texture,
        range: (f32, f32),
    ) -> Result<Tensor<GpuBackend, 4>, BridgeError> {
        let kind = TexelKind::checked(texture, wgpu::TextureUsages::COPY_SRC)?;
        let Some(BurnDevice::Gpu(burn)) = self.burn.as_deref() else {
            return Err(BridgeError::NoGpu);
        };
        let size = UVec2::new(texture.width(), texture.height());
        let tensor = BoundTensor::empty(size, burn)?;
        let staging = self.staging(Pass::ToTensor, size, kind);
        let mut encoder = self.encoder();
        staging.copy_from(&mut encoder, texture, UVec2::ZERO);
        self.with_kept_bindings(Pass::ToTensor, |bindings| {
            self.encode_to_tensor(&mut encoder, &staging, &tensor, range, bindings)
        })?;
        // See the module docs: burn's recorded work first, then ours.
        tensor.flush_burn()?;
        self.queue.submit([encoder.finish()]);
        self.keep_staging(Pass::ToTensor, staging);
        Ok(tensor.into_tensor())
    }

    /// Writes `tensor` (`[1, 3, H, W]`, values in `range`, the network's
    /// output range) into `texture`, which must be `W × H` with `COPY_DST`
    /// usage. 8-bit textures receive the values as bytes (for sRGB formats:
    /// the network's sRGB output as encoded values), `Rgba16Float` textures
    /// the linear colours. Returns the queue submission, for callers that
    /// want to wait for it.
    pub fn tensor_to_texture(
        &self,
        tensor: Tensor<GpuBackend, 4>,
        range: (f32, f32),
        texture: &wgpu::Texture,
    ) -> Result<wgpu::SubmissionIndex, BridgeError> {
        let kind = TexelKind::checked(texture, wgpu::TextureUsages::COPY_DST)?;
        let size = UVec2::new(texture.width(), texture.height());
        let dims = tensor.dims();
        if dims != [1, 3, size.y as usize, size.x as usize] {
            return Err(BridgeError::Shape {
                tensor: dims.to_vec(),
                width: size.x,
                height: size.y,
            });
        }
        let tensor = BoundTensor::new(tensor)?;
        let staging = self.staging(Pass::ToTexels, size, kind);
        let mut encoder = self.encoder();
        self.with_kept_bindings(Pass::ToTexels, |bindings| {
            self.encode_from_tensor(&mut encoder, &tensor, &staging, range, bindings)
        })?;
        staging.copy_to(&mut encoder, texture, UVec2::ZERO);
        tensor.flush_burn()?;
        let submission = self.queue.submit([encoder.finish()]);
        self.keep_staging(Pass::ToTexels, staging);
        drop(tensor);
        Ok(submission)
    }

    /// Records the texels → tensor pass into `encoder`: `tensor` receives
    /// `texels` with `[0, 1]` mapped onto `range`, box-filtered when the
    /// tensor is smaller than the image (exact at equal sizes). Submit
    /// `encoder` after [`BoundTensor::flush_burn`] and before burn runs
    /// anything on the tensor.
    pub fn encode_to_tensor(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        texels: &TexelBuffer,
        tensor: &BoundTensor,
        range: (f32, f32),
        bindings: &mut TensorPassBindings,
    ) -> Result<(), BridgeError> {
        let view = TensorView::new(tensor, texels, TensorView::into_range(range));
        let buffers = (&**texels.buffer(), tensor.buffer());
        self.dispatch(encoder, Pass::ToTensor, buffers, view, bindings)
    }

    /// Records the tensor → texels pass into `encoder`: `texels` receive the
    /// top-left `texels.size()` pixels of `tensor` (at least as large), its
    /// `range` mapped onto `[0, 1]`. [`BoundTensor::new`] has flushed burn's
    /// work on the tensor, so the pass runs after it.
    pub fn encode_from_tensor(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        tensor: &BoundTensor,
        texels: &TexelBuffer,
        range: (f32, f32),
        bindings: &mut TensorPassBindings,
    ) -> Result<(), BridgeError> {
        let view = TensorView::new(tensor, texels, TensorView::from_range(range));
        let buffers = (tensor.buffer(), &**texels.buffer());
        self.dispatch(encoder, Pass::ToTexels, buffers, view, bindings)
    }

    /// Records `pass` from `input` into `output` (`(input, output)`), the
    /// uniform `view` and bind group kept in `bindings`.
    fn dispatch(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        pass: Pass,
        (input, output): (&wgpu::Buffer, &wgpu::Buffer),
        view: TensorView,
        bindings: &mut TensorPassBindings,
    ) -> Result<(), BridgeError> {
        let pipelines = self.pipelines.as_ref().ok_or(BridgeError::NotReady)?;
        let id = match pass {
            Pass::ToTensor => pipelines.to_tensor,
            Pass::ToTexels => pipelines.to_texels,
        };
        let pipeline = self
            .cache
            .get_compute_pipeline(id)
            .ok_or(BridgeError::NotReady)?;
        let size = match pass {
            Pass::ToTensor => view.tensor_size,
            Pass::ToTexels => view.image_size,
        };
        let uniform = write_uniform(&mut bindings.view, view, (&self.device, &self.queue))?.clone();
        let key = vec![
            Bound::buffer(input),
            Bound::buffer(output),
            Bound::buffer(&uniform),
        ];
        let bind_group = bindings.group.get_or_make(key, || {
            self.device.create_bind_group(
                "gan_style bridge",
                &self.cache.get_bind_group_layout(&pipelines.layout),
                &BindGroupEntries::sequential((
                    input.as_entire_binding(),
                    output.as_entire_binding(),
                    uniform.as_entire_binding(),
                )),
            )
        });
        dispatch_2d(encoder, "gan_style bridge", pipeline, bind_group, size);
        Ok(())
    }

    /// Runs `f` with the bindings the bridge keeps for `pass` between the
    /// calls of its one-shot conversions.
    fn with_kept_bindings<R>(&self, pass: Pass, f: impl FnOnce(&mut TensorPassBindings) -> R) -> R {
        match &self.pipelines {
            Some(pipelines) => f(&mut lock(&pipelines.bindings[pass as usize])),
            None => f(&mut TensorPassBindings::default()),
        }
    }

    fn encoder(&self) -> wgpu::CommandEncoder {
        self.device
            .wgpu_device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("gan_style bridge"),
            })
    }

    /// The staging buffer of `pass` for a `size` image of `kind`.
    fn staging(&self, pass: Pass, size: UVec2, kind: TexelKind) -> TexelBuffer {
        let label = "gan_style bridge staging";
        match self
            .pipelines
            .as_ref()
            .and_then(|p| lock(&p.staging[pass as usize]).take())
        {
            Some(buffer) => buffer.reshaped(&self.device, label, size, kind),
            None => TexelBuffer::new(&self.device, label, size, kind),
        }
    }

    fn keep_staging(&self, pass: Pass, buffer: TexelBuffer) {
        if let Some(pipelines) = &self.pipelines {
            *lock(&pipelines.staging[pass as usize]) = Some(buffer);
        }
    }
}

/// Records a compute pass running `pipeline` with `bind_group` over a `size`
/// grid, one invocation per pixel in 8×8 workgroups (the `@workgroup_size`
/// of every pass of the crate).
pub fn dispatch_2d(
    encoder: &mut wgpu::CommandEncoder,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    bind_group: &wgpu::BindGroup,
    size: UVec2,
) {
    let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
        label: Some(label),
        timestamp_writes: None,
    });
    pass.set_pipeline(pipeline);
    pass.set_bind_group(0, bind_group, &[]);
    pass.dispatch_workgroups(size.x.div_ceil(8), size.y.div_ceil(8), 1);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
