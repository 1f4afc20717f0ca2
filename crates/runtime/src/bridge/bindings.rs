//! Pass resources kept from frame to frame (one set per pass and view): a
//! uniform buffer rewritten in place, and a bind group made again only
//! when a buffer or view it binds changes (burn hands out pooled buffers,
//! views are resized).

use bevy::render::render_resource::encase::internal::WriteInto;
use bevy::render::render_resource::{BindGroup, Buffer, ShaderType, UniformBuffer};
use bevy::render::renderer::{RenderDevice, RenderQueue};

use super::error::BridgeError;
use super::view::TensorView;

/// One resource a bind group binds, compared by identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bound {
    /// A buffer.
    Buffer(wgpu::Buffer),
    /// A texture view.
    View(wgpu::TextureView),
}

impl Bound {
    /// `buffer`, by identity.
    pub fn buffer(buffer: &wgpu::Buffer) -> Self {
        Self::Buffer(buffer.clone())
    }

    /// `view`, by identity.
    pub fn view(view: &wgpu::TextureView) -> Self {
        Self::View(view.clone())
    }
}

/// A bind group kept between frames, remade when what it binds changes.
///
/// ```no_run
/// # use bevy::render::render_resource::{BindGroup, BindGroupEntries, BindGroupLayout};
/// # use bevy::render::renderer::RenderDevice;
/// use bevy_gan_style_runtime::bridge::{Bound, CachedBindGroup};
/// # fn pass(cached: &mut CachedBindGroup, device: &RenderDevice, layout: &BindGroupLayout, data: &wgpu::Buffer) {
/// let group: &BindGroup = cached.get_or_make(vec![Bound::buffer(data)], || {
///     device.create_bind_group("my pass", layout, &BindGroupEntries::single(data.as_entire_binding()))
/// });
/// # }
/// ```
#[derive(Default)]
pub struct CachedBindGroup(Option<(Vec<Bound>, BindGroup)>);

impl CachedBindGroup {
    /// The bind group of `key`'s resources: the kept one when they are the
    /// same as last time, else a new one from `make`.
    pub fn get_or_make(&mut self, key: Vec<Bound>, make: impl FnOnce() -> BindGroup) -> &BindGroup {
        if self.0.as_ref().is_some_and(|(kept, _)| *kept != key) {
            self.0 = None;
        }
        &self.0.get_or_insert_with(|| (key, make())).1
    }
}

/// Writes `value` into `uniform` (its buffer made on first use, then
/// rewritten in place through the queue) and returns the buffer.
pub fn write_uniform<'a, T: ShaderType + WriteInto>(
    uniform: &'a mut UniformBuffer<T>,
    value: T,
    (device, queue): (&RenderDevice, &RenderQueue),
) -> Result<&'a Buffer, BridgeError> {
    uniform.set(value);
    uniform.write_buffer(device, queue);
    uniform
        .buffer()
        .ok_or_else(|| BridgeError::Runtime("a uniform buffer was not created".into()))
}

/// The uniform and bind group of one tensor ↔ texels pass, kept between
/// frames (one per pass and view; see
/// [`TensorBridge::encode_to_tensor`](super::TensorBridge::encode_to_tensor)).
#[derive(Default)]
pub struct TensorPassBindings {
    pub(super) view: UniformBuffer<TensorView>,
    pub(super) group: CachedBindGroup,
}
