// burn tensor [1, 3, H, W] (f32) -> Bevy texture, as a full-screen draw so
// that it can target any colour-attachment format (sRGB ones included,
// which cannot be storage textures).

struct Params {
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    width: u32,
    height: u32,
    // 1: the target expects linear values (sRGB formats are encoded by the
    // hardware on store, float targets are linear): decode the network's
    // sRGB output. 0: store values as they are.
    decode_srgb: u32,
    _pad: u32,
    // Maps the network's output range onto [0, 1]: v * scale + bias.
    scale: f32,
    bias: f32,
}

@group(0) @binding(0) var<storage, read> tensor: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

@vertex
fn vertex(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle covering the viewport.
    let uv = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fragment(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let x = min(u32(position.x), params.width - 1u);
    let y = min(u32(position.y), params.height - 1u);
    let base = params.offset + y * params.stride_h + x * params.stride_w;
    var rgb = vec3<f32>(
        tensor[base],
        tensor[base + params.stride_c],
        tensor[base + 2u * params.stride_c],
    );
    rgb = clamp(rgb * params.scale + params.bias, vec3<f32>(0.0), vec3<f32>(1.0));
    if params.decode_srgb == 1u {
        rgb = srgb_to_linear(rgb);
    }
    return vec4<f32>(rgb, 1.0);
}
