//! Steering the style: a style map paints two styles in one pass (CPU
//! backend, the GPU kernels on lavapipe, the `stylize` CLI), layer-wise
//! mixing, and colour preservation.

use std::process::Command;

use bevy_gan_style::bridge::image_to_tensor;
use bevy_gan_style::model::StyleNet;
use bevy_gan_style::nn::{LayerStyles, StyleCondition, chroma};
use bevy_gan_style::prelude::*;
use burn::prelude::*;

use crate::example_binary::example_binary;
use crate::util::{Gpu, root};

const A: usize = 5;
const B: usize = 18;
/// Columns left out on each side of the mask's edge when a half is
/// compared (the networks' receptive field spans the edge).
const MARGIN: usize = 24;

fn multistyle26() -> StyleModel {
    StyleModel::load_file(root().join("assets/models/multistyle26.style.ron"))
        .expect("bundled model")
}

fn photo<Bk: Backend>(device: &Bk::Device) -> Tensor<Bk, 4> {
    let image = image::open(root().join("assets/images/chelsea_256x168.png"))
        .expect("bundled photo")
        .to_rgba8();
    image_to_tensor::<Bk>(&image, (0.0, 1.0), device)
}

/// 0 on the left half, 1 on the right, `[1, 1, H, W]`.
fn half_mask<Bk: Backend>(height: usize, width: usize, device: &Bk::Device) -> Tensor<Bk, 4> {
    Tensor::cat(
        vec![
            Tensor::zeros([1, 1, height, width / 2], device),
            Tensor::ones([1, 1, height, width - width / 2], device),
        ],
        3,
    )
}

/// Mean absolute difference of `x` and `y` over the columns `columns`.
fn mean_diff<Bk: Backend>(
    x: &Tensor<Bk, 4>,
    y: &Tensor<Bk, 4>,
    columns: std::ops::Range<usize>,
) -> f32 {
    let cut = |t: &Tensor<Bk, 4>| t.clone().narrow(3, columns.start, columns.len());
    (cut(x) - cut(y))
        .abs()
        .mean()
        .into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .expect("f32")[0]
}

/// How close each half of the mapped output is to its own style's output,
/// against the other's: `[(left to A, left to B), (right to B, right to A)]`.
fn halves<Bk: Backend>(
    mapped: &Tensor<Bk, 4>,
    a: &Tensor<Bk, 4>,
    b: &Tensor<Bk, 4>,
) -> [(f32, f32); 2] {
    let [_, _, _, width] = mapped.dims();
    let left = 0..width / 2 - MARGIN;
    let right = width / 2 + MARGIN..width;
    [
        (
            mean_diff(mapped, a, left.clone()),
            mean_diff(mapped, b, left),
        ),
        (
            mean_diff(mapped, b, right.clone()),
            mean_diff(mapped, a, right),
        ),
    ]
}

fn assert_halves(label: &str, [(left_own, left_other), (right_own, right_other)]: [(f32, f32); 2]) {
    println!(
        "{label}: left half to style A {left_own:.4} (to B {left_other:.4}), right half to style B {right_own:.4} (to A {right_other:.4})"
    );
    assert!(
        left_own * 3.0 < left_other,
        "{label}: the left half is not clearly style A"
    );
    assert!(
        right_own * 3.0 < right_other,
        "{label}: the right half is not clearly style B"
    );
}

/// Style A, style B and the half-and-half map of multistyle26 on the cat.
fn two_styles_and_map<Bk: StageBackend>(device: &Bk::Device) -> [Tensor<Bk, 4>; 3] {
    let model = multistyle26();
    let net = model.build::<Bk>(device).expect("weights");
    let row = |index| {
        model
            .style_tensor::<Bk>(&StyleWeights::single(index), device)
            .expect("style")
    };
    let x = photo::<Bk>(device);
    let [_, _, height, width] = x.dims();
    let mapped = LayerStyles::uniform(StyleCondition::two(
        row(A),
        row(B),
        half_mask(height, width, device),
    ));
    [
        net.forward(x.clone(), row(A)),
        net.forward(x.clone(), row(B)),
        net.forward_layered(x, &mapped, Precision::F32),
    ]
}

