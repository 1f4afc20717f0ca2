// Texel words <-> sRGB-encoded colour, for every shader that moves images
// between textures (copied raw into u32 buffers) and tensors.

#define_import_path bevy_gan_style::texels

// 8-bit RGBA: the bytes are the (sRGB-encoded) values, used as they are.
const KIND_RGBA8: u32 = 0u;
// 8-bit BGRA.
const KIND_BGRA8: u32 = 1u;
// RGBA16 float: linear light (HDR targets after tonemapping), converted.
const KIND_RGBA16F: u32 = 2u;

fn linear_to_srgb(c: vec3<f32>) -> vec3<f32> {
    let low = c * 12.92;
    let high = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(high, low, c <= vec3<f32>(0.0031308));
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let low = c / 12.92;
    let high = pow((c + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, c <= vec3<f32>(0.04045));
}

// u32 words per texel.
fn texel_words(kind: u32) -> u32 {
    return select(1u, 2u, kind == KIND_RGBA16F);
}

fn byte(word: u32, index: u32) -> f32 {
    return f32((word >> (index * 8u)) & 0xffu) / 255.0;
}

// The texel's colour, sRGB-encoded in [0, 1]. `w1` is used by RGBA16F only.
fn decode_texel(kind: u32, w0: u32, w1: u32) -> vec3<f32> {
    if kind == KIND_RGBA16F {
        let rg = unpack2x16float(w0);
        let ba = unpack2x16float(w1);
        return linear_to_srgb(clamp(vec3<f32>(rg, ba.x), vec3<f32>(0.0), vec3<f32>(1.0)));
    }
    let rgb = vec3<f32>(byte(w0, 0u), byte(w0, 1u), byte(w0, 2u));
    return select(rgb, rgb.bgr, kind == KIND_BGRA8);
}

// Texel words for an sRGB-encoded colour in [0, 1] (opaque alpha).
fn encode_texel(kind: u32, srgb: vec3<f32>) -> vec2<u32> {
    let c = clamp(srgb, vec3<f32>(0.0), vec3<f32>(1.0));
    if kind == KIND_RGBA16F {
        let linear = srgb_to_linear(c);
        return vec2<u32>(pack2x16float(linear.rg), pack2x16float(vec2<f32>(linear.b, 1.0)));
    }
    let ordered = select(c, c.bgr, kind == KIND_BGRA8);
    let q = vec3<u32>(round(ordered * 255.0));
    return vec2<u32>(q.x | (q.y << 8u) | (q.z << 16u) | (255u << 24u), 0u);
}
