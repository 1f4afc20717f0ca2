//! A burn GPU tensor located in burn's memory pool, so that the crate's own
//! compute passes can bind it.

use bevy::math::UVec2;
use burn::backend::wgpu::{WgpuDevice, WgpuResource, WgpuRuntime};
use burn::tensor::{Tensor, TensorPrimitive};
use burn_cubecl::tensor::CubeTensor;
use cubecl_runtime::storage::ManagedResource;

use super::error::BridgeError;
use crate::device::GpuBackend;

/// A `[1, 3, H, W]` float tensor of [`GpuBackend`] and its place in burn's
/// memory pool: bind [`Self::buffer`] whole in a compute pass and address
/// the tensor with a [`TensorView`](super::TensorView) (element offset and
/// strides, which need not be contiguous).
///
/// Holding it keeps the memory from being reused: drop it only after the
/// submission that uses it is queued. burn and Bevy share one queue, and
/// burn submits its recorded kernels only when it flushes, so call
/// [`Self::flush_burn`] before submitting work that reads what burn wrote
/// (or writes what burn will read).
pub struct BoundTensor {
    tensor: CubeTensor<WgpuRuntime>,
    managed: ManagedResource<WgpuResource>,
}

impl BoundTensor {
    /// Locates `tensor`.
    pub fn new(tensor: Tensor<GpuBackend, 4>) -> Result<Self, BridgeError> {
        let tensor: CubeTensor<WgpuRuntime> = tensor.into_primitive().tensor();
        let managed = tensor
            .client
            .get_resource(tensor.handle.clone())
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))?;
        Ok(Self { tensor, managed })
    }

    /// A new, uninitialised `[1, 3, size.y, size.x]` tensor on `device`, for
    /// a pass to fill.
    pub fn empty(size: UVec2, device: &WgpuDevice) -> Result<Self, BridgeError> {
        Self::new(Tensor::empty(
            [1, 3, size.y as usize, size.x as usize],
            device,
        ))
    }

    /// The pooled buffer holding the tensor (bind it whole: no
    /// storage-offset alignment applies).
    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.managed.resource().buffer
    }

    /// Element offset of the tensor in [`Self::buffer`].
    pub fn offset(&self) -> u32 {
        (self.managed.resource().offset / 4) as u32
    }

    /// Element strides `[n, c, h, w]`.
    pub fn strides(&self) -> [u32; 4] {
        let s = self.tensor.meta.strides();
        [s[0] as u32, s[1] as u32, s[2] as u32, s[3] as u32]
    }

    /// `[N, C, H, W]`.
    pub fn dims(&self) -> [usize; 4] {
        let d = self.tensor.meta.shape();
        [d[0], d[1], d[2], d[3]]
    }

    /// Width and height.
    pub fn size(&self) -> UVec2 {
        let [_, _, h, w] = self.dims();
        UVec2::new(w as u32, h as u32)
    }

    /// Submits burn's recorded kernels, so that work submitted next runs
    /// after them.
    pub fn flush_burn(&self) -> Result<(), BridgeError> {
        self.tensor
            .client
            .flush()
            .map_err(|e| BridgeError::Runtime(format!("{e:?}")))
    }

    /// The tensor, for burn (the binding is released).
    pub fn into_tensor(self) -> Tensor<GpuBackend, 4> {
        Tensor::from_primitive(TensorPrimitive::Float(self.tensor))
    }
}
