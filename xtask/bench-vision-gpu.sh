#!/bin/sh
# The low-vision tools' render cost on this machine's GPU: the same
# benchmark as `cargo xtask bench vision`, refusing to report figures
# drawn by the CPU driver as GPU figures.
#
#   xtask/bench-vision-gpu.sh [FILE.json]
#
# Needs the GPU's Vulkan driver (e.g. nvidia-driver or mesa-vulkan-drivers
# for AMD and Intel). The target is all tools together adding at most
# 1.5 ms per eye at 1832×1920.
set -eu
cd "$(dirname "$0")/.."
json=${1:-vision-gpu.json}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo xtask bench vision --json "$json" | tee "$log"
if grep -q "adapter: .*llvmpipe" "$log"; then
    echo "bench-vision-gpu: the frames were drawn by llvmpipe, the CPU driver; install this GPU's Vulkan driver" >&2
    exit 1
fi
echo "bench-vision-gpu: GPU figures written to $json"
