// Training data from the engine: a camera's tonemapped frame with its
// motion vectors and depth, packed into one buffer that is read back (see
// src/train/flow.rs, which mirrors the layout).
//
// out[0..4]: frame index, sequence, width, height; then per pixel, row
// major, 4 words: RGBA8 (sRGB-encoded), motion x, motion y (f32 bits: UV
// units, current minus previous position), depth (f32 bits, reverse Z).

#import bevy_gan_style::texels::linear_to_srgb

// Mirrored by `CaptureParams` in src/train/flow.rs.
struct CaptureParams {
    frame: u32,
    sequence: u32,
    width: u32,
    height: u32,
}

@group(0) @binding(0) var frame_texture: texture_2d<f32>;
@group(0) @binding(1) var motion_vectors: texture_2d<f32>;
@group(0) @binding(2) var depth: texture_depth_2d;
@group(0) @binding(3) var<uniform> params: CaptureParams;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    if id.x == 0u && id.y == 0u {
        out[0] = params.frame;
        out[1] = params.sequence;
        out[2] = params.width;
        out[3] = params.height;
    }
    let at = 4u + 4u * (id.y * params.width + id.x);
    // Main textures hold linear light (sRGB formats decode on load).
    let colour = clamp(textureLoad(frame_texture, id.xy, 0).rgb, vec3<f32>(0.0), vec3<f32>(1.0));
    out[at] = pack4x8unorm(vec4<f32>(linear_to_srgb(colour), 1.0));
    let motion = textureLoad(motion_vectors, id.xy, 0).xy;
    out[at + 1u] = bitcast<u32>(motion.x);
    out[at + 2u] = bitcast<u32>(motion.y);
    out[at + 3u] = bitcast<u32>(textureLoad(depth, id.xy, 0));
}
