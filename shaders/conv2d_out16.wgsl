// Variant of conv2d.wgsl computing 16 output channels (C4 = 4 vec4) of
// PX = 4 pixels per invocation (16-channel layers). The accumulators are
// named variables, not an array: lavapipe keeps arrays indexed in loops in
// memory, which halves the speed.

const C4: u32 = 4u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let cols = columns(gid.x);
    let y = min(gid.y, params.out_h - 1u);
    let block = wg.z;
    var a00 = vec4<Float>(0.0); var a10 = vec4<Float>(0.0); var a20 = vec4<Float>(0.0); var a30 = vec4<Float>(0.0);
    var a01 = vec4<Float>(0.0); var a11 = vec4<Float>(0.0); var a21 = vec4<Float>(0.0); var a31 = vec4<Float>(0.0);
    var a02 = vec4<Float>(0.0); var a12 = vec4<Float>(0.0); var a22 = vec4<Float>(0.0); var a32 = vec4<Float>(0.0);
    var a03 = vec4<Float>(0.0); var a13 = vec4<Float>(0.0); var a23 = vec4<Float>(0.0); var a33 = vec4<Float>(0.0);
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
                let w1 = weight[w + 1u];
                a01 += v0 * w1; a11 += v1 * w1; a21 += v2 * w1; a31 += v3 * w1;
                let w2 = weight[w + 2u];
                a02 += v0 * w2; a12 += v1 * w2; a22 += v2 * w2; a32 += v3 * w2;
                let w3 = weight[w + 3u];
                a03 += v0 * w3; a13 += v1 * w3; a23 += v2 * w3; a33 += v3 * w3;
                w += C4;
            }
        }
    }
    let x0 = gid.x * PX;
    let co = block * 16u;
    store(x0, gid.y, co, a00);
    store(x0 + 1u, gid.y, co, a10);
    store(x0 + 2u, gid.y, co, a20);
    store(x0 + 3u, gid.y, co, a30);
    store(x0, gid.y, co + 4u, a01);
    store(x0 + 1u, gid.y, co + 4u, a11);
    store(x0 + 2u, gid.y, co + 4u, a21);
    store(x0 + 3u, gid.y, co + 4u, a31);
    store(x0, gid.y, co + 8u, a02);
    store(x0 + 1u, gid.y, co + 8u, a12);
    store(x0 + 2u, gid.y, co + 8u, a22);
    store(x0 + 3u, gid.y, co + 8u, a32);
    store(x0, gid.y, co + 12u, a03);
    store(x0 + 1u, gid.y, co + 12u, a13);
    store(x0 + 2u, gid.y, co + 12u, a23);
    store(x0 + 3u, gid.y, co + 12u, a33);
}
