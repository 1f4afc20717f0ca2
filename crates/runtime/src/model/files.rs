//! Crash-safe files: every file the crate writes (model weights and cards,
//! training checkpoints and reports) goes through a temporary name and a
//! rename, so an interrupted write never leaves a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::ModelError;

/// Writes `bytes` to `path` through a temporary file in the same folder and
/// a rename, so that `path` is either the old file or the complete new one.
///
/// ```
/// use bevy_gan_style_runtime::model::write_atomic;
/// let path = std::env::temp_dir().join("bevy_gan_style_write_atomic.txt");
/// write_atomic(&path, b"complete").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"complete");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ModelError> {
    let error = |source| ModelError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut temp = path.as_os_str().to_owned();
    temp.push(".tmp");
    let temp = PathBuf::from(temp);
    let mut file = std::fs::File::create(&temp).map_err(error)?;
    file.write_all(bytes).map_err(error)?;
    file.sync_all().map_err(error)?;
    std::fs::rename(&temp, path).map_err(error)
}
