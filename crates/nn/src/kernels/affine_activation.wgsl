// In place: x = act(a[c] · x + b[c]) (+ residual), the end of every
// convolution stage (src/nn/kernels/norm.rs). A workgroup row covers one
// channel, so a and b are uniform loads. Under a style map the affine map
// is mixed per pixel: x = act(Σ_k m_k · (a_k[c] · x + b_k[c])).
//
// Placeholders: {{activation}} (0 identity, 1 ReLU, 2 sigmoid),
// {{residual}} (1: add `residual`), {{styles}} (0: one affine map; K: K
// maps mixed by `map`), and the activations' {{float}} (f32 or f16, with
// {{enable}} "enable f16;"); the arithmetic is f32.

{{enable}}

const ACTIVATION: u32 = {{activation}}u;
const RESIDUAL: u32 = {{residual}}u;
const STYLES: u32 = {{styles}}u;

struct AffineParams {
    plane: u32,
    channels: u32,
}

// read_write throughout: see conv2d.wgsl.
@group(0) @binding(0) var<storage, read_write> x: array<{{float}}>;
// a in [0, C), b in [C, 2C); under a map, style k's at offset 2C·k.
@group(0) @binding(1) var<storage, read_write> affine: array<f32>;
// Added after the activation when RESIDUAL is 1 (else any buffer).
@group(0) @binding(2) var<storage, read_write> residual: array<{{float}}>;
// [K, plane] style weights when STYLES > 0 (else any buffer).
@group(0) @binding(3) var<storage, read_write> map: array<f32>;
@group(0) @binding(4) var<uniform> params: AffineParams;

@compute @workgroup_size(256, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let c = wg.y;
    if gid.x >= params.plane {
        return;
    }
    let i = c * params.plane + gid.x;
    let xi = f32(x[i]);
    var v = 0.0;
    if STYLES == 0u {
        v = affine[c] * xi + affine[params.channels + c];
    } else {
        for (var k = 0u; k < STYLES; k++) {
            let base = 2u * params.channels * k;
            let m = map[k * params.plane + gid.x];
            v += m * (affine[base + c] * xi + affine[base + params.channels + c]);
        }
    }
    if ACTIVATION == 1u {
        v = max(v, 0.0);
    } else if ACTIVATION == 2u {
        v = 1.0 / (1.0 + exp(-v));
    }
    if RESIDUAL == 1u {
        v += f32(residual[i]);
    }
    x[i] = {{float}}(v);
}
