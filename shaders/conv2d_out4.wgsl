// Variant of conv2d.wgsl computing 4 output channels (C4 = 1 vec4) of
// PX = 4 pixels per invocation (layers of up to 8 channels). The accumulators are
// named variables, not an array: lavapipe keeps arrays indexed in loops in
// memory, which halves the speed.

const C4: u32 = 1u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let cols = columns(gid.x);
    let y = min(gid.y, params.out_h - 1u);
    let block = wg.z;
    var a00 = vec4<Float>(0.0); var a10 = vec4<Float>(0.0); var a20 = vec4<Float>(0.0); var a30 = vec4<Float>(0.0);
    for (var ci = 0u; ci < CIN; ci++) {
        for (var dy = 0u; dy < K; dy++) {
            let row = src_row(ci, y, dy);
            var w = ((block * CIN + ci) * K + dy) * K * C4;
            for (var dx = 0u; dx < K; dx++) {
                let v0 = src[row + src_col(cols.x, dx)];
                let v1 = src[row + src_col(cols.y, dx)];
                let v2 = src[row + src_col(cols.z, dx)];
                let v3 = src[row + src_col(cols.w, dx)];
                let w0 = weight[w + 0u];
                a00 += v0 * w0; a10 += v1 * w0; a20 += v2 * w0; a30 += v3 * w0;
                w += C4;
            }
        }
    }
    let x0 = gid.x * PX;
    let co = block * 4u;
    store(x0, gid.y, co, a00);
    store(x0 + 1u, gid.y, co, a10);
    store(x0 + 2u, gid.y, co, a20);
    store(x0 + 3u, gid.y, co, a30);
}
