#!/bin/sh
# Re-makes the README's before-and-after captures of the low-vision tools:
# the simulator renders tests/scenarios/vision.toml once with no tool and
# once per tool, into docs/vision/.
#
#   xtask/vision-captures.sh
set -eu
cd "$(dirname "$0")/.."
out=docs/vision
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cargo build --quiet -p allverse
bin="${CARGO_TARGET_DIR:-target}/debug/allverse"
capture() {
    name=$1
    shift
    printf '[vision]\n' > "$scratch/$name.toml"
    for setting in "$@"; do
        printf '%s\n' "$setting" >> "$scratch/$name.toml"
    done
    echo "vision-captures: $name"
    "$bin" run --backend headless --scenario tests/scenarios/vision.toml \
        --profile "$scratch/$name.toml" --out "$scratch/$name" > "$scratch/$name.log" 2>&1
    cp "$scratch/$name/view.png" "$out/$name.png"
}
capture before
capture lens 'magnifier = "lens"' 'magnification = 2.5' 'lens_size_deg = 30.0'
capture full-view 'magnifier = "full_view"' 'magnification = 2.0'
capture bifocal 'magnifier = "bifocal"' 'magnification = 2.0' 'lens_size_deg = 20.0'
capture contrast 'contrast = 2.0' 'brightness = 1.2'
capture edges 'edges = true' 'edge_thickness_px = 3.0'
capture greyscale 'filter = "greyscale"'
capture invert 'filter = "invert"'
capture deuteranopia 'filter = "deuteranopia"'
capture text-boost 'text_boost = true'
capture highlight 'highlight = "outline"' 'edge_colour = "#00ffff"'
capture brightness-cap 'brightness_cap = 0.5'
