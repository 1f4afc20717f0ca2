//! The GPU adapter, for benchmark headers.

use bevy::render::renderer::RenderAdapterInfo;

/// `name, driver (driver info), backend` of an adapter.
pub fn describe(info: &RenderAdapterInfo) -> String {
    format!(
        "{}, driver {} ({}), {:?}",
        info.name, info.driver, info.driver_info, info.backend
    )
}
