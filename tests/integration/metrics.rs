//! The texture metrics: FID and KID against numpy, FID against the closed
//! form for two Gaussians, and the texture judge on an exemplar's own crops.

use bevy_gan_style::bridge::image_to_tensor;
use bevy_gan_style::eval::{Features, TextureJudge, frechet_distance, kernel_distance};
use bevy_gan_style::prelude::*;
use burn::prelude::*;

use crate::util::{read_tensors, root};

fn features(
    tensors: &std::collections::HashMap<String, (Vec<usize>, Vec<f32>)>,
    name: &str,
) -> Features {
    let (shape, values) = &tensors[name];
    Features::new(
        shape[0],
        shape[1],
        values.iter().map(|&v| v as f64).collect(),
    )
    .expect("[rows, dim]")
}

fn close(got: f64, expected: f64, relative: f64) -> bool {
    (got - expected).abs() <= relative * expected.abs().max(1e-12)
}

#[test]
fn fid_and_kid_match_numpy_and_the_closed_form() {
    let reference = read_tensors(&root().join("tests/data/metrics_reference.safetensors"));
    let (a, b) = (features(&reference, "a"), features(&reference, "b"));
    let fid = frechet_distance(&a, &b).expect("same dimension");
    let kid = kernel_distance(&a, &b).expect("same dimension");
    let (fid_np, kid_np) = (reference["fid"].1[0] as f64, reference["kid"].1[0] as f64);
    println!("FID {fid} (numpy {fid_np}), KID {kid} (numpy {kid_np})");
    assert!(close(fid, fid_np, 1e-5), "FID {fid} vs numpy {fid_np}");
    assert!(close(kid, kid_np, 1e-5), "KID {kid} vs numpy {kid_np}");

    let same = frechet_distance(&a, &a).expect("same dimension");
    assert!(same.abs() < 1e-9, "FID of a set with itself: {same}");

    let (ga, gb) = (
        features(&reference, "gauss_a"),
        features(&reference, "gauss_b"),
    );
    let gauss = frechet_distance(&ga, &gb).expect("same dimension");
    let closed = reference["gauss_fid"].1[0] as f64;
    println!("FID of the two Gaussians {gauss} (closed form {closed})");
    // The samples are stored as f32, which moves their moments by ~1e-8.
    assert!(
        close(gauss, closed, 1e-6),
        "FID {gauss} vs closed form {closed}"
    );

    let short = Features::new(3, 5, vec![0.0; 15]).expect("3 × 5");
    assert_eq!(frechet_distance(&a, &short), None, "6 vs 5 dimensions");
    let single = Features::new(1, 6, vec![0.0; 6]).expect("1 × 6");
    assert_eq!(kernel_distance(&a, &single), None, "KID needs two samples");
}

#[test]
fn the_texture_judge_scores_an_exemplar_against_itself_as_zero() {
    let device = Default::default();
    let judge = TextureJudge::<CpuBackend>::load(
        &root().join("assets/training/vgg16_features.safetensors"),
        &root().join("assets/training/lpips_vgg_lin.safetensors"),
        &device,
    )
    .expect("shipped weights");
    let exemplar = image::open(root().join("assets/textures/exemplars/herringbone_bricks.jpg"))
        .expect("shipped exemplar")
        .resize_exact(64, 64, image::imageops::FilterType::Triangle)
        .to_rgba8();
    let exemplar = image_to_tensor::<CpuBackend>(&exemplar, (0.0, 1.0), &device);
    let reference = judge.reference(std::slice::from_ref(&exemplar), 32, 6, 1);
    assert_eq!(reference.crops.dims(), [6, 3, 32, 32]);

    // The crops judged against themselves.
    let own = judge.judge(reference.crops.clone(), &reference);
    println!("crops against themselves: {own:?}");
    assert!(own.fid.iter().all(|f| f.abs() < 1e-6), "{:?}", own.fid);
    assert_eq!(own.fid.len(), judge.pooled_names().len());
    assert_eq!(own.diversity, reference.diversity);
    assert!(
        reference.diversity > 0.05,
        "crops of bricks differ: {}",
        reference.diversity
    );
    assert!((own.diversity_ratio() - 1.0).abs() < 1e-12);

    // The exemplar is its own SIFID reference; flat grey is far from it.
    let sifid_self = judge.sifid(exemplar.clone(), &reference);
    let grey = Tensor::<CpuBackend, 4>::full([1, 3, 64, 64], 0.5, &device);
    let sifid_grey = judge.sifid(grey.clone(), &reference);
    println!("SIFID exemplar {sifid_self}, grey {sifid_grey}");
    assert!(sifid_self.abs() < 1e-6 && sifid_grey > 1.0);

    // Copies of one image have no diversity; they are far from the crops.
    let copies = grey
        .clone()
        .narrow(2, 0, 32)
        .narrow(3, 0, 32)
        .repeat_dim(0, 6);
    let flat = judge.judge(copies, &reference);
    println!("grey copies: {flat:?}");
    assert_eq!(flat.diversity, 0.0);
    assert!(flat.kid[1] > own.kid[1] && flat.fid[1] > 1.0 && flat.gram > own.gram);

    // Against two exemplars each image is judged by the nearer one: the
    // exemplar and the grey square both score 0, as does either alone.
    let pair = judge.reference(&[exemplar.clone(), grey.clone()], 32, 6, 1);
    let both = Tensor::cat(vec![exemplar, grey], 0);
    let sifid_pair = judge.sifid(both.clone(), &pair);
    let gram_pair = judge.judge(both, &pair).gram;
    println!("exemplar and grey against both: SIFID {sifid_pair}, Gram {gram_pair}");
    assert!(sifid_pair.abs() < 1e-6 && gram_pair.abs() < 1e-9);
    // Crops come from both in turn: every other crop is flat grey.
    let odd = pair.crops.clone().narrow(0, 1, 1);
    let spread: f32 = (odd.clone().max() - odd.min()).into_scalar();
    assert!(spread < 1e-6, "crop 1 comes from the grey exemplar");
}
