// The camera filter's last pass: the network's output (bilinearly
// upsampled to the view size), optionally blended with the previous
// stylized frame reprojected by the motion vectors, then mixed with the
// rendered frame by `strength` and packed as texels to be copied back into
// the view target. (Its first pass is the bridge's texture_to_tensor.)
//
// In frames where the network does not run (amortized stylization), the
// previous stylized frame is reprojected instead, and pixels it did not see
// (disoccluded by depth, or outside it) are the rendered frame with its
// colours matched to the stylized output: per channel, the network input's
// mean and deviation mapped onto the output's.

#import bevy_gan_style::texels::{decode_texel, encode_texel, KIND_RGBA16F}
#import bevy_gan_style::tensor_view::{TensorView, tensor_index, texel_index}

// Mirrored by `ComposeParams` in src/style_transfer/pipeline.rs.
struct ComposeParams {
    // 0: the frame as rendered, 1: fully stylized.
    strength: f32,
    // Fraction of the width, from the left, shown unstylized (comparison).
    split: f32,
    // Weight of the reprojected history, and the relative depth difference
    // beyond which a pixel counts as disoccluded.
    history_weight: f32,
    depth_tolerance: f32,
    // 1: blend with the reprojected history; 1: the history is usable.
    temporal: u32,
    history_valid: u32,
    // 1: accumulate the warping error into `probe`.
    probe: u32,
    // 1: the network did not run: reproject the previous stylized frame.
    reproject: u32,
    // 1: write which pixels were filled by colour matching into `mask`.
    mask: u32,
    // Where `colours` holds, per channel c, the input mean and deviation and
    // the output mean and deviation: colours[offset + c * stride_c + k * stride_k].
    colours_offset: u32,
    colours_stride_c: u32,
    colours_stride_k: u32,
    // The view's top-left texel in the target: the motion-vector and depth
    // textures cover the whole target, the view only its viewport.
    origin: vec2<u32>,
}

// The network output; `view` maps its range onto [0, 1] and describes the
// frame's texels (the view size and format).
@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<uniform> view: TensorView;
@group(0) @binding(2) var<uniform> params: ComposeParams;
@group(0) @binding(3) var<storage, read> frame: array<u32>;
@group(0) @binding(4) var<storage, read_write> output: array<u32>;
// Stylized colour (before `strength`), RGBA8 packed, of the previous frame
// and of this one (two buffers, swapped every frame).
@group(0) @binding(5) var<storage, read> previous_history: array<u32>;
@group(0) @binding(6) var<storage, read_write> history: array<u32>;
@group(0) @binding(7) var motion_vectors: texture_2d<f32>;
@group(0) @binding(8) var depth: texture_depth_2d;
@group(0) @binding(9) var previous_depth: texture_depth_2d;
// Warping-error sums in rows of (error · PROBE_SCALE, non-occluded pixels),
// binned by image row so that no u32 overflows (PROBE_BINS and PROBE_SCALE
// in src/style_transfer/probe.rs).
@group(0) @binding(10) var<storage, read_write> probe: array<atomic<u32>>;
// Colour statistics of the last network run (see ComposeParams).
@group(0) @binding(11) var<storage, read> colours: array<f32>;
// 1 per pixel filled by colour matching in this frame, else 0.
@group(0) @binding(12) var<storage, read_write> mask: array<u32>;

const PROBE_SCALE: f32 = 65536.0;
const PROBE_BINS: u32 = 4096u;

fn net_color(x: u32, y: u32) -> vec3<f32> {
    let base = tensor_index(view, x, y);
    let v = vec3<f32>(tensor[base], tensor[base + view.stride_c], tensor[base + 2u * view.stride_c]);
    return clamp(v * view.scale + view.bias, vec3<f32>(0.0), vec3<f32>(1.0));
}

fn history_color(x: u32, y: u32) -> vec3<f32> {
    return unpack4x8unorm(previous_history[y * view.image_size.x + x]).rgb;
}

// Bilinear weights and corners of the point `p` (in pixels, centres at .5)
// on a `size` grid.
struct Bilinear {
    x0: u32,
    y0: u32,
    x1: u32,
    y1: u32,
    fx: f32,
    fy: f32,
}

fn bilinear(p: vec2<f32>, size: vec2<u32>) -> Bilinear {
    let q = clamp(p - 0.5, vec2<f32>(0.0), vec2<f32>(size - 1u));
    let base = floor(q);
    let f = q - base;
    let x0 = u32(base.x);
    let y0 = u32(base.y);
    return Bilinear(x0, y0, min(x0 + 1u, size.x - 1u), min(y0 + 1u, size.y - 1u), f.x, f.y);
}

