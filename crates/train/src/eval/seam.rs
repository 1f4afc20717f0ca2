//! How visible the join of a tiled texture is.

/// Seam measurements of an RGB image: the mean absolute difference across
/// the wrap-around boundary (last column to first, last row to first —
/// where a 2×2 tiling joins) and between all interior neighbours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Seam {
    /// Mean absolute difference of the wrap-around neighbour pairs.
    pub wrap: f64,
    /// Mean absolute difference of all other neighbour pairs.
    pub interior: f64,
}

impl Seam {
    /// Measures a `width × height` planar RGB image (`[3, height, width]`,
    /// as a tensor's data).
    ///
    /// ```
    /// use bevy_gan_style_train::eval::Seam;
    /// // Every row a ramp 0, 1, 2, 3: it jumps by 3 where it wraps.
    /// let ramp: Vec<f32> = (0..3 * 4 * 4).map(|i| (i % 4) as f32).collect();
    /// let seam = Seam::measure(&ramp, 4, 4);
    /// // Horizontal pairs differ by 3 across the wrap and 1 inside, vertical by 0.
    /// assert_eq!((seam.wrap, seam.interior, seam.ratio()), (1.5, 0.5, 3.0));
    /// ```
    pub fn measure(pixels: &[f32], width: usize, height: usize) -> Self {
        let at = |c: usize, y: usize, x: usize| pixels[c * width * height + y * width + x] as f64;
        let mut sums = [(0.0, 0u64); 2];
        for c in 0..3 {
            for y in 0..height {
                for x in 0..width {
                    for (along, len, d) in [
                        (x, width, (at(c, y, x) - at(c, y, (x + 1) % width)).abs()),
                        (y, height, (at(c, y, x) - at(c, (y + 1) % height, x)).abs()),
                    ] {
                        let kind = usize::from(along + 1 != len);
                        sums[kind].0 += d;
                        sums[kind].1 += 1;
                    }
                }
            }
        }
        let mean = |(sum, n): (f64, u64)| sum / n.max(1) as f64;
        Self {
            wrap: mean(sums[0]),
            interior: mean(sums[1]),
        }
    }

    /// `wrap / interior`: about 1 for a seamless tiling, above 1 where the
    /// join shows.
    pub fn ratio(&self) -> f64 {
        self.wrap / self.interior.max(f64::MIN_POSITIVE)
    }
}
