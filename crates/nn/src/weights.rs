//! Loading weights by name from safetensors (or a PyTorch state dict) into
//! any burn module.

use std::path::Path;

use burn::prelude::*;
use burn_store::{ApplyError, ModuleSnapshot, PytorchStore, SafetensorsStore};
use safetensors::tensor::TensorView;
use safetensors::{Dtype, SafeTensors};
use thiserror::Error;

/// Why a weights file does not fit a network.
#[derive(Debug, Error)]
pub enum WeightsError {
    /// The bytes are not a readable safetensors file (e.g. truncated).
    #[error("not a readable safetensors file: {0}")]
    Format(String),
    /// A tensor is stored with an element type other than `f32`.
    #[error("tensor `{name}` is stored as {dtype}, only F32 weights are supported")]
    Dtype {
        /// Tensor name.
        name: String,
        /// Stored element type.
        dtype: String,
    },
    /// A tensor has a different shape than the architecture needs.
    #[error("tensor `{name}` has shape {found:?}, but the architecture expects {expected:?}")]
    Shape {
        /// Tensor name.
        name: String,
        /// Shape the module expects.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// Tensors the architecture needs are not in the file.
    #[error("the weights lack {} tensor(s) the architecture needs: {}", .0.len(), .0.join(", "))]
    Missing(Vec<String>),
    /// The file holds tensors the architecture has no place for.
    #[error("the weights hold {} tensor(s) the architecture has no place for: {}", .0.len(), .0.join(", "))]
    Unused(Vec<String>),
    /// A tensor holds NaN or infinite values (a broken export or file).
    #[error("tensor `{0}` holds NaN or infinite values")]
    NotFinite(String),
    /// Any other per-tensor failure.
    #[error("tensor `{name}`: {message}")]
    Tensor {
        /// Tensor name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Loads every parameter of `module` from safetensors `bytes`, matching by
/// module path (e.g. `res.0.1.norm.gamma`). Every parameter must be present
/// with its exact shape and every tensor in the file must be used.
///
/// ```no_run
/// # use burn::backend::Flex as CpuBackend;
/// # use bevy_gan_style_nn::{MultiStyleConfig, load_safetensors};
/// let net = MultiStyleConfig::new(26, [32, 32, 32], 6, [8, 4]).init::<CpuBackend>(&Default::default());
/// let bytes = std::fs::read("assets/models/multistyle26.safetensors").unwrap();
/// let net = load_safetensors(net, bytes).expect("weights match the architecture");
/// ```
pub fn load_safetensors<B: Backend, M: Module<B>>(
    mut module: M,
    bytes: Vec<u8>,
) -> Result<M, WeightsError> {
    // Parse the header ourselves first: precise errors for truncated files
    // and unsupported element types before any tensor is materialised.
    {
        let file =
            SafeTensors::deserialize(&bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
        let mut names = file.names();
        names.sort();
        for name in names {
            let view = file
                .tensor(name)
                .map_err(|e| WeightsError::Format(e.to_string()))?;
            if view.dtype() != Dtype::F32 {
                return Err(WeightsError::Dtype {
                    name: name.to_string(),
                    dtype: format!("{:?}", view.dtype()),
                });
            }
            let finite = view
                .data()
                .chunks_exact(4)
                .all(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]).is_finite());
            if !finite {
                return Err(WeightsError::NotFinite(name.to_string()));
            }
        }
    }

    let mut store = SafetensorsStore::from_bytes(Some(bytes))
        .validate(false)
        .allow_partial(true);
    let result = module
        .load_from(&mut store)
        .map_err(|e| WeightsError::Format(e.to_string()))?;

    if let Some(error) = result.errors.into_iter().next() {
        return Err(match error {
            ApplyError::ShapeMismatch {
                path,
                expected,
                found,
            } => WeightsError::Shape {
                name: path,
                expected: expected.to_vec(),
                found: found.to_vec(),
            },
            ApplyError::DTypeMismatch { path, found, .. } => WeightsError::Dtype {
                name: path,
                dtype: format!("{found:?}"),
            },
            ApplyError::AdapterError { path, message }
            | ApplyError::LoadError { path, message } => WeightsError::Tensor {
                name: path,
                message,
            },
        });
    }
    if !result.missing.is_empty() {
        let mut names: Vec<String> = result.missing.into_iter().map(|(path, _)| path).collect();
        names.sort();
        return Err(WeightsError::Missing(names));
    }
    if !result.unused.is_empty() {
        let mut names = result.unused;
        names.sort();
        return Err(WeightsError::Unused(names));
    }
    Ok(module)
}

/// Whether `path` names a PyTorch state dict (`.pth` / `.pt`).
pub(crate) fn is_pytorch_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pth") || e.eq_ignore_ascii_case("pt"))
}

/// The bytes of a weights file; a read failure names the file.
pub(crate) fn read_weights(path: &Path) -> Result<Vec<u8>, WeightsError> {
    std::fs::read(path).map_err(|e| WeightsError::Format(format!("{}: {e}", path.display())))
}

/// Loads `module` from the PyTorch state dict at `path` through the store
/// `select` sets up (which tensors, under which names). Tensors the module
/// has no place for are ignored (classifiers, auxiliary heads); every
/// parameter it has must be found.
pub(crate) fn load_pytorch<B: Backend, M: Module<B>>(
    mut module: M,
    path: &Path,
    select: impl FnOnce(PytorchStore) -> PytorchStore,
) -> Result<M, WeightsError> {
    std::fs::metadata(path)
        .map_err(|e| WeightsError::Format(format!("{}: {e}", path.display())))?;
    let mut store = select(PytorchStore::from_file(path)).allow_partial(true);
    let result = module
        .load_from(&mut store)
        .map_err(|e| WeightsError::Format(e.to_string()))?;
    if !result.missing.is_empty() {
        let names = result.missing.into_iter().map(|(path, _)| path).collect();
        return Err(WeightsError::Missing(names));
    }
    Ok(module)
}

/// Re-encodes safetensors `bytes` as f32 (from f32, f16 or bf16), keeping
/// the tensors `rename` gives a name and renaming them: how weights stored
/// at half size or under another framework's names reach
/// [`load_safetensors`].
///
/// ```
/// # use bevy_gan_style_nn::to_f32_safetensors;
/// use safetensors::{Dtype, SafeTensors, tensor::TensorView};
/// let half = [half::f16::from_f32(1.5).to_le_bytes(), half::f16::from_f32(-2.0).to_le_bytes()].concat();
/// let file = safetensors::serialize([("a.w", TensorView::new(Dtype::F16, vec![2], &half).unwrap())], None).unwrap();
/// let f32_file = to_f32_safetensors(&file, |name| Some(name.replace("a.", "b."))).unwrap();
/// let read = SafeTensors::deserialize(&f32_file).unwrap();
/// assert_eq!(read.tensor("b.w").unwrap().data(), [1.5f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat());
/// ```
pub fn to_f32_safetensors(
    bytes: &[u8],
    rename: impl Fn(&str) -> Option<String>,
) -> Result<Vec<u8>, WeightsError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| WeightsError::Format(e.to_string()))?;
    let mut converted = Vec::new();
    for (name, view) in file.tensors() {
        let Some(new_name) = rename(&name) else {
            continue;
        };
        let data = view.data();
        let values: Vec<f32> = match view.dtype() {
            Dtype::F32 => data
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => data
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => data
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            other => {
                return Err(WeightsError::Dtype {
                    name,
                    dtype: format!("{other:?}"),
                });
            }
        };
        converted.push((new_name, view.shape().to_vec(), values));
    }
    serialize_f32(&converted)
}

/// A safetensors file of f32 tensors given as `(name, shape, values)`.
pub(crate) fn serialize_f32(
    tensors: &[(String, Vec<usize>, Vec<f32>)],
) -> Result<Vec<u8>, WeightsError> {
    let views = tensors
        .iter()
        .map(|(name, shape, values)| {
            TensorView::new(Dtype::F32, shape.clone(), bytemuck::cast_slice(values))
                .map(|view| (name.clone(), view))
                .map_err(|e| WeightsError::Format(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    safetensors::serialize(views, None).map_err(|e| WeightsError::Format(e.to_string()))
}
