// Camera filter, step 1: the rendered frame (copied raw from the view
// target) -> the network's input tensor at its internal resolution. Each
// network pixel averages the frame pixels it covers (a box filter).

@group(0) @binding(0) var<storage, read> frame: array<u32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> params: CameraParams;

fn frame_color(x: u32, y: u32) -> vec3<f32> {
    let at = frame_texel_index(x, y);
    return decode_texel(params.kind, frame[at], frame[at + 1u]);
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.net_width || id.y >= params.net_height {
        return;
    }
    let x0 = id.x * params.width / params.net_width;
    let x1 = max(x0 + 1u, (id.x + 1u) * params.width / params.net_width);
    let y0 = id.y * params.height / params.net_height;
    let y1 = max(y0 + 1u, (id.y + 1u) * params.height / params.net_height);
    var sum = vec3<f32>(0.0);
    for (var y = y0; y < y1; y++) {
        for (var x = x0; x < x1; x++) {
            sum += frame_color(x, y);
        }
    }
    let rgb = sum / f32((x1 - x0) * (y1 - y0));
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    for (var c = 0u; c < 3u; c++) {
        tensor[base + c * params.stride_c] = rgb[c] * params.in_scale + params.in_bias;
    }
}
