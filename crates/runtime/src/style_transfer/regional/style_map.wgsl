// A camera's style map, made on the GPU each run at the network's size:
// per map pixel the weights of the camera's styles, averaged over the view
// pixels it covers. Channel 0 is the camera's own style, channels 1.. the
// map's others.
//
// Depth band (mode 0): the second style's weight rises smoothly from 0 at
// `near` to 1 at `far` (distance from the camera, world units); the sky
// (nothing rendered: infinitely far) is beyond every band.
//
// Regions (mode 1): the region pass rendered each `StyleRegion` entity's
// weights (rgb) and its distance from the camera (a); where that surface is
// the one the camera sees (its distance within `tolerance` of the depth
// prepass's), its weights apply, elsewhere the camera's own style.

// Mirrored by `MapParams` in src/style_transfer/map_pass.rs.
struct MapParams {
    view_from_clip: mat4x4<f32>,
    near: f32,
    far: f32,
    mode: u32,
    tolerance: f32,
    map_size: vec2<u32>,
    // Where the map lies in its buffer: map[offset + c * stride_c + y * stride_h + x].
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    // Channels besides the camera's own style.
    regions: u32,
}

@group(0) @binding(0) var depth: texture_depth_2d;
@group(0) @binding(1) var region_pass: texture_2d<f32>;
@group(0) @binding(2) var<uniform> params: MapParams;
@group(0) @binding(3) var<storage, read_write> map: array<f32>;

const FAR_AWAY: f32 = 3.0e38;
// At most this many samples per side of a map pixel's block.
const SAMPLES: u32 = 4u;

// Distance from the camera of what pixel `pixel` of a `size` view shows.
fn distance_at(pixel: vec2<u32>, size: vec2<u32>) -> f32 {
    let d = textureLoad(depth, pixel, 0);
    let uv = (vec2<f32>(pixel) + 0.5) / vec2<f32>(size);
    let p = params.view_from_clip * vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, d, 1.0);
    // Reverse-Z perspective: depth 0 is infinitely far.
    if (p.w <= 1.0e-30) {
        return FAR_AWAY;
    }
    return length(p.xyz / p.w);
}

// The weights of channels 1..=3 at one view pixel.
fn weights_at(pixel: vec2<u32>, size: vec2<u32>) -> vec3<f32> {
    let distance = distance_at(pixel, size);
    if (params.mode == 0u) {
        let band = max(params.far - params.near, 1.0e-6);
        return vec3<f32>(smoothstep(0.0, 1.0, (distance - params.near) / band), 0.0, 0.0);
    }
    let region_size = textureDimensions(region_pass);
    let at = min(pixel * region_size / size, region_size - 1u);
    let region = textureLoad(region_pass, at, 0);
    if (region.a <= 0.0 || abs(region.a - distance) > params.tolerance * distance) {
        return vec3<f32>(0.0);
    }
    return clamp(region.rgb, vec3<f32>(0.0), vec3<f32>(1.0));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.map_size.x || id.y >= params.map_size.y) {
        return;
    }
    let size = textureDimensions(depth);
    let lo = id.xy * size / params.map_size;
    let hi = max((id.xy + 1u) * size / params.map_size, lo + 1u);
    let step = max((hi - lo + SAMPLES - 1u) / SAMPLES, vec2<u32>(1u));
    var sum = vec3<f32>(0.0);
    var count = 0.0;
    for (var y = lo.y; y < hi.y; y += step.y) {
        for (var x = lo.x; x < hi.x; x += step.x) {
            sum += weights_at(vec2<u32>(x, y), size);
            count += 1.0;
        }
    }
    var w = sum / count;
    // Overlapping regions cannot ask for more than the whole pixel.
    let total = w.x + w.y + w.z;
    if (total > 1.0) {
        w /= total;
    }
    let base = params.offset + id.y * params.stride_h + id.x;
    map[base] = 1.0 - min(total, 1.0);
    for (var c = 0u; c < min(params.regions, 3u); c++) {
        map[base + (c + 1u) * params.stride_c] = w[c];
    }
}
