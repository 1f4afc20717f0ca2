// Per-channel statistics of a [C, H, W] activation, turned into the affine
// map a conditional instance norm applies: a = scale / sqrt(var + eps),
// b = shift - mean · a (src/nn/kernels/norm.rs). One workgroup per channel;
// the mean is reduced first and the variance around it second (no
// cancellation of E[x²] − E[x]²), with the values read twice from cache.
// Sums are f32 whatever the activations' {{float}} (f32 or f16, with
// {{enable}} "enable f16;").
//
// With {{weighted}} 1, the statistics are one style's region's under a
// style map: weighted by `weights` (that style's plane of the map) and
// shrunk towards the whole plane's by `prior` pixels (src/nn/condition.rs,
// regional_instance_norm).

{{enable}}

const GROUP: u32 = 64u;
const WEIGHTED: u32 = {{weighted}}u;

struct StatsParams {
    plane: u32,
    channels: u32,
    epsilon: f32,
    prior: f32,
}

// read_write throughout: see conv2d.wgsl.
@group(0) @binding(0) var<storage, read_write> x: array<{{float}}>;
// Per-channel scale and shift, [C] each.
@group(0) @binding(1) var<storage, read_write> scale: array<f32>;
@group(0) @binding(2) var<storage, read_write> shift: array<f32>;
// Output: a in [0, C), b in [C, 2C).
@group(0) @binding(3) var<storage, read_write> affine: array<f32>;
// [plane] region weights when WEIGHTED is 1 (else any buffer).
@group(0) @binding(4) var<storage, read_write> weights: array<f32>;
@group(0) @binding(5) var<uniform> params: StatsParams;

var<workgroup> partial: array<f32, GROUP>;

// Sum of `partial` over the workgroup (every invocation gets it).
fn workgroup_sum(lid: u32, value: f32) -> f32 {
    partial[lid] = value;
    workgroupBarrier();
    for (var half = GROUP / 2u; half > 0u; half /= 2u) {
        if lid < half {
            partial[lid] += partial[lid + half];
        }
        workgroupBarrier();
    }
    let total = partial[0];
    workgroupBarrier();
    return total;
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let c = wg.x;
    let base = c * params.plane;
    let n = f32(params.plane);
    var sum = 0.0;
    for (var i = lid.x; i < params.plane; i += GROUP) {
        sum += f32(x[base + i]);
    }
    var mean = workgroup_sum(lid.x, sum) / n;
    var squares = 0.0;
    for (var i = lid.x; i < params.plane; i += GROUP) {
        let d = f32(x[base + i]) - mean;
        squares += d * d;
    }
    var variance = workgroup_sum(lid.x, squares) / n;
    if WEIGHTED == 1u {
        var mass = 0.0;
        var weighted = 0.0;
        for (var i = lid.x; i < params.plane; i += GROUP) {
            let m = weights[i];
            mass += m;
            weighted += m * f32(x[base + i]);
        }
        let total = workgroup_sum(lid.x, mass) + params.prior;
        let region_mean = (workgroup_sum(lid.x, weighted) + mean * params.prior) / total;
        var region_squares = 0.0;
        for (var i = lid.x; i < params.plane; i += GROUP) {
            let d = f32(x[base + i]) - region_mean;
            region_squares += weights[i] * d * d;
        }
        variance = (workgroup_sum(lid.x, region_squares) + variance * params.prior) / total;
        mean = region_mean;
    }
    if lid.x == 0u {
        let a = scale[c] / sqrt(variance + params.epsilon);
        affine[c] = a;
        affine[params.channels + c] = shift[c] - mean * a;
    }
}
