//! Measuring upscalers: PSNR and SSIM against the original, and the
//! baselines a game has without one — bicubic interpolation, and bilinear
//! upsampling followed by Bevy's contrast-adaptive sharpening.

use bevy_gan_style_nn::conv2d;
use burn::prelude::*;
use burn::tensor::ops::ConvOptions;

/// Peak signal-to-noise ratio (dB) of `image` against `reference`, both in
/// `[0, 1]` (`image` clamped), over the whole batch.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_train::eval::psnr;
/// let device = Default::default();
/// let a = Tensor::<CpuBackend, 4>::full([1, 3, 4, 4], 0.5, &device);
/// let b = Tensor::<CpuBackend, 4>::full([1, 3, 4, 4], 0.6, &device);
/// assert!((psnr(a, b) - 20.0).abs() < 1e-3);
/// ```
pub fn psnr<B: Backend>(image: Tensor<B, 4>, reference: Tensor<B, 4>) -> f64 {
    let mse: f64 = (image.clamp(0.0, 1.0) - reference)
        .powi_scalar(2)
        .mean()
        .into_scalar()
        .elem();
    if mse.is_nan() {
        return f64::NAN;
    }
    10.0 * (1.0 / mse.max(1e-12)).log10()
}

/// Structural similarity (Wang et al. 2004: 11×11 Gaussian window, σ 1.5,
/// `K1` 0.01, `K2` 0.03) of `image` against `reference`, both `[N, 3, H,
/// W]` in `[0, 1]` (`image` clamped), averaged over channels and windows.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_train::eval::ssim;
/// let device = Default::default();
/// let a = Tensor::<CpuBackend, 4>::random([1, 3, 24, 24],
///     burn::tensor::Distribution::Default, &device);
/// assert!((ssim(a.clone(), a.clone()) - 1.0).abs() < 1e-4);
/// assert!(ssim(a.clone(), a.mul_scalar(0.5)) < 0.95);
/// ```
pub fn ssim<B: Backend>(image: Tensor<B, 4>, reference: Tensor<B, 4>) -> f64 {
    const SIDE: usize = 11;
    const SIGMA: f32 = 1.5;
    let device = image.device();
    let [_, channels, _, _] = image.dims();
    let taps: Vec<f32> = (0..SIDE)
        .map(|i| (-((i as f32 - 5.0).powi(2)) / (2.0 * SIGMA * SIGMA)).exp())
        .collect();
    let total: f32 = taps.iter().sum();
    let window: Vec<f32> = (0..channels)
        .flat_map(|_| {
            taps.iter()
                .flat_map(|a| taps.iter().map(move |b| a * b / (total * total)))
        })
        .collect();
    let window =
        Tensor::<B, 4>::from_data(TensorData::new(window, [channels, 1, SIDE, SIDE]), &device);
    let blur = |x: Tensor<B, 4>| {
        conv2d(
            x,
            window.clone(),
            None,
            ConvOptions::new([1, 1], [0, 0], [1, 1], channels),
        )
    };
    let x = image.clamp(0.0, 1.0);
    let y = reference;
    let (mx, my) = (blur(x.clone()), blur(y.clone()));
    let sxx = blur(x.clone() * x.clone()) - mx.clone() * mx.clone();
    let syy = blur(y.clone() * y.clone()) - my.clone() * my.clone();
    let sxy = blur(x * y) - mx.clone() * my.clone();
    let (c1, c2) = (0.01f32.powi(2), 0.03f32.powi(2));
    let numerator = (mx.clone() * my.clone()).mul_scalar(2.0).add_scalar(c1)
        * sxy.mul_scalar(2.0).add_scalar(c2);
    let denominator =
        (mx.clone() * mx + my.clone() * my).add_scalar(c1) * (sxx + syy).add_scalar(c2);
    (numerator / denominator).mean().into_scalar().elem()
}

/// Bevy's contrast-adaptive sharpening (`ContrastAdaptiveSharpening`, FSR
/// 1's robust CAS, without denoising) at `strength` (Bevy's default 0.6;
/// clamped to `[0, 1]` as Bevy does) on `[N, 3, H, W]` in `[0, 1]`, edges
/// repeated as a clamped sampler does.
///
/// ```
/// # use burn::prelude::*;
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_train::eval::sharpen_cas;
/// let device = Default::default();
/// // The corners of a ramp get sharper; the ramp itself stays straight,
/// // and black stays black.
/// let step = Tensor::<CpuBackend, 1>::from_floats([0.2, 0.2, 0.4, 0.6, 0.8, 0.8], &device)
///     .reshape([1, 1, 1, 6]).expand([1, 3, 6, 6]);
/// let sharp: Vec<f32> = sharpen_cas(step, 0.6).narrow(2, 2, 1).narrow(1, 0, 1)
///     .into_data().to_vec().unwrap();
/// assert!(sharp[1] < 0.2 && sharp[4] > 0.8, "{sharp:?}");
/// assert!((sharp[2] - 0.4).abs() < 1e-5 && (sharp[3] - 0.6).abs() < 1e-5);
/// let black = sharpen_cas(Tensor::<CpuBackend, 4>::zeros([1, 3, 4, 4], &device), 0.6);
/// assert_eq!(black.abs().max().into_scalar(), 0.0);
/// ```
pub fn sharpen_cas<B: Backend>(image: Tensor<B, 4>, strength: f32) -> Tensor<B, 4> {
    // Bevy's constants: the lobe limit, and its MSAA-safe peak.
    const LIMIT: f32 = 0.1875;
    const PEAK: (f32, f32) = (10.0, -40.0);
    let [n, c, h, w] = image.dims();
    let shifted = |dy: i64, dx: i64| {
        let pad = |x: Tensor<B, 4>, dim: usize| {
            let side = x.dims()[dim];
            let first = x.clone().narrow(dim, 0, 1);
            let last = x.clone().narrow(dim, side - 1, 1);
            Tensor::cat(vec![first, x, last], dim)
        };
        let padded = pad(pad(image.clone(), 2), 3);
        padded.slice([
            0..n,
            0..c,
            (1 + dy) as usize..(1 + dy) as usize + h,
            (1 + dx) as usize..(1 + dx) as usize + w,
        ])
    };
    let (b, d, f, hh) = (shifted(-1, 0), shifted(0, -1), shifted(0, 1), shifted(1, 0));
    let mn4 = b
        .clone()
        .min_pair(d.clone())
        .min_pair(f.clone().min_pair(hh.clone()));
    let mx4 = b
        .clone()
        .max_pair(d.clone())
        .max_pair(f.clone().max_pair(hh.clone()));
    // A black ring would divide 0 by 0 (a GPU's `max` then drops the NaN;
    // here the ring's maximum is kept off zero, which gives the same lobe).
    let hit_min = mn4.clone() / mx4.clone().clamp_min(1e-6).mul_scalar(4.0);
    let hit_max = mx4.neg().add_scalar(PEAK.0) / mn4.mul_scalar(4.0).add_scalar(PEAK.1);
    let lobe_rgb = hit_min.neg().max_pair(hit_max);
    let lobe = lobe_rgb
        .max_dim(1)
        .clamp(-LIMIT, 0.0)
        .mul_scalar(strength.clamp(0.0, 1.0));
    let ring = b + d + f + hh;
    (ring * lobe.clone() + image) / lobe.mul_scalar(4.0).add_scalar(1.0)
}
