#!/usr/bin/env bash
# Packs the GPU run kit: stripped release binaries of the camera-filter,
# layer and texture benchmarks, the assets they read, the Vulkan loader
# package and run.sh, into one folder (default target/gpu-kit) and one
# archive of it (KIT_DIR.tar.xz, under 60 MiB), for a machine with a GPU but
# no Rust toolchain or network.
#
#   bash benches/kit/pack.sh [KIT_DIR]
#   # there: tar xJf gpu-kit.tar.xz && bash gpu-kit/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
kit="${1:-target/gpu-kit}"
benches=(layers camera_filter textures)

rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/assets/models" "$kit/assets/textures" "$kit/benches" "$kit/gl"

args=()
for bench in "${benches[@]}"; do args+=(--bench "$bench"); done
cargo build --release "${args[@]}" --message-format=json-render-diagnostics >"$kit/build.json"
python3 - "$kit" "${benches[@]}" <<'PY'
import json, shutil, sys
kit, wanted = sys.argv[1], set(sys.argv[2:])
for line in open(f"{kit}/build.json"):
    message = json.loads(line)
    target = message.get("target", {})
    if message.get("executable") and "bench" in target.get("kind", []) and target["name"] in wanted:
        shutil.copy(message["executable"], f"{kit}/bin/{target['name']}")
        wanted.discard(target["name"])
if wanted:
    sys.exit(f"no executable built for {sorted(wanted)}")
PY
rm "$kit/build.json"
strip "$kit"/bin/*

# What the benchmarks read (BEVY_GAN_STYLE_ROOT points them here).
cp assets/models/multistyle26.style.ron assets/models/multistyle26.safetensors \
    assets/models/magenta_arbitrary.style.ron assets/models/magenta_arbitrary.safetensors \
    "$kit/assets/models/"
cp assets/textures/*.texture.ron assets/textures/*.safetensors "$kit/assets/textures/"
cp benches/ort_*.py "$kit/benches/"
cp benches/kit/run.sh "$kit/run.sh"

# The Vulkan loader, for machines that have a driver but no loader.
lists="$(mktemp -d)"
apt_options=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
mkdir -p "$lists/partial"
if apt-get "${apt_options[@]}" update -qq >/dev/null 2>&1 &&
    (cd "$kit/gl" && apt-get "${apt_options[@]}" download libvulkan1 >/dev/null 2>&1); then
    echo "kit: Vulkan loader package included"
else
    echo "kit: no Vulkan loader package (apt could not download it); run.sh then needs one installed"
fi
rm -rf "$lists"

# The three binaries are ~100 MiB each and mostly the same code (Bevy,
# burn, wgpu); xz brings the kit to about 50 MiB.
archive="$kit.tar.xz"
tar -C "$(dirname "$kit")" -cf - "$(basename "$kit")" | xz -T0 -9 >"$archive"
size=$(du -m "$archive" | cut -f1)
echo "kit: $kit, archive $archive, ${size} MiB"
if [ "$size" -ge 60 ]; then
    echo "kit: archive over 60 MiB" >&2
    exit 1
fi
