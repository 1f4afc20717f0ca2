// Uniforms of the camera filter shaders (mirrored by `CameraParams` in
// src/render/pipeline.rs). Prepended to each shader when it is embedded.

struct CameraParams {
    // The network tensor (input when preparing, output when composing):
    // element offset in its buffer and strides.
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    // View size, and the network's (internal) size.
    width: u32,
    height: u32,
    net_width: u32,
    net_height: u32,
    // u32 words per row of the frame buffers (rows padded to 256 bytes).
    row_words: u32,
    // One of the KIND_* constants of texels.wgsl.
    kind: u32,
    // 1: blend with the reprojected history; 1: the history is usable.
    temporal: u32,
    history_valid: u32,
    // [0, 1] -> network input: v * in_scale + in_bias.
    in_scale: f32,
    in_bias: f32,
    // Network output -> [0, 1]: v * out_scale + out_bias.
    out_scale: f32,
    out_bias: f32,
    // 0: the frame as rendered, 1: fully stylized.
    strength: f32,
    // Fraction of the width, from the left, shown unstylized (comparison).
    split: f32,
    // Weight of the reprojected history, and the relative depth difference
    // beyond which a pixel counts as disoccluded.
    history_weight: f32,
    depth_tolerance: f32,
    // 1: accumulate the warping error into `probe` (see camera_compose).
    probe: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

fn frame_texel_index(x: u32, y: u32) -> u32 {
    return y * params.row_words + x * texel_words(params.kind);
}
