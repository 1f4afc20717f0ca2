//! Inception-v3 against torchvision: pool features of formula weights
//! (`tests/data/inception_reference.py`; pretrained weights cannot be
//! shipped) and reading a PyTorch state dict.

use bevy_gan_style::nn::{Draw, INCEPTION_FEATURES, InceptionV3, SplitMix64, WeightsError};
use bevy_gan_style::prelude::*;
use burn::prelude::*;
use burn_store::ModuleSnapshot;
use safetensors::{Dtype, tensor::TensorView};

use crate::util::{read_tensors, root};

/// torchvision's name of a burn parameter of [`InceptionV3`].
fn torch_name(burn: &str) -> String {
    let (head, rest) = burn.split_once('.').expect("a nested parameter");
    let mut head: Vec<char> = head.chars().collect();
    head[0] = head[0].to_ascii_uppercase();
    let rest = rest
        .replace("bn.gamma", "bn.weight")
        .replace("bn.beta", "bn.bias");
    format!("{}.{rest}", head.into_iter().collect::<String>())
}

fn fnv1a(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01B3)
    })
}

/// The reference script's formula for tensor `name`.
fn formula(name: &str, shape: &[usize]) -> Vec<f32> {
    let (lo, hi) = if name.ends_with("conv.weight") {
        let fan_in: usize = shape[1..].iter().product();
        let a = (6.0 / fan_in as f64).sqrt() as f32;
        (-a, a)
    } else if name.ends_with("bn.weight") || name.ends_with("running_var") {
        (0.5, 1.5)
    } else {
        (-0.2, 0.2)
    };
    let mut rng = SplitMix64::seeded(fnv1a(name));
    (0..shape.iter().product::<usize>())
        .map(|_| rng.range(lo, hi))
        .collect()
}

#[test]
fn inception_v3_matches_torchvision() {
    let device = Default::default();
    // Formula weights under torchvision's names, read through the loader.
    let blank = InceptionV3::<CpuBackend>::new(&device);
    let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = blank
        .collect(None, None, false)
        .into_iter()
        .map(|snapshot| {
            let name = torch_name(&snapshot.full_path());
            let shape = snapshot.shape.to_vec();
            let bytes = formula(&name, &shape)
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            (name, shape, bytes)
        })
        .collect();
    assert_eq!(
        tensors.len(),
        94 * 5,
        "94 convolutions, each with a batch norm"
    );
    let views = tensors.iter().map(|(name, shape, bytes)| {
        let view = TensorView::new(Dtype::F32, shape.clone(), bytes).expect("sized view");
        (name.clone(), view)
    });
    let file = std::env::temp_dir().join("bevy_gan_style_inception_formula.safetensors");
    std::fs::write(
        &file,
        safetensors::serialize(views, None).expect("serialised"),
    )
    .expect("temporary file");
    let net = InceptionV3::<CpuBackend>::load(&file, &device).expect("formula weights load");
    let _ = std::fs::remove_file(&file);

    let reference = read_tensors(&root().join("tests/data/inception_reference.safetensors"));
    let (shape, input) = &reference["input"];
    let input =
        Tensor::<CpuBackend, 4>::from_data(TensorData::new(input.clone(), shape.clone()), &device);
    let pool: Vec<f32> = net.pool_features(input).into_data().to_vec().expect("f32");
    let expected = &reference["pool"];
    assert_eq!(expected.0, [2, INCEPTION_FEATURES]);
    let scale = expected.1.iter().fold(0f32, |m, v| m.max(v.abs()));
    let worst = pool
        .iter()
        .zip(&expected.1)
        .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
    println!("Inception-v3 pool features: max |Δ| {worst:.2e} of max |value| {scale:.2}");
    assert!(worst <= 1e-4 * scale, "max |Δ| {worst} vs torchvision");
}

/// `tests/data/inception_stem.pth` (`torch.save`) holds the stem
/// convolution and batch norm, an auxiliary-classifier tensor and `fc.bias`:
/// loading it names every other tensor, under burn's names, and nothing of
/// the stem (so batch-norm `weight` / `bias` became `gamma` / `beta`).
#[test]
fn inception_v3_reads_pytorch_state_dicts() {
    let path = root().join("tests/data/inception_stem.pth");
    let error = InceptionV3::<CpuBackend>::load(&path, &Default::default())
        .expect_err("all but the stem is missing");
    let WeightsError::Missing(names) = error else {
        panic!("expected missing tensors, got: {error}");
    };
    assert_eq!(names.len(), 93 * 5, "{names:?}");
    assert!(names.iter().all(|n| !n.starts_with("conv2d_1a_3x3")));
    assert!(names.contains(&"mixed_7c.branch_pool.bn.gamma".to_string()));
}
