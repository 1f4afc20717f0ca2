//! Image files, sane and broken: every pixel layout PNG and JPEG carry
//! (grey, grey + alpha, RGB, RGBA, 16-bit, palette, CMYK), 1×1 and
//! elongated ones, truncated and garbled ones, and headers that claim
//! enormous sizes (decompression bombs).

use std::io::Cursor;

use bevy_gan_style::nn::{Draw, SplitMix64};
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};

use crate::root;

/// What a case is, and the extension its file gets.
pub struct Label {
    pub name: String,
    pub extension: &'static str,
}

fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, format).expect("encodable");
    bytes.into_inner()
}

fn gradient(width: u32, height: u32) -> ImageBuffer<Rgb<u8>, Vec<u8>> {
    ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x * 9) as u8, (y * 13) as u8, ((x + y) * 5) as u8])
    })
}

/// The sane originals.
fn originals() -> Vec<(String, &'static str, Vec<u8>)> {
    let rgb = DynamicImage::ImageRgb8(gradient(24, 16));
    let png = |name: &str, image: DynamicImage| {
        (name.to_string(), "png", encode(&image, ImageFormat::Png))
    };
    let jpeg = |name: &str, image: DynamicImage| {
        (name.to_string(), "jpg", encode(&image, ImageFormat::Jpeg))
    };
    let read = |name: &str, ext: &'static str, file: &str| {
        let bytes = std::fs::read(root().join("tests/data").join(file)).expect("fixture");
        (name.to_string(), ext, bytes)
    };
    vec![
        png("RGB PNG", rgb.clone()),
        png(
            "RGBA PNG",
            DynamicImage::ImageRgba8(ImageBuffer::from_fn(24, 16, |x, y| {
                Rgba([x as u8 * 10, y as u8 * 10, 90, (x * y) as u8])
            })),
        ),
        png(
            "grey PNG",
            DynamicImage::ImageLuma8(ImageBuffer::from_fn(24, 16, |x, _| Luma([x as u8 * 10]))),
        ),
        png(
            "grey + alpha PNG",
            DynamicImage::ImageLumaA8(ImageBuffer::from_fn(24, 16, |x, y| {
                LumaA([x as u8 * 10, y as u8 * 15])
            })),
        ),
        png(
            "16-bit RGB PNG",
            DynamicImage::ImageRgb16(ImageBuffer::from_fn(24, 16, |x, y| {
                Rgb([x as u16 * 2000, y as u16 * 3000, 40000])
            })),
        ),
        png(
            "16-bit grey PNG",
            DynamicImage::ImageLuma16(ImageBuffer::from_fn(24, 16, |x, _| Luma([x as u16 * 2500]))),
        ),
        read("palette PNG", "png", "fuzz_palette.png"),
        png("1×1 PNG", DynamicImage::ImageRgb8(gradient(1, 1))),
        png("4000×1 PNG", DynamicImage::ImageRgb8(gradient(4000, 1))),
        png("1×4000 PNG", DynamicImage::ImageRgb8(gradient(1, 4000))),
        jpeg("RGB JPEG", rgb),
        jpeg(
            "grey JPEG",
            DynamicImage::ImageLuma8(ImageBuffer::from_fn(24, 16, |x, _| Luma([x as u8 * 10]))),
        ),
        read("CMYK JPEG", "jpg", "fuzz_cmyk.jpg"),
        jpeg("1×1 JPEG", DynamicImage::ImageRgb8(gradient(1, 1))),
    ]
}

/// CRC-32 (PNG's chunk checksum).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG whose header claims `width × height` (with a valid checksum), its
/// data unchanged.
fn png_claiming(png: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    // Signature (8), length (4), "IHDR" (4), then width and height.
    out[16..20].copy_from_slice(&width.to_be_bytes());
    out[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A JPEG whose frame header claims `width × height`.
fn jpeg_claiming(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2))
        .expect("a frame header");
    // Marker (2), length (2), precision (1), height (2), width (2).
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

/// About a hundred image cases.
pub fn cases(rng: &mut SplitMix64) -> Vec<(Label, Vec<u8>)> {
    let mut cases = Vec::new();
    let mut add = |name: String, extension: &'static str, bytes: Vec<u8>| {
        cases.push((Label { name, extension }, bytes));
    };
    let originals = originals();
    for (name, extension, bytes) in &originals {
        add(name.clone(), extension, bytes.clone());
        for _ in 0..3 {
            let cut = rng.below(bytes.len());
            add(
                format!("{name} cut at {cut}"),
                extension,
                bytes[..cut].to_vec(),
            );
        }
        for _ in 0..2 {
            let mut garbled = bytes.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(garbled.len());
                garbled[at] ^= 1 << rng.below(8);
            }
            add(format!("{name} garbled"), extension, garbled);
        }
    }
    let png = &originals[0].2;
    let jpeg = &originals[10].2;
    for (w, h) in [
        (100_000, 100_000),
        (u32::MAX >> 1, 1),
        (1, u32::MAX >> 1),
        (65_535, 65_535),
        (20_000, 20_000),
    ] {
        add(
            format!("PNG claiming {w}×{h}"),
            "png",
            png_claiming(png, w, h),
        );
    }
    for (w, h) in [(65_535, 65_535), (65_535, 1), (1, 65_535), (30_000, 30_000)] {
        add(
            format!("JPEG claiming {w}×{h}"),
            "jpg",
            jpeg_claiming(jpeg, w, h),
        );
    }
    for i in 0..6 {
        let magic: &[u8] = if i % 2 == 0 {
            b"\x89PNG\r\n\x1a\n"
        } else {
            b"\xFF\xD8\xFF\xE0"
        };
        let mut bytes = magic.to_vec();
        bytes.extend((0..rng.below(400)).map(|_| rng.below(256) as u8));
        add(
            "magic then noise".into(),
            if i % 2 == 0 { "png" } else { "jpg" },
            bytes,
        );
    }
    add("empty file".into(), "png", Vec::new());
    cases
}
