//! Where the benchmarks find the crate's files.

/// The folder holding `assets/` and `benches/`: `$BEVY_GAN_STYLE_ROOT`
/// when set (the GPU run kit sets it to the unpacked kit), else the crate
/// root the benchmark was built from.
pub fn root() -> String {
    std::env::var("BEVY_GAN_STYLE_ROOT").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into())
}
