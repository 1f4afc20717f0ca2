//! Mutations of cards (as text), safetensors files (as bytes and as their
//! JSON header) and style selections.

use bevy_gan_style::nn::{Draw, SplitMix64};
use serde_json::Value;

/// Values that stress a number's field: huge, negative, zero, not finite.
const EXTREMES: [&str; 10] = [
    "0",
    "-1",
    "1e30",
    "-1e30",
    "4294967296",
    "18446744073709551615",
    "99999999",
    "NaN",
    "inf",
    "65536",
];

fn pick<'a, T>(rng: &mut SplitMix64, items: &'a [T]) -> &'a T {
    &items[rng.below(items.len())]
}

/// Byte ranges of the numbers in `text`.
fn numbers(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || b".e-".contains(&bytes[i])) {
                i += 1;
            }
            if i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                continue; // part of a name such as `ml5`
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

/// Byte ranges of the words (field names, variants) in `text`.
fn words(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() && (i == 0 || bytes[i - 1] != b'"') {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

fn splice(text: &str, (start, end): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &text[..start], &text[end..])
}

/// One or two random edits of a card: truncation, a flipped byte, a number
/// made extreme or a string, a word made unknown, a line lost or doubled,
/// garbage inserted.
pub fn mutate_text(card: &str, rng: &mut SplitMix64) -> Vec<u8> {
    let mut text = card.to_string();
    for _ in 0..1 + rng.below(2) {
        let numbers = numbers(&text);
        let words = words(&text);
        let lines: Vec<&str> = text.lines().collect();
        text = match rng.below(9) {
            0 => {
                let mut cut = rng.below(text.len().max(1));
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text[..cut].to_string()
            }
            1 if !numbers.is_empty() => {
                let extreme = EXTREMES[rng.below(EXTREMES.len())];
                splice(&text, *pick(rng, &numbers), extreme)
            }
            2 if !numbers.is_empty() => splice(&text, *pick(rng, &numbers), "\"text\""),
            3 if !words.is_empty() => splice(&text, *pick(rng, &words), "Bogus"),
            4 if !words.is_empty() => splice(&text, *pick(rng, &words), "bogus_field"),
            5 if lines.len() > 1 => {
                let skip = rng.below(lines.len());
                let kept: Vec<&str> = (0..lines.len())
                    .filter(|&i| i != skip)
                    .map(|i| lines[i])
                    .collect();
                kept.join("\n")
            }
            6 if !lines.is_empty() => {
                let twice = rng.below(lines.len());
                let mut out: Vec<&str> = lines.clone();
                out.insert(twice, lines[twice]);
                out.join("\n")
            }
            7 => {
                let mut at = rng.below(text.len().max(1));
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                let garbage = *pick(rng, &["(", ")]", "\u{0}", "ü", "\"", ",,", "Some(", "#"]);
                format!("{}{garbage}{}", &text[..at], &text[at..])
            }
            _ => {
                // A flipped bit anywhere: may leave invalid UTF-8 behind.
                let mut bytes = text.into_bytes();
                let at = rng
                    .below(bytes.len().max(1))
                    .min(bytes.len().saturating_sub(1));
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= 1 << rng.below(8);
                }
                return bytes;
            }
        };
    }
    text.into_bytes()
}

/// The header (JSON) and the data of a safetensors file.
fn split(bytes: &[u8]) -> Option<(Value, &[u8])> {
    let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
    let header = serde_json::from_slice(bytes.get(8..8 + n)?).ok()?;
    Some((header, &bytes[8 + n..]))
}

fn join(header: &Value, data: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(header).expect("JSON");
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json);
    out.extend(data);
    out
}

/// A random edit of a safetensors file: truncated; a flipped bit in header
/// or data; a lying header length; a tensor with offsets out of range,
/// another dtype, another shape, renamed, removed or added; NaN / Inf
/// values.
pub fn mutate_safetensors(bytes: &[u8], rng: &mut SplitMix64) -> Vec<u8> {
    let (mut header, data) = split(bytes).expect("a valid file to start from");
    let names: Vec<String> = header
        .as_object()
        .expect("header object")
        .keys()
        .filter(|k| *k != "__metadata__")
        .cloned()
        .collect();
    let name = pick(rng, &names).clone();
    let header_len = bytes.len() - data.len();
    let mut out = bytes.to_vec();
    match rng.below(12) {
        0 => out.truncate(rng.below(bytes.len())),
        1 => out.truncate(rng.below(header_len)),
        2 => out[rng.below(header_len)] ^= 1 << rng.below(8),
        3 => {
            let at = header_len + rng.below(data.len());
            out[at] ^= 1 << rng.below(8);
        }
        4 => {
            let lie = *pick(rng, &[u64::MAX, 1 << 40, bytes.len() as u64, 0, 1, 7]);
            out[..8].copy_from_slice(&lie.to_le_bytes());
        }
        5 => {
            let offsets = &mut header[&name]["data_offsets"];
            let end = data.len() as u64;
            *offsets = match rng.below(4) {
                0 => serde_json::json!([0, end + 4]),
                1 => serde_json::json!([end, end + 16]),
                2 => serde_json::json!([u64::MAX - 3, u64::MAX]),
                _ => serde_json::json!([8, 4]),
            };
            out = join(&header, data);
        }
        6 => {
            header[&name]["dtype"] = Value::from(*pick(
                rng,
                &["F16", "BF16", "F64", "I64", "U8", "BOOL", "XX"],
            ));
            out = join(&header, data);
        }
        7 => {
            let shape = header[&name]["shape"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let mut shape: Vec<u64> = shape.iter().filter_map(Value::as_u64).collect();
            match rng.below(4) {
                0 if !shape.is_empty() => shape[0] *= 2,
                1 => shape.push(1),
                2 => shape.clear(),
                _ => {
                    shape = vec![u32::MAX as u64, u32::MAX as u64];
                }
            }
            header[&name]["shape"] = serde_json::json!(shape);
            out = join(&header, data);
        }
        8 => {
            let tensor = header[&name].take();
            let object = header.as_object_mut().expect("object");
            object.remove(&name);
            object.insert(format!("{name}_renamed"), tensor);
            out = join(&header, data);
        }
        9 => {
            header.as_object_mut().expect("object").remove(&name);
            out = join(&header, data);
        }
        10 => {
            let extra = header[&name].clone();
            header
                .as_object_mut()
                .expect("object")
                .insert("unknown.weight".into(), extra);
            out = join(&header, data);
        }
        _ => {
            // Non-finite values in one tensor.
            let start = header[&name]["data_offsets"][0].as_u64().unwrap_or(0) as usize;
            let bad = *pick(rng, &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY]);
            let at = header_len + start;
            out[at..at + 4].copy_from_slice(&bad.to_le_bytes());
        }
    }
    out
}

/// Style selections: well-formed ones with odd values and broken ones.
pub fn style_specs(rng: &mut SplitMix64, count: usize) -> Vec<String> {
    let pieces = [
        "0",
        "7",
        "8",
        "26",
        "999999999999",
        "-1",
        "=",
        ",",
        "0.5",
        "NaN",
        "inf",
        "-inf",
        "1e39",
        " ",
        "",
        "x",
        "3=",
        "=0.5",
        "2=1",
        "ü",
        "0=0",
        "1=-2",
    ];
    (0..count)
        .map(|_| {
            (0..1 + rng.below(5))
                .map(|_| *pick(rng, &pieces))
                .collect::<String>()
        })
        .collect()
}