fn stylized(pixel: vec2<u32>) -> vec3<f32> {
    let net_size = view.tensor_size;
    let scale = vec2<f32>(net_size) / vec2<f32>(view.image_size);
    let b = bilinear((vec2<f32>(pixel) + 0.5) * scale, net_size);
    let top = mix(net_color(b.x0, b.y0), net_color(b.x1, b.y0), b.fx);
    let bottom = mix(net_color(b.x0, b.y1), net_color(b.x1, b.y1), b.fx);
    return mix(top, bottom, b.fy);
}

fn reprojected_history(p: vec2<f32>) -> vec3<f32> {
    let b = bilinear(p, view.image_size);
    let top = mix(history_color(b.x0, b.y0), history_color(b.x1, b.y0), b.fx);
    let bottom = mix(history_color(b.x0, b.y1), history_color(b.x1, b.y1), b.fx);
    return mix(top, bottom, b.fy);
}

// The previous frame saw the same surface at `previous` if its depth there
// matches (reverse-Z depth is proportional to 1 / view distance).
fn same_surface(pixel: vec2<u32>, previous: vec2<f32>) -> bool {
    let d = textureLoad(depth, pixel + params.origin, 0);
    let q = clamp(vec2<u32>(previous), vec2<u32>(0u), view.image_size - 1u);
    let d_previous = textureLoad(previous_depth, q + params.origin, 0);
    let far = max(d, d_previous);
    if far <= 0.0 {
        // Both at infinity (sky / clear colour).
        return true;
    }
    return abs(d - d_previous) / far <= params.depth_tolerance;
}

fn colour(c: u32, k: u32) -> f32 {
    return colours[params.colours_offset + c * params.colours_stride_c + k * params.colours_stride_k];
}

// The rendered colour with the stylized output's per-channel statistics.
fn colour_matched(original: vec3<f32>) -> vec3<f32> {
    var matched: vec3<f32>;
    for (var c = 0u; c < 3u; c++) {
        let deviation = max(colour(c, 1u), 1e-3);
        matched[c] = (original[c] - colour(c, 0u)) / deviation * colour(c, 3u) + colour(c, 2u);
    }
    return clamp(matched, vec3<f32>(0.0), vec3<f32>(1.0));
}

fn add_probe(row: u32, d: vec3<f32>) {
    // Engine warping error: |S_t - warp(S_t-1)|^2, mean over RGB.
    let bin = 2u * (row % PROBE_BINS);
    atomicAdd(&probe[bin], u32(round(dot(d, d) / 3.0 * PROBE_SCALE)));
    atomicAdd(&probe[bin + 1u], 1u);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= view.image_size.x || id.y >= view.image_size.y {
        return;
    }
    let size = vec2<f32>(view.image_size);
    let at = texel_index(view, id.x, id.y);
    let original = decode_texel(view.kind, frame[at], frame[at + 1u]);
    // Where this pixel was in the previous frame, and whether the previous
    // frame saw the same surface there (only with the prepasses bound).
    var previous = vec2<f32>(0.0);
    var seen = false;
    if params.temporal == 1u && (params.reproject == 1u || params.history_valid == 1u) {
        // Motion vectors are current minus previous position, in UV.
        let uv = (vec2<f32>(id.xy) + 0.5) / size;
        let previous_uv = uv - textureLoad(motion_vectors, id.xy + params.origin, 0).xy;
        previous = previous_uv * size;
        let inside = all(previous_uv >= vec2<f32>(0.0)) && all(previous_uv <= vec2<f32>(1.0));
        seen = inside && same_surface(id.xy, previous);
    }
    var filled = 0u;
    var styled: vec3<f32>;
    if params.reproject == 1u {
        if seen {
            styled = reprojected_history(previous);
            if params.probe == 1u {
                add_probe(id.y, vec3<f32>(0.0));
            }
        } else {
            styled = colour_matched(original);
            filled = 1u;
        }
    } else {
        styled = stylized(id.xy);
        if params.history_valid == 1u && seen {
            let warped = reprojected_history(previous);
            styled = mix(styled, warped, params.history_weight);
            if params.probe == 1u {
                add_probe(id.y, styled - warped);
            }
        }
    }
    if params.mask == 1u {
        mask[id.y * view.image_size.x + id.x] = filled;
    }
    history[id.y * view.image_size.x + id.x] = pack4x8unorm(vec4<f32>(styled, 1.0));

    var result = mix(original, styled, params.strength);
    if f32(id.x) + 0.5 < params.split * size.x {
        result = original;
    }
    let words = encode_texel(view.kind, result);
    output[at] = words.x;
    if view.kind == KIND_RGBA16F {
        output[at + 1u] = words.y;
    }
}
