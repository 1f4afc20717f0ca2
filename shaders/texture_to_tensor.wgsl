// Bevy texture -> burn tensor [1, 3, H, W] (f32), written straight into the
// tensor's storage buffer. The tensor is addressed through its element
// offset and strides, so it may live anywhere inside burn's pooled buffer.

struct Params {
    // Element offset of the tensor inside the bound buffer.
    offset: u32,
    stride_c: u32,
    stride_h: u32,
    stride_w: u32,
    width: u32,
    height: u32,
    // 1: the texture yields linear values (sRGB formats are decoded by the
    // sampler hardware, float targets are linear): re-encode to sRGB, the
    // space the networks were trained in. 0: store values as they are.
    encode_srgb: u32,
    _pad: u32,
    // Maps [0, 1] onto the network's input range: v * scale + bias.
    scale: f32,
    bias: f32,
}

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var<storage, read_write> tensor: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let low = c * 12.92;
    let high = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(high, low, c <= vec3<f32>(0.0031308));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= params.width || id.y >= params.height {
        return;
    }
    var rgb = textureLoad(source, vec2<i32>(id.xy), 0).rgb;
    if params.encode_srgb == 1u {
        rgb = linear_to_srgb(clamp(rgb, vec3<f32>(0.0), vec3<f32>(1.0)));
    }
    let base = params.offset + id.y * params.stride_h + id.x * params.stride_w;
    for (var c = 0u; c < 3u; c++) {
        tensor[base + c * params.stride_c] = rgb[c] * params.scale + params.bias;
    }
}
