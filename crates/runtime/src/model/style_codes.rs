//! What a multi-style network stores per style: the conditional instance
//! norms' scales and shifts, read from its weights as one code per style,
//! to compare styles and blends.

use safetensors::{Dtype, SafeTensors};

use super::style_weights::{StyleError, StyleWeights};

/// Every stored style's conditional-norm code: per norm layer in forward
/// order (contracting, residual, expanding), its scales then its shifts.
///
/// ```no_run
/// use bevy_gan_style_runtime::prelude::*;
/// let model = StyleModel::load_file("assets/models/multistyle26.style.ron")?;
/// let codes = model.style_codes().expect("a multi-style model");
/// let a = codes.blend(&StyleWeights::single(5))?;
/// let b = codes.blend(&StyleWeights::single(18))?;
/// println!("style 5 to 18: {:.2}", StyleCodes::distance(&a, &b));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StyleCodes {
    /// The norm layers' names and channel counts, in code order.
    pub layers: Vec<(String, usize)>,
    /// One code per stored style.
    pub codes: Vec<Vec<f32>>,
}

impl StyleCodes {
    /// Reads the codes from safetensors `weights` (tensors `<layer>.norm.gamma`
    /// and `<layer>.norm.beta`, `[num_styles, C]`); `None` when there are
    /// none (single-style and arbitrary-style networks).
    pub fn from_safetensors(weights: &[u8]) -> Option<Self> {
        let tensors = SafeTensors::deserialize(weights).ok()?;
        let mut layers: Vec<String> = tensors
            .names()
            .into_iter()
            .filter_map(|name| name.strip_suffix(".norm.gamma").map(str::to_string))
            .collect();
        // Forward order: contracting, residual, expanding; numbers by value.
        let rank = |name: &str| {
            let part = ["contract", "res", "expand"]
                .iter()
                .position(|prefix| name.starts_with(prefix))
                .unwrap_or(3);
            let numbers: Vec<usize> = name.split('.').filter_map(|s| s.parse().ok()).collect();
            (part, numbers)
        };
        layers.sort_by_key(|name| rank(name));
        let mut codes: Vec<Vec<f32>> = Vec::new();
        let mut shapes = Vec::new();
        for layer in &layers {
            let mut channels = 0;
            for part in ["gamma", "beta"] {
                let view = tensors.tensor(&format!("{layer}.norm.{part}")).ok()?;
                let [styles, c] = view.shape() else {
                    return None;
                };
                if view.dtype() != Dtype::F32 {
                    return None;
                }
                if codes.is_empty() {
                    codes = vec![Vec::new(); *styles];
                }
                if codes.len() != *styles {
                    return None;
                }
                let values: Vec<f32> = view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect();
                for (code, row) in codes.iter_mut().zip(values.chunks_exact(*c)) {
                    code.extend_from_slice(row);
                }
                channels = *c;
            }
            shapes.push((layer.clone(), channels));
        }
        (!codes.is_empty()).then_some(Self {
            layers: shapes,
            codes,
        })
    }

    /// The code of a blend: the styles' codes weighted (what the network's
    /// norms compute for it).
    pub fn blend(&self, weights: &StyleWeights) -> Result<Vec<f32>, StyleError> {
        let dense = weights.to_dense(self.codes.len())?;
        let mut code = vec![0.0; self.codes.first().map_or(0, Vec::len)];
        for (weight, style) in dense.iter().zip(&self.codes) {
            for (out, value) in code.iter_mut().zip(style) {
                *out += weight * value;
            }
        }
        Ok(code)
    }

    /// Root-mean-square difference of two codes.
    pub fn distance(a: &[f32], b: &[f32]) -> f32 {
        let sum: f32 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
        (sum / a.len().max(1) as f32).sqrt()
    }

    /// Per code entry, the mean and deviation over the stored styles (to
    /// show how a code differs from the average style).
    pub fn spread(&self) -> (Vec<f32>, Vec<f32>) {
        let n = self.codes.len().max(1) as f32;
        let len = self.codes.first().map_or(0, Vec::len);
        let mean: Vec<f32> = (0..len)
            .map(|i| self.codes.iter().map(|code| code[i]).sum::<f32>() / n)
            .collect();
        let deviation = (0..len)
            .map(|i| {
                let var = self
                    .codes
                    .iter()
                    .map(|code| (code[i] - mean[i]).powi(2))
                    .sum::<f32>()
                    / n;
                var.sqrt()
            })
            .collect();
        (mean, deviation)
    }

    /// The stored styles nearest to `code`, nearest first, with distances.
    pub fn nearest(&self, code: &[f32], count: usize) -> Vec<(usize, f32)> {
        let mut order: Vec<(usize, f32)> = self
            .codes
            .iter()
            .enumerate()
            .map(|(i, style)| (i, Self::distance(code, style)))
            .collect();
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        order.truncate(count);
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_the_bundled_multistyle_model() {
        let weights = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/models/multistyle26.safetensors"
        ))
        .expect("bundled weights");
        let codes = StyleCodes::from_safetensors(&weights).expect("codes");
        assert_eq!(codes.codes.len(), 26);
        assert_eq!(codes.layers[0].0, "contract.0");
        assert!(codes.layers.last().expect("layers").0.starts_with("expand"));
        let length: usize = codes.layers.iter().map(|(_, c)| 2 * c).sum();
        assert!(codes.codes.iter().all(|code| code.len() == length));
        // A style is its own nearest; a half blend is halfway.
        let a = codes.blend(&StyleWeights::single(5)).expect("blend");
        let b = codes.blend(&StyleWeights::single(18)).expect("blend");
        assert_eq!(codes.nearest(&a, 1)[0], (5, 0.0));
        let half = codes
            .blend(&StyleWeights::blend([(5, 0.5), (18, 0.5)]))
            .expect("blend");
        let whole = StyleCodes::distance(&a, &b);
        assert!((StyleCodes::distance(&a, &half) - whole / 2.0).abs() < 1e-4 * whole);
    }
}
