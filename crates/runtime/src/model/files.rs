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
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    });
    if written.is_err() {
        // A full disk or a bad folder: leave neither a partial temporary
        // file nor anything in place of `path`'s old contents.
        let _ = std::fs::remove_file(&temp);
    }
    written.map_err(error)
}

/// Reads a file a user named (a card, weights), refusing before reading
/// what is not a regular file (a folder, a device such as `/dev/zero`, which
/// would never end) or is larger than `limit` bytes.
pub(crate) fn read_regular_file(path: &Path, limit: u64) -> Result<Vec<u8>, ModelError> {
    let error = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(error)?;
    if !metadata.is_file() {
        return Err(error(std::io::Error::other("not a regular file")));
    }
    if metadata.len() > limit {
        return Err(error(std::io::Error::other(format!(
            "{} MiB, over the {} MiB a model file may have",
            metadata.len() >> 20,
            limit >> 20
        ))));
    }
    std::fs::read(path).map_err(error)
}

/// Encodes `image` in the format `path`'s extension names (PNG, JPEG, …)
/// and writes it with [`write_atomic`], creating its folder: `path` is the
/// old file or the complete new picture, never a truncated one.
///
/// ```
/// use bevy_gan_style_runtime::model::save_image;
/// let path = std::env::temp_dir().join("bevy_gan_style_save_image.png");
/// save_image(&image::RgbImage::new(4, 4).into(), &path).unwrap();
/// assert_eq!(image::open(&path).unwrap().width(), 4);
/// ```
pub fn save_image(image: &image::DynamicImage, path: &Path) -> Result<(), ModelError> {
    let error = |source| ModelError::Write {
        path: path.to_path_buf(),
        source,
    };
    let format = image::ImageFormat::from_path(path)
        .map_err(|e| error(std::io::Error::other(format!("picture format: {e}"))))?;
    let mut bytes = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut bytes), format)
        .map_err(|e| error(std::io::Error::other(e)))?;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    write_atomic(path, &bytes)
}
