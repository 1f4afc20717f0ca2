#!/usr/bin/env bash
# Runs the GPU run kit's benchmarks on this machine (made by
# benches/kit/pack.sh): prints the adapter and driver, then the per-layer,
# camera-filter and texture tables. Needs no Rust toolchain and no network.
#
#   bash run.sh            # from anywhere; the kit's folder is found itself
set -uo pipefail
cd "$(dirname "$0")"

# A driver without a loader: unpack the bundled loader package.
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
    for package in gl/*.deb; do
        [ -e "$package" ] && dpkg -x "$package" /
    done
    ldconfig
fi
# NVIDIA drivers installed outside the usual ICD folders (containers).
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -e "$nvidia_icd" ]; then
    export VK_DRIVER_FILES="$nvidia_icd"
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader

export BEVY_GAN_STYLE_ROOT="$PWD"
export RUST_LOG="${RUST_LOG:-warn}"
status=0
for bench in layers camera_filter textures; do
    echo
    echo "## $bench"
    ./bin/"$bench" --bench || status=1
done
exit $status