#[test]
fn a_half_mask_paints_each_half_in_its_own_style() {
    let [a, b, mapped] = two_styles_and_map::<CpuBackend>(&Default::default());
    assert_halves("CPU multistyle26", halves(&mapped, &a, &b));

    let gpu = Gpu::new();
    let [a_gpu, b_gpu, mapped_gpu] = two_styles_and_map::<GpuBackend>(&gpu.burn);
    assert_halves("lavapipe multistyle26", halves(&mapped_gpu, &a_gpu, &b_gpu));
    // The kernels' per-pixel mix against burn's ops on the CPU.
    let values = |t: Tensor<GpuBackend, 4>| t.into_data().to_vec::<f32>().expect("f32");
    let cpu: Vec<f32> = mapped.into_data().to_vec().expect("f32");
    let difference = crate::util::max_abs_diff(&values(mapped_gpu), &cpu);
    println!("mapped output, kernels on the GPU vs CPU: max abs difference {difference:.2e}");
    assert!(difference < 2e-3, "GPU vs CPU {difference}");
}

#[test]
fn style_vectors_mix_per_pixel_in_the_arbitrary_model() {
    let device = Default::default();
    let model = StyleModel::load_file(root().join("assets/models/magenta_arbitrary.style.ron"))
        .expect("bundled model");
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let vector = |painting: &str| {
        let image = image::open(root().join("assets/styles").join(painting)).expect("painting");
        net.predict_style_image(&image, &device)
            .expect("predictor")
            .tensor()
    };
    let (a, b) = (vector("starry_night.jpg"), vector("the_scream.jpg"));
    let x = photo::<CpuBackend>(&device);
    let [_, _, height, width] = x.dims();
    let StyleNet::Arbitrary(arbitrary) = &net else {
        panic!("magenta_arbitrary is an arbitrary-style network");
    };
    let mapped = arbitrary.transformer.forward_layered(
        x.clone(),
        &LayerStyles::uniform(StyleCondition::two(
            a.clone(),
            b.clone(),
            half_mask(height, width, &device),
        )),
        Precision::F32,
    );
    let out_a = net.forward(x.clone(), a);
    let out_b = net.forward(x, b);
    assert_halves("CPU magenta_arbitrary", halves(&mapped, &out_a, &out_b));
}

#[test]
fn uniform_maps_and_layer_mixes_of_one_style_are_that_style() {
    let device = Default::default();
    let model = multistyle26();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let style = |index| StyleWeights::single(index);
    let row = |weights: &StyleWeights| model.style_tensor::<CpuBackend>(weights, &device);
    let x = photo::<CpuBackend>(&device);
    let [_, _, height, width] = x.dims();
    let plain = net.forward(x.clone(), row(&style(A)).expect("style"));

    // Every part in style A, through the layer mix.
    let mix = LayerMix {
        encoder: Some(style(A)),
        residual: Some(style(A)),
        decoder: Some(style(A)),
    };
    let layered = mix.layer_styles(&style(B), None, row).expect("styles");
    let mixed = net.forward_layered(x.clone(), &layered, Precision::F32);
    let values = |t: Tensor<CpuBackend, 4>| t.into_data().to_vec::<f32>().expect("f32");
    assert_eq!(
        values(mixed),
        values(plain.clone()),
        "all-A layer mix is style A"
    );

    // A map that is A everywhere (the per-pixel path).
    let all_a = Tensor::zeros([1, 1, height, width], &device);
    let mapped = LayerMix::default()
        .layer_styles(&style(A), Some(MapStyles::mask(&style(B), all_a)), row)
        .expect("styles");
    let mapped = net.forward_layered(x.clone(), &mapped, Precision::F32);
    let difference = crate::util::max_abs_diff(&values(mapped), &values(plain.clone()));
    println!("all-A style map vs style A: max abs difference {difference:.2e}");
    assert!(difference < 1e-5, "all-A map {difference}");

    // Mixing layers really changes the picture: decoder in style B.
    let decoder_b = LayerMix {
        decoder: Some(style(B)),
        ..Default::default()
    }
    .layer_styles(&style(A), None, row)
    .expect("styles");
    let changed = net.forward_layered(x, &decoder_b, Precision::F32);
    let moved = (changed - plain).abs().mean().into_scalar();
    println!("decoder in style B: mean change {moved:.4}");
    assert!(moved > 0.01, "the decoder's style has no effect");
}

