//! Launching one of the WGSL kernels beside this module in burn's stream: burn's
//! `SourceKernel` with the crate's sources and placeholders.

use burn::backend::wgpu::{KernelSource, SourceKernel, SourceTemplate, WgpuRuntime};
use burn::tensor::DType;
use burn_cubecl::cubecl::prelude::{ComputeClient, CubeCount, CubeDim, KernelId};
use cubecl_runtime::server::{KernelArguments, MetadataBindingInfo};

use super::gpu_stage::GpuTensor;

/// A kernel: WGSL sources joined in order, placeholders filled, and the
/// workgroup size its `main` declares.
pub(super) struct Wgsl {
    /// Name, for kernel caching with `values`.
    pub name: &'static str,
    pub sources: Vec<&'static str>,
    /// `{{placeholder}}` values.
    pub values: Vec<(&'static str, u32)>,
    /// `{{placeholder}}` texts (types, directives).
    pub texts: Vec<(&'static str, String)>,
    /// `{{placeholder}}` lines generated from `values` (so not part of the
    /// kernel's identity).
    pub generated: &'static [(&'static str, String)],
    pub workgroup: [u32; 3],
}

impl KernelSource for Wgsl {
    fn source(&self) -> SourceTemplate {
        let mut sources = self.sources.iter();
        let first = sources.next().copied().unwrap_or_default();
        let template = sources.fold(SourceTemplate::new(first), |template, source| {
            template.add_template(*source)
        });
        let texts = self.texts.iter().chain(self.generated);
        let template = texts.fold(template, |template, (name, text)| {
            template.register(*name, text.clone())
        });
        self.values
            .iter()
            .fold(template, |template, (name, value)| {
                template.register(*name, value.to_string())
            })
    }

    fn id(&self) -> KernelId {
        KernelId::new::<Self>()
            .info((self.name, self.values.clone(), self.texts.clone()))
            .cube_dim(self.cube_dim())
    }
}

impl Wgsl {
    fn cube_dim(&self) -> CubeDim {
        let [x, y, z] = self.workgroup;
        CubeDim::new_3d(x, y, z)
    }

    /// Queues the kernel on `client`'s stream with `tensors` bound in
    /// order (contiguous, batch-free views) and `params` (u32 words, also
    /// f32 bits) as the uniform after them.
    pub fn launch(
        self,
        client: &ComputeClient<WgpuRuntime>,
        groups: [u32; 3],
        tensors: &[&GpuTensor],
        params: [u32; 4],
    ) {
        let cube_dim = self.cube_dim();
        let words = params
            .chunks(2)
            .map(|pair| u64::from(pair[0]) | (u64::from(pair[1]) << 32))
            .collect();
        let arguments = KernelArguments::new()
            .with_buffers(
                tensors
                    .iter()
                    .map(|tensor| tensor.handle.clone().binding())
                    .collect(),
            )
            .with_info(MetadataBindingInfo::custom(words));
        let [x, y, z] = groups;
        client.launch(
            Box::new(SourceKernel::new(self, cube_dim)),
            CubeCount::Static(x, y, z),
            arguments,
        );
    }
}

/// The `{{float}}` and `{{enable}}` placeholder values for activations of
/// `dtype` (f16 or f32).
pub(super) fn float_values(dtype: DType) -> [(&'static str, String); 2] {
    let (float, enable) = if dtype == DType::F16 {
        ("f16", "enable f16;")
    } else {
        ("f32", "")
    };
    [("float", float.into()), ("enable", enable.into())]
}

/// The WGSL file `<name>` beside this module, embedded.
macro_rules! shader {
    ($name:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/src/kernels/", $name))
    };
}
pub(super) use shader;
