// Variant of conv2d.wgsl computing 32 output channels (C4 = 8 vec4) of
// PX = 4 pixels per invocation (layers of 32 channels and more). The accumulators are
// named variables, not an array: lavapipe keeps arrays indexed in loops in
// memory, which halves the speed.

const C4: u32 = 8u;

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>) {
    let cols = columns(gid.x);
    let y = min(gid.y, params.out_h - 1u);
    let block = wg.z;
    var a00 = vec4<Float>(0.0); var a10 = vec4<Float>(0.0); var a20 = vec4<Float>(0.0); var a30 = vec4<Float>(0.0);
    var a01 = vec4<Float>(0.0); var a11 = vec4<Float>(0.0); var a21 = vec4<Float>(0.0); var a31 = vec4<Float>(0.0);
    var a02 = vec4<Float>(0.0); var a12 = vec4<Float>(0.0); var a22 = vec4<Float>(0.0); var a32 = vec4<Float>(0.0);
    var a03 = vec4<Float>(0.0); var a13 = vec4<Float>(0.0); var a23 = vec4<Float>(0.0); var a33 = vec4<Float>(0.0);
    var a04 = vec4<Float>(0.0); var a14 = vec4<Float>(0.0); var a24 = vec4<Float>(0.0); var a34 = vec4<Float>(0.0);
    var a05 = vec4<Float>(0.0); var a15 = vec4<Float>(0.0); var a25 = vec4<Float>(0.0); var a35 = vec4<Float>(0.0);
    var a06 = vec4<Float>(0.0); var a16 = vec4<Float>(0.0); var a26 = vec4<Float>(0.0); var a36 = vec4<Float>(0.0);
    var a07 = vec4<Float>(0.0); var a17 = vec4<Float>(0.0); var a27 = vec4<Float>(0.0); var a37 = vec4<Float>(0.0);
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
                let w4 = weight[w + 4u];
                a04 += v0 * w4; a14 += v1 * w4; a24 += v2 * w4; a34 += v3 * w4;
                let w5 = weight[w + 5u];
                a05 += v0 * w5; a15 += v1 * w5; a25 += v2 * w5; a35 += v3 * w5;
                let w6 = weight[w + 6u];
                a06 += v0 * w6; a16 += v1 * w6; a26 += v2 * w6; a36 += v3 * w6;
                let w7 = weight[w + 7u];
                a07 += v0 * w7; a17 += v1 * w7; a27 += v2 * w7; a37 += v3 * w7;
                w += C4;
            }
        }
    }
    let x0 = gid.x * PX;
    let co = block * 32u;
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
    store(x0, gid.y, co + 16u, a04);
    store(x0 + 1u, gid.y, co + 16u, a14);
    store(x0 + 2u, gid.y, co + 16u, a24);
    store(x0 + 3u, gid.y, co + 16u, a34);
    store(x0, gid.y, co + 20u, a05);
    store(x0 + 1u, gid.y, co + 20u, a15);
    store(x0 + 2u, gid.y, co + 20u, a25);
    store(x0 + 3u, gid.y, co + 20u, a35);
    store(x0, gid.y, co + 24u, a06);
    store(x0 + 1u, gid.y, co + 24u, a16);
    store(x0 + 2u, gid.y, co + 24u, a26);
    store(x0 + 3u, gid.y, co + 24u, a36);
    store(x0, gid.y, co + 28u, a07);
    store(x0 + 1u, gid.y, co + 28u, a17);
    store(x0 + 2u, gid.y, co + 28u, a27);
    store(x0 + 3u, gid.y, co + 28u, a37);
}