#[test]
fn luminance_transfer_keeps_the_content_chroma() {
    let device = Default::default();
    let model = multistyle26();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let x = photo::<CpuBackend>(&device);
    let y = net.forward(
        x.clone(),
        model
            .style_tensor(&StyleWeights::single(A), &device)
            .expect("style"),
    );
    let card = model.card();
    let chroma_error = |output: Tensor<CpuBackend, 4>| {
        (chroma(output) - chroma(x.clone()))
            .abs()
            .mean()
            .into_scalar()
    };
    let before = chroma_error(y.clone());
    let luminance = card.preserve_color(x.clone(), y.clone(), ColorPreservation::Luminance);
    let after = chroma_error(luminance.clone());
    let statistics = chroma_error(card.preserve_color(x.clone(), y, ColorPreservation::Statistics));
    println!(
        "mean chroma difference to the photo: stylized {before:.4}, luminance-only {after:.5}, statistics matched {statistics:.4}"
    );
    // Only clamping at 0 and 1 moves the chroma.
    assert!(
        after < 0.002,
        "luminance transfer changed the chroma: {after}"
    );
    assert!(
        statistics < before,
        "statistics matching moved away from the photo's colours"
    );
}

/// The `stylize` binary that `cargo test` builds beside the test binary.
#[test]
fn stylize_paints_two_styles_through_a_mask() {
    let dir = std::env::temp_dir().join(format!("gan_style_mask_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // A mask of another size than the photo: it is resized.
    let mask =
        image::GrayImage::from_fn(64, 42, |x, _| image::Luma([if x < 32 { 0 } else { 255 }]));
    mask.save(dir.join("mask.png")).expect("mask written");
    let run = |name: &str, extra: &[&str]| -> Tensor<CpuBackend, 4> {
        let output = dir.join(name);
        let status = Command::new(example_binary("stylize"))
            .arg("--model")
            .arg(root().join("assets/models/multistyle26.style.ron"))
            .arg("--input")
            .arg(root().join("assets/images/chelsea_256x168.png"))
            .args(["--runs", "0", "--gpu", "--output"])
            .arg(&output)
            .args(extra)
            .status()
            .expect("stylize runs");
        assert!(status.success(), "stylize {extra:?} failed");
        let image = image::open(&output).expect("output PNG").to_rgba8();
        image_to_tensor::<CpuBackend>(&image, (0.0, 1.0), &Default::default())
    };
    let (a, b) = (A.to_string(), B.to_string());
    let only_a = run("a.png", &["--style", &a]);
    let only_b = run("b.png", &["--style", &b]);
    let mask_path = dir.join("mask.png");
    let mask_arg = mask_path.to_str().expect("utf-8 path");
    let mapped = run(
        "mapped.png",
        &["--style", &a, "--style-b", &b, "--mask", mask_arg],
    );
    assert_halves("stylize CLI", halves(&mapped, &only_a, &only_b));
    // A second style without a mask is refused with a message.
    let refused = Command::new(example_binary("stylize"))
        .args(["--style-b", &b])
        .output()
        .expect("stylize runs");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--mask"));
    std::fs::remove_dir_all(&dir).ok();
}

/// multistyle26 on the CPU backend as a steered camera runs it: `mix` and
/// the optional style map (`mask` stretched over the frame), then `color`.
fn cpu_steered(
    frame: &image::RgbaImage,
    main: &StyleWeights,
    mix: &LayerMix,
    region: Option<(&StyleWeights, &image::GrayImage)>,
    color: ColorPreservation,
) -> image::RgbaImage {
    let device = Default::default();
    let model = multistyle26();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let card = model.card();
    let x = image_to_tensor::<CpuBackend>(frame, card.input_range, &device);
    let region = region.map(|(style, mask)| {
        let (w, h) = mask.dimensions();
        let values: Vec<f32> = mask.pixels().map(|p| f32::from(p.0[0]) / 255.0).collect();
        let tensor = Tensor::from_data(
            TensorData::new(values, [1, 1, h as usize, w as usize]),
            &device,
        );
        MapStyles::mask(style, tensor)
    });
    let styles = mix
        .layer_styles(main, region, |weights| {
            model.style_tensor::<CpuBackend>(weights, &device)
        })
        .expect("styles");
    let y = net.forward_layered(x.clone(), &styles, Precision::F32);
    let y = card.preserve_color(x, y, color);
    image::DynamicImage::from(bevy_gan_style::bridge::tensor_to_image(
        y,
        card.output_range,
    ))
    .to_rgba8()
}

/// The camera paints style B where a mask image is white, mixes styles per
/// layer and keeps the frame's colours, each as the CPU network does.
#[test]
fn a_steered_camera_matches_the_cpu_network() {
    use bevy::asset::RenderAssetUsages;
    use bevy::prelude::{Assets, Image};
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

    use crate::camera::Scene;
    use crate::reference::difference;

    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    // A half mask of its own size and format (8-bit grey).
    let mask =
        image::GrayImage::from_fn(64, 48, |x, _| image::Luma([if x < 32 { 0 } else { 255 }]));
    let mask_image = Image::new(
        Extent3d {
            width: 64,
            height: 48,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        mask.as_raw().clone(),
        TextureFormat::R8Unorm,
        RenderAssetUsages::all(),
    );
    let handle = scene
        .app
        .world_mut()
        .resource_mut::<Assets<Image>>()
        .add(mask_image);
    let (a, b) = (StyleWeights::single(A), StyleWeights::single(B));
    scene.insert((
        scene.style_transfer(a.clone()),
        StyleMap {
            style: b.clone(),
            source: StyleMapSource::Mask(handle),
        },
    ));
    let mapped = scene.render(3);
    let expected = cpu_steered(
        &plain,
        &a,
        &LayerMix::default(),
        Some((&b, &mask)),
        ColorPreservation::Off,
    );
    let (max, mean) = difference(&mapped, &expected);
    println!("style map on the camera vs CPU network: max {max}, mean {mean:.3} (8-bit levels)");
    assert!(mean < 1.0 && max <= 8, "style map: max {max}, mean {mean}");
    let tensor = |image: &image::RgbaImage| {
        image_to_tensor::<CpuBackend>(image, (0.0, 1.0), &Default::default())
    };
    let none = ColorPreservation::Off;
    let only_a = cpu_steered(&plain, &a, &LayerMix::default(), None, none);
    let only_b = cpu_steered(&plain, &b, &LayerMix::default(), None, none);
    // At 128 pixels the edge margin is a larger share: compare the outer
    // quarters.
    let [_, _, _, width] = tensor(&mapped).dims();
    let quarter = width / 4;
    let (m, ta, tb) = (tensor(&mapped), tensor(&only_a), tensor(&only_b));
    let left = (
        mean_diff(&m, &ta, 0..quarter),
        mean_diff(&m, &tb, 0..quarter),
    );
    let right = (
        mean_diff(&m, &tb, width - quarter..width),
        mean_diff(&m, &ta, width - quarter..width),
    );
    assert_halves("camera style map (outer quarters)", [left, right]);

    // Layer mixing and colour preservation on the camera.
    scene
        .app
        .world_mut()
        .entity_mut(scene.camera)
        .remove::<StyleMap>();
    let mix = LayerMix {
        decoder: Some(b.clone()),
        ..Default::default()
    };
    {
        let mut settings = scene.settings();
        settings.layers = mix.clone();
        settings.preserve_color = ColorPreservation::Luminance;
    }
    let steered = scene.render(2);
    let expected = cpu_steered(&plain, &a, &mix, None, ColorPreservation::Luminance);
    let (max, mean) = difference(&steered, &expected);
    println!(
        "decoder in style B + luminance-only on the camera vs CPU network: max {max}, mean {mean:.3}"
    );
    assert!(
        mean < 1.0 && max <= 8,
        "layer mix + colour: max {max}, mean {mean}"
    );
    assert!(
        difference(&steered, &plain).1 > 5.0,
        "the steered filter left the frame almost unchanged"
    );
    std::fs::create_dir_all(root().join("target/test-output")).ok();
    for (name, image) in [
        ("mapped", &mapped),
        ("steered", &steered),
        ("plain", &plain),
    ] {
        image
            .save(root().join(format!("target/test-output/steering_{name}.png")))
            .ok();
    }
}

/// Two photo walls seen from the origin: a near one (2 m) filling the
/// left half of a 4:3 view, a far one (10 m) behind; with `occluder`, a
/// third photo 1 m away covers the top-left quarter. `region` goes on the
/// near wall.
fn two_walls(
    world: &mut bevy::prelude::World,
    region: Option<StyleRegion>,
    occluder: bool,
) -> bevy::prelude::Transform {
    use bevy::prelude::*;

    // Each just covers its part of the view (45° vertical field of view).
    let mut meshes = world.resource_mut::<Assets<Mesh>>();
    let near = meshes.add(Rectangle::new(1.2, 1.8));
    let far = meshes.add(Rectangle::new(11.2, 8.4));
    let front = meshes.add(Rectangle::new(0.6, 0.45));
    // Photos on the walls, so that the styles have something to paint.
    let mut images = world.resource_mut::<Assets<Image>>();
    let mut photo = |path: &str| {
        let photo = image::open(root().join(path)).expect("bundled photo");
        images.add(Image::from_dynamic(
            photo,
            true,
            bevy::asset::RenderAssetUsages::all(),
        ))
    };
    let textures = [
        photo("assets/images/chelsea_256x168.png"),
        photo("assets/images/content/coffee.png"),
        photo("assets/images/content/flower_flickr.jpg"),
    ];
    let mut materials = world.resource_mut::<Assets<StandardMaterial>>();
    let [cat, coffee, flower] = textures.map(|texture| {
        materials.add(StandardMaterial {
            base_color_texture: Some(texture),
            unlit: true,
            ..default()
        })
    });
    // The walls' edges lie on the view's centre lines.
    let mut near = world.spawn((
        Mesh3d(near),
        MeshMaterial3d(cat),
        Transform::from_xyz(-0.6, 0.0, -2.0),
    ));
    if let Some(region) = region {
        near.insert(region);
    }
    world.spawn((
        Mesh3d(far),
        MeshMaterial3d(coffee),
        Transform::from_xyz(0.0, 0.0, -10.0),
    ));
    if occluder {
        world.spawn((
            Mesh3d(front),
            MeshMaterial3d(flower),
            Transform::from_xyz(-0.3, 0.225, -1.0),
        ));
    }
    Transform::IDENTITY
}

/// A depth band paints style B only beyond it: a near wall fills the left
/// half of the view, a far wall the rest; the band lies between them.
#[test]
fn a_depth_band_paints_style_b_only_beyond_it() {
    use bevy::prelude::*;

    use crate::camera::Scene;
    use crate::reference::difference;

    let (width, height) = (128, 96);
    let mut scene = Scene::with_scene(width, height, false, |world| two_walls(world, None, false));
    let plain = scene.render(4);
    let (a, b) = (StyleWeights::single(A), StyleWeights::single(B));
    scene.insert((
        scene.style_transfer(a.clone()),
        StyleMap {
            style: b.clone(),
            source: StyleMapSource::DepthBand(DepthBand {
                distance: 5.0,
                softness: 2.0,
            }),
        },
    ));
    let banded = scene.render(3);
    std::fs::create_dir_all(root().join("target/test-output")).ok();
    for (name, image) in [("banded", &banded), ("plain", &plain)] {
        image
            .save(root().join(format!("target/test-output/depth_band_{name}.png")))
            .ok();
    }
    // What the band should make of this view: style A on the left half,
    // style B on the right.
    let half = image::GrayImage::from_fn(width, height, |x, _| {
        image::Luma([if x < width / 2 { 0 } else { 255 }])
    });
    let none = ColorPreservation::Off;
    let expected = cpu_steered(&plain, &a, &LayerMix::default(), Some((&b, &half)), none);
    let (max, mean) = difference(&banded, &expected);
    println!("depth band on the camera vs CPU network with a half mask: max {max}, mean {mean:.3}");
    assert!(mean < 1.0 && max <= 8, "depth band: max {max}, mean {mean}");
    let tensor = |image: &image::RgbaImage| {
        image_to_tensor::<CpuBackend>(image, (0.0, 1.0), &Default::default())
    };
    let only_a = cpu_steered(&plain, &a, &LayerMix::default(), None, none);
    let only_b = cpu_steered(&plain, &b, &LayerMix::default(), None, none);
    let quarter = width as usize / 4;
    let (m, ta, tb) = (tensor(&banded), tensor(&only_a), tensor(&only_b));
    let near = (
        mean_diff(&m, &ta, 0..quarter),
        mean_diff(&m, &tb, 0..quarter),
    );
    let far = (
        mean_diff(&m, &tb, width as usize - quarter..width as usize),
        mean_diff(&m, &ta, width as usize - quarter..width as usize),
    );
    println!(
        "depth band: near quarter to style A {:.4} (to B {:.4}), far quarter to style B {:.4} (to A {:.4})",
        near.0, near.1, far.0, far.1
    );
    // Each wall is normalised with its own statistics, the single-style
    // runs with both walls' together (two different photos): closer to its
    // own style, by less than on one photo.
    assert!(
        near.0 * 1.5 < near.1,
        "the near wall is not clearly style A"
    );
    assert!(far.0 * 1.5 < far.1, "the far wall is not clearly style B");
}

/// A `StyleRegion` entity is painted in its style where the camera sees
/// it, and not where something else covers it: the near wall (left half)
/// in style B except under a photo in front of its top half.
#[test]
fn a_style_region_paints_its_entity_where_it_is_seen() {
    use crate::camera::Scene;
    use crate::reference::difference;

    let (width, height) = (128, 96);
    let (a, b) = (StyleWeights::single(A), StyleWeights::single(B));
    let region = StyleRegion::new(b.clone());
    let mut scene = Scene::with_scene(width, height, false, |world| {
        two_walls(world, Some(region), true)
    });
    let plain = scene.render(4);
    scene.insert((scene.style_transfer(a.clone()), StyleRegions::default()));
    let painted = scene.render(4);
    std::fs::create_dir_all(root().join("target/test-output")).ok();
    for (name, image) in [("painted", &painted), ("plain", &plain)] {
        image
            .save(root().join(format!("target/test-output/style_region_{name}.png")))
            .ok();
    }
    // Style B on the bottom-left quarter (the wall's visible part), A
    // elsewhere.
    let quarter = image::GrayImage::from_fn(width, height, |x, y| {
        image::Luma([if x < width / 2 && y >= height / 2 {
            255
        } else {
            0
        }])
    });
    let none = ColorPreservation::Off;
    let expected = cpu_steered(&plain, &a, &LayerMix::default(), Some((&b, &quarter)), none);
    let (max, mean) = difference(&painted, &expected);
    println!(
        "style region on the camera vs CPU network with a quarter mask: max {max}, mean {mean:.3}"
    );
    assert!(
        mean < 1.0 && max <= 8,
        "style region: max {max}, mean {mean}"
    );
    let only_a = cpu_steered(&plain, &a, &LayerMix::default(), None, none);
    assert!(
        difference(&painted, &only_a).1 > 5.0,
        "the region left the camera's style unchanged"
    );
}

/// The feature maps a camera reads back on request are the CPU network's
/// activations of the same layer on the same frame, and its style map is
/// the one the network used.
#[test]
fn feature_maps_read_back_from_the_camera_match_the_cpu_network() {
    use crate::camera::Scene;

    let mut scene = Scene::new(128, 96, false);
    let plain = scene.render(4);
    let a = StyleWeights::single(A);
    // Layer 4: the first residual block's second convolution (32 × 24).
    let layer = 4;
    scene.insert((scene.style_transfer(a.clone()), FeatureMapProbe::new(layer)));
    scene.render(2);
    fn probe(scene: &mut Scene) -> bevy::prelude::Mut<'_, FeatureMapProbe> {
        scene
            .app
            .world_mut()
            .get_mut::<FeatureMapProbe>(scene.camera)
            .expect("probe")
    }
    assert!(probe(&mut scene).take().is_none(), "read back unasked");
    probe(&mut scene).request();
    scene.render(2);
    let maps = probe(&mut scene).take().expect("feature maps read back");

    let device = Default::default();
    let model = multistyle26();
    let net = model.build::<CpuBackend>(&device).expect("weights");
    let x = image_to_tensor::<CpuBackend>(&plain, model.card().input_range, &device);
    let style = model
        .style_tensor::<CpuBackend>(&a, &device)
        .expect("style");
    let styles = LayerStyles::uniform(StyleCondition::Global(style));
    let expected = net
        .activation(x, &styles, Precision::F32, layer)
        .expect("layer in range");
    assert_eq!(
        [maps.channels, maps.height, maps.width],
        [expected.dims()[1], expected.dims()[2], expected.dims()[3]]
    );
    assert_eq!(maps.name, net.layer_names()[layer]);
    // The frame comes along at the network's size, for map overlays.
    assert_eq!(maps.frame.dimensions(), (128, 96));
    let expected = expected.into_data().to_vec::<f32>().expect("f32");
    let scale = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let difference = crate::util::max_abs_diff(&maps.values, &expected);
    println!(
        "feature maps of {} ({}×{}×{}) from the camera vs CPU: max abs difference {difference:.4} (largest activation {scale:.2})",
        maps.name, maps.channels, maps.height, maps.width
    );
    assert!(
        difference < 0.01 * scale,
        "feature maps differ by {difference}"
    );
    assert!(maps.style_map.is_none());

    // With a style map, the map comes along: a depth band nearer than
    // everything in view puts all of it in the second style.
    scene.insert(StyleMap {
        style: StyleWeights::single(B),
        source: StyleMapSource::DepthBand(DepthBand {
            distance: 0.5,
            softness: 0.0,
        }),
    });
    scene.render(2);
    probe(&mut scene).request();
    scene.render(2);
    let maps = probe(&mut scene).take().expect("feature maps read back");
    let map = maps.style_map.expect("the style map comes along");
    assert_eq!([map.styles, map.height, map.width], [2, 96, 128]);
    let plane = map.height * map.width;
    assert!(map.values[..plane].iter().all(|w| w.abs() < 1e-6));
    assert!(map.values[plane..].iter().all(|w| (w - 1.0).abs() < 1e-6));
}
