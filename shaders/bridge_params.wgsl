// Uniforms shared by the two bridge shaders (mirrored by `Params` in
// src/bridge/gpu.rs). Prepended to each shader when it is embedded.

struct Params {
    // Element offset of the tensor inside the bound buffer, and its strides.
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    width: u32,
    height: u32,
    // u32 words per staging row (rows are padded to 256 bytes).
    row_words: u32,
    // One of the KIND_* constants of texels.wgsl.
    kind: u32,
    // Value mapping: v * scale + bias (onto the network's input range, or
    // from its output range onto [0, 1]).
    scale: f32,
    bias: f32,
}
