// The low-vision passes. `scene` runs between the opaque and transparent
// passes, so colour filters, contrast and edges change the world but not the
// text panels drawn after it; `view` runs last, so the magnifier enlarges
// text too and the brightness cap holds for everything on screen.
// The colour maths mirrors `allverse_core::vision::VisionSettings::apply_colour`.

#import bevy_core_pipeline::fullscreen_vertex_shader::FullscreenVertexOutput

struct Vision {
    // Linear RGB: out = colour_matrix * in + colour_offset.
    colour_matrix: mat3x3<f32>,
    colour_offset: vec3<f32>,
    contrast: f32,
    edge_colour: vec4<f32>,
    brightness: f32,
    edge_thickness_px: f32,
    // Bit 0: colour filter; bit 1: contrast or brightness; bit 2: edges.
    scene_tools: u32,
    // 0 none, 1 lens, 2 full view, 3 bifocal strip.
    magnifier: u32,
    lens_centre_uv: vec2<f32>,
    magnification: f32,
    // Lens radius, or strip height, as a fraction of the view's height.
    lens_size_v: f32,
    vignette: f32,
    brightness_cap: f32,
}

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var source_sampler: sampler;
@group(0) @binding(2) var<uniform> vision: Vision;
#ifdef SCENE
@group(0) @binding(3) var depth: texture_depth_2d;
#endif

const LUMINANCE = vec3<f32>(0.2126, 0.7152, 0.0722);

fn srgb_encode(linear: vec3<f32>) -> vec3<f32> {
    let low = linear * 12.92;
    let high = 1.055 * pow(linear, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(high, low, linear <= vec3<f32>(0.0031308));
}

fn srgb_decode(encoded: vec3<f32>) -> vec3<f32> {
    let low = encoded / 12.92;
    let high = pow((encoded + 0.055) / 1.055, vec3<f32>(2.4));
    return select(high, low, encoded <= vec3<f32>(0.04045));
}

#ifdef SCENE
// Reverse-Z perspective depth is proportional to 1/distance, and 1/distance
// is affine in screen space across any plane. So its slope is constant
// inside a flat surface and changes where the surface bends (a normal
// changes) or ends (a silhouette): edges from geometry, never from texture.
// The change is measured relative to the slope itself, so near and far,
// steep and shallow surfaces are treated alike.
fn edge_strength(pixel: vec2<i32>) -> f32 {
    let size = vec2<i32>(textureDimensions(depth));
    // Half the thickness each side of the edge, rounded half up (WGSL's
    // round() goes to even, which made 2.5 and 3 look alike).
    let step = max(i32(floor(vision.edge_thickness_px * 0.5 + 0.5)), 1);
    let centre = textureLoad(depth, pixel, 0);
    var strongest = 0.0;
    for (var axis = 0; axis < 2; axis++) {
        let offset = select(vec2<i32>(0, step), vec2<i32>(step, 0), axis == 0);
        // At the border of the view there is no neighbour to compare with.
        if any(pixel - offset < vec2<i32>(0)) || any(pixel + offset >= size) {
            continue;
        }
        let before = textureLoad(depth, pixel - offset, 0);
        let after = textureLoad(depth, pixel + offset, 0);
        let forward = after - centre;
        let backward = centre - before;
        // The floor keeps a surface seen face-on (slope near zero) from
        // turning rounding noise into edges.
        let slope = max(max(abs(forward), abs(backward)), centre * 2e-3 + 1e-7);
        strongest = max(strongest, abs(forward - backward) / slope);
    }
    return smoothstep(0.3, 0.6, strongest);
}

@fragment
fn scene(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let colour = textureSample(source, source_sampler, in.uv);
    var rgb = colour.rgb;
    if (vision.scene_tools & 1u) != 0u {
        rgb = clamp(vision.colour_matrix * rgb + vision.colour_offset, vec3<f32>(0.0), vec3<f32>(1.0));
    }
    if (vision.scene_tools & 2u) != 0u {
        let encoded = (srgb_encode(rgb) - 0.5) * vision.contrast + 0.5;
        rgb = srgb_decode(clamp(encoded * vision.brightness, vec3<f32>(0.0), vec3<f32>(1.0)));
    }
    if (vision.scene_tools & 4u) != 0u {
        rgb = mix(rgb, vision.edge_colour.rgb, edge_strength(vec2<i32>(in.position.xy)));
    }
    return vec4<f32>(rgb, colour.a);
}
#endif

#ifdef VIEW
// Where to read from for a magnified pixel, and how far inside the magnified area it is (≤ 0 outside).
fn magnified(uv: vec2<f32>, aspect: f32) -> vec3<f32> {
    let m = vision.magnification;
    let centre = vision.lens_centre_uv;
    switch vision.magnifier {
        case 1u: {
            // A round lens: distances in units of the view's height.
            let from_centre = (uv - centre) * vec2<f32>(aspect, 1.0);
            let inside = vision.lens_size_v - length(from_centre);
            return vec3<f32>(centre + (uv - centre) / m, inside);
        }
        case 2u: {
            return vec3<f32>(centre + (uv - centre) / m, 1.0);
        }
        case 3u: {
            // The strip along the bottom shows, enlarged, a band around the
            // pointer of height strip/m: the strip's middle is the pointer.
            let top = 1.0 - vision.lens_size_v;
            let strip_middle = vec2<f32>(0.5, top + vision.lens_size_v * 0.5);
            return vec3<f32>(centre + (uv - strip_middle) / m, uv.y - top);
        }
        default: {
            return vec3<f32>(uv, -1.0);
        }
    }
}

@fragment
fn view(in: FullscreenVertexOutput) -> @location(0) vec4<f32> {
    let size = vec2<f32>(textureDimensions(source));
    let aspect = size.x / size.y;
    let lens = magnified(in.uv, aspect);
    let inside = lens.z > 0.0;
    let read_at = select(in.uv, lens.xy, inside);
    var colour = textureSample(source, source_sampler, clamp(read_at, vec2<f32>(0.0), vec2<f32>(1.0)));
    // A two-pixel ring tells the lens and strip apart from the world around them.
    let ring = 2.0 / size.y;
    if vision.magnifier != 2u && lens.z > -ring && lens.z < ring {
        colour = vec4<f32>(vision.edge_colour.rgb, 1.0);
    }
    var rgb = colour.rgb;
    if vision.vignette > 0.0 {
        let from_centre = length((in.uv - 0.5) * vec2<f32>(aspect, 1.0));
        rgb *= 1.0 - vision.vignette * smoothstep(0.25, 0.6, from_centre);
    }
    let luminance = dot(rgb, LUMINANCE);
    if luminance > vision.brightness_cap {
        rgb *= vision.brightness_cap / luminance;
    }
    return vec4<f32>(rgb, colour.a);
}
#endif
