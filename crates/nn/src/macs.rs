//! Multiply-accumulates of a network for an input size, per layer: what a
//! forward pass costs, independent of the device. Convolutions only (norms,
//! activations and padding are a few operations per element, not per
//! weight).

/// One layer's multiply-accumulates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerMacs {
    /// Module path of the layer (`contract.0`, `res.2.1`, `up.0`…).
    pub name: String,
    /// Multiply-accumulates for the input size the report was made for.
    pub macs: u64,
}

/// A network's multiply-accumulates for one input size, per layer in
/// forward order.
///
/// ```
/// # use burn::backend::Flex as CpuBackend;
/// use bevy_gan_style_nn::{MultiStyleConfig, StagedNet};
/// let net = MultiStyleConfig::new(2, [8, 8, 8], 1, [8, 4]).init::<CpuBackend>(&Default::default());
/// let report = net.macs(16, 8);
/// // The 9×9 3→8 input convolution: 16·8 outputs of 8 channels, 3·81 each.
/// assert_eq!(report.layers[0].name, "contract.0");
/// assert_eq!(report.layers[0].macs, 16 * 8 * 8 * 3 * 81);
/// assert_eq!(report.total(), report.layers.iter().map(|l| l.macs).sum::<u64>());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacReport {
    /// The layers, in forward order.
    pub layers: Vec<LayerMacs>,
}

impl MacReport {
    /// Adds a layer.
    pub fn push(&mut self, name: impl Into<String>, macs: u64) {
        self.layers.push(LayerMacs {
            name: name.into(),
            macs,
        });
    }

    /// All layers together.
    pub fn total(&self) -> u64 {
        self.layers.iter().map(|layer| layer.macs).sum()
    }

    /// [`Self::total`] in units of 10⁹.
    pub fn gmac(&self) -> f64 {
        self.total() as f64 / 1e9
    }
}

/// Multiply-accumulates of a convolution with `cin → cout` channels and a
/// `kernel × kernel` window producing `width × height` outputs (for a
/// transposed convolution: its input size, each input pixel spreading one
/// window).
pub fn conv_macs(width: usize, height: usize, cin: usize, cout: usize, kernel: usize) -> u64 {
    (width * height * cin * cout * kernel * kernel) as u64
}
