// Direct 2-D convolution of one image, reflection-padded by K / 2, with an
// optional nearest ×2 upsampling of its input, for the networks' GPU
// kernels (src/nn/kernels/conv.rs). The padding and the upsampling are
// folded into the addressing, so neither is ever written to memory.
//
// `main` computes one output row segment of PX pixels for a block of
// 4 × C4 output channels. Invocations run over output pixels and a
// workgroup over one block of channels, so the weights every invocation
// reads are the same address (uniform), and each weight load feeds PX
// pixels: on lavapipe the weight loads, not the arithmetic, bound the
// speed. The accumulators are named variables, not an array (lavapipe
// keeps arrays indexed in loops in memory, which halves the speed), so the
// lines that declare, update and store them are generated per variant
// (conv.rs) into the three places marked in `main`.
//
// Placeholders filled when the kernel is built: {{cin}} {{cout}} {{k}}
// {{stride}} {{upsample}} (0 or 1), {{c4}} (vec4s of output channels per
// block), and the precision of activations, weights and sums: {{float}}
// (f32 or f16) with {{enable}} ("enable f16;" for f16, else nothing).

{{enable}}

alias Float = {{float}};

const CIN: u32 = {{cin}}u;
const COUT: u32 = {{cout}}u;
const K: u32 = {{k}}u;
const PAD: i32 = i32({{k}}u / 2u);
const STRIDE: u32 = {{stride}}u;
const UP: u32 = {{upsample}}u;
const PX: u32 = 4u;
const C4: u32 = {{c4}}u;

// Sizes of the stored input (before upsampling) and of the output.
struct ConvParams {
    src_w: u32,
    src_h: u32,
    out_w: u32,
    out_h: u32,
}

// Every storage binding is read_write: burn sub-allocates tensors from
// shared buffers, and wgpu rejects one buffer bound both read-only and
// writable in one dispatch.
// Input [CIN, src_h, src_w].
@group(0) @binding(0) var<storage, read_write> src: array<Float>;
// Weights [blocks][CIN][K][K][C4] as vec4 of four consecutive output
// channels, zero beyond COUT (src/nn/kernels/conv.rs lays them out).
@group(0) @binding(1) var<storage, read_write> weight: array<vec4<Float>>;
// Output [COUT, out_h, out_w].
@group(0) @binding(2) var<storage, read_write> dst: array<Float>;
@group(0) @binding(3) var<uniform> params: ConvParams;

fn reflect(i: i32, n: i32) -> i32 {
    let j = abs(i);
    return select(j, 2 * n - 2 - j, j >= n);
}

// Start of the input row read by output row `y` at kernel row `dy`.
fn src_row(ci: u32, y: u32, dy: u32) -> u32 {
    let h = i32(params.src_h << UP);
    let row = u32(reflect(i32(y * STRIDE + dy) - PAD, h)) >> UP;
    return (ci * params.src_h + row) * params.src_w;
}

// Input column read by output column `x` at kernel column `dx`.
fn src_col(x: u32, dx: u32) -> u32 {
    let w = i32(params.src_w << UP);
    return u32(reflect(i32(x * STRIDE + dx) - PAD, w)) >> UP;
}

// The output columns of this invocation (the last ones clamped inside the
// image; `store` skips them).
fn columns(gid_x: u32) -> vec4<u32> {
    let x0 = gid_x * PX;
    let last = params.out_w - 1u;
    return min(vec4<u32>(x0, x0 + 1u, x0 + 2u, x0 + 3u), vec4<u32>(last));
}

// Writes four consecutive output channels from `co` of pixel (x, y).
fn store(x: u32, y: u32, co: u32, value: vec4<Float>) {
    if x >= params.out_w || y >= params.out_h {
        return;
    }
    let plane = params.out_w * params.out_h;
    let at = co * plane + y * params.out_w + x;
    if co < COUT { dst[at] = value.x; }
    if co + 1u < COUT { dst[at + plane] = value.y; }
    if co + 2u < COUT { dst[at + 2u * plane] = value.z; }
    if co + 3u < COUT { dst[at + 3u * plane] = value.w; }
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let cols = columns(gid.x);
    let y = min(gid.y, params.out_h - 1u);
    let block = wg.z;
{{declare}}
    for (var ci = 0u; ci < CIN; ci++) {
        for (var dy = 0u; dy < K; dy++) {
            let row = src_row(ci, y, dy);
            var w = ((block * CIN + ci) * K + dy) * K * C4;
            for (var dx = 0u; dx < K; dx++) {
                let v0 = src[row + src_col(cols.x, dx)];
                let v1 = src[row + src_col(cols.y, dx)];
                let v2 = src[row + src_col(cols.z, dx)];
                let v3 = src[row + src_col(cols.w, dx)];
{{accumulate}}
                w += C4;
            }
        }
    }
    let x0 = gid.x * PX;
    let co = block * 4u * C4;
{{store}}
}
