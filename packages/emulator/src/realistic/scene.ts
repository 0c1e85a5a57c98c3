/**
 * The content of a photo-like image: a landscape (sky with clouds and a sun, three mountain
 * ridges fading into the haze, textured ground, a vignette) drawn from a 32-byte seed. It is drawn
 * at a quarter of the size and enlarged by the caller: a landscape is smooth at that scale, and a
 * sixteenth of the pixels (or fewer, for large images) keeps the JavaScript fast.
 */
import { fractal, seededRandom, valueNoise } from './noise.js';

/** The scene is drawn at a quarter of the image's width and height, or smaller for large images (see {@link sceneScale}). */
const SCENE_SCALE = 4;

/** Above this many pixels, the scene is drawn smaller still, so a 12 MP image takes no longer to draw than a 4 MP one. */
const MAX_SCENE_PIXELS = 250_000;

/** By how much the scene of a `width`×`height` image is smaller, each way: a whole number ≥ {@link SCENE_SCALE}. */
function sceneScale(width: number, height: number): number {
  return Math.max(SCENE_SCALE, Math.ceil(Math.sqrt((width * height) / MAX_SCENE_PIXELS)));
}

/** A raw RGB image, 3 bytes a pixel, rows top to bottom. */
export interface RawImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

type Rgb = readonly [number, number, number];

/** The light of a time of day, in sRGB from 0 to 1. */
interface Palette {
  readonly skyTop: Rgb;
  readonly skyHorizon: Rgb;
  readonly sun: Rgb;
  readonly mountains: Rgb;
  readonly ground: Rgb;
  /** How much of the sky clouds cover, 0 to 1. */
  readonly clouds: number;
  /** How high the sun stands above the horizon, as a fraction of the image height. */
  readonly sunHeight: number;
}

const PALETTES: readonly Palette[] = [
  // golden hour
  {
    skyTop: [0.25, 0.38, 0.62],
    skyHorizon: [0.98, 0.72, 0.42],
    sun: [1, 0.85, 0.55],
    mountains: [0.36, 0.3, 0.4],
    ground: [0.17, 0.14, 0.1],
    clouds: 0.6,
    sunHeight: 0.08,
  },
  // dusk
  {
    skyTop: [0.1, 0.12, 0.3],
    skyHorizon: [0.86, 0.46, 0.4],
    sun: [1, 0.62, 0.45],
    mountains: [0.22, 0.19, 0.3],
    ground: [0.08, 0.07, 0.1],
    clouds: 0.45,
    sunHeight: 0.03,
  },
  // clear day
  {
    skyTop: [0.2, 0.43, 0.8],
    skyHorizon: [0.7, 0.82, 0.93],
    sun: [1, 1, 0.92],
    mountains: [0.36, 0.45, 0.56],
    ground: [0.2, 0.32, 0.14],
    clouds: 0.5,
    sunHeight: 0.3,
  },
  // mist
  {
    skyTop: [0.52, 0.58, 0.65],
    skyHorizon: [0.86, 0.87, 0.87],
    sun: [1, 0.97, 0.9],
    mountains: [0.46, 0.5, 0.53],
    ground: [0.22, 0.26, 0.22],
    clouds: 0.85,
    sunHeight: 0.2,
  },
];

/**
 * The scene for an image of `width`×`height` pixels, at 1/{@link sceneScale} of that size (at
 * least 1×1), from a 32-byte `seed`: the same seed and size give the same bytes.
 */
export function drawScene(width: number, height: number, seed: Uint8Array): RawImage {
  const scale = sceneScale(width, height);
  const lw = Math.max(1, Math.ceil(width / scale));
  const lh = Math.max(1, Math.ceil(height / scale));
  const byte = (i: number) => seed[i % seed.length]! / 256;
  const noise = valueNoise(seededRandom(seed, 24));
  const base = PALETTES[seed[0]! % PALETTES.length]!;
  // A tint per seed, so two scenes of the same time of day still differ in colour.
  const tint: Rgb = [0.9 + 0.2 * byte(1), 0.9 + 0.2 * byte(2), 0.9 + 0.2 * byte(3)];
  const p = {
    ...base,
    skyTop: mul(base.skyTop, tint),
    skyHorizon: mul(base.skyHorizon, tint),
    mountains: mul(base.mountains, tint),
    ground: mul(base.ground, tint),
  };

  // Lengths in units of the longer side, so features keep their shape whatever the aspect ratio.
  const unit = Math.max(width, height);
  const horizon = 0.5 + 0.18 * byte(4);
  const sunU = 0.15 + 0.7 * byte(5);
  const sunV = horizon - p.sunHeight - 0.05 * byte(6);
  const cloudiness = p.clouds * (0.6 + 0.8 * byte(7));

  // Each ridge depends on x alone: computed once per column. Far ridges are higher and hazier.
  const ridges = [0, 1, 2].map((layer) => {
    const top = new Float32Array(lw);
    const rise = [0.13, 0.09, 0.05][layer]!;
    const level = horizon + [-0.02, 0.06, 0.16][layer]!;
    for (let x = 0; x < lw; x++) {
      const X = (x * scale) / unit;
      top[x] =
        level -
        rise * 2 * (fractal(noise, X * (2.5 + layer * 1.5) + layer * 41.7, 100 + layer * 7.3, 5) - 0.5) -
        rise * 0.4;
    }
    return top;
  });
  const haze = [0.65, 0.4, 0.12];
  const layerColour: Rgb[] = [0, 1, 2].map((layer) =>
    mix(layer === 2 ? p.ground : p.mountains, p.skyHorizon, haze[layer]!),
  );

  const data = Buffer.alloc(lw * lh * 3);
  const colour: [number, number, number] = [0, 0, 0];
  for (let y = 0; y < lh; y++) {
    const v = (y + 0.5) / lh;
    const Y = (y * scale) / unit;
    for (let x = 0; x < lw; x++) {
      const u = (x + 0.5) / lw;
      const X = (x * scale) / unit;
      sky(colour, p, v / horizon, fractal(noise, X * 2.2, Y * 6, 6), cloudiness);
      // The sun: a soft glow and a bright disc, measured in units of the longer side.
      const dx = ((u - sunU) * width) / unit;
      const dy = ((v - sunV) * height) / unit;
      const d2 = dx * dx + dy * dy;
      const glow = 0.55 * Math.exp(-d2 * 22) + 0.6 * smoothstep(0.0016, 0.0009, d2);
      for (let c = 0; c < 3; c++) colour[c] = colour[c]! + p.sun[c]! * glow;

      for (let layer = 0; layer < 3; layer++) {
        // Coverage over one scene pixel: ridge lines come out anti-aliased once enlarged.
        const cover = clamp01((v - ridges[layer]![x]!) * lh + 0.5);
        if (cover === 0) continue;
        const depth = clamp01((v - ridges[layer]![x]!) / 0.35);
        // Texture grows stronger and finer with nearness, as haze hides the far detail.
        const strength = [0.2, 0.45, 0.9][layer]!;
        const texture = 1 - strength / 2 + strength * fractal(noise, X * (12 + layer * 16), Y * (12 + layer * 16), 4);
        // Nearer ground is darker towards the bottom; the glow of the sun lights the ridge tops.
        const shade = texture * (1 - 0.45 * depth * (layer / 2)) + 0.25 * Math.exp(-d2 * 14) * (1 - depth);
        for (let c = 0; c < 3; c++) colour[c] = colour[c]! + (layerColour[layer]![c]! * shade - colour[c]!) * cover;
      }
      const cu = u - 0.5;
      const cv = v - 0.5;
      const vignette = 1 - 0.5 * (cu * cu + cv * cv);
      const i = (y * lw + x) * 3;
      data[i] = toByte(colour[0] * vignette);
      data[i + 1] = toByte(colour[1] * vignette);
      data[i + 2] = toByte(colour[2] * vignette);
    }
  }
  return { data, width: lw, height: lh };
}

/** The sky at `t` (0 at the top, 1 at the horizon) into `out`, with clouds where `cloud` is high. */
function sky(out: [number, number, number], p: Palette, t: number, cloud: number, cloudiness: number): void {
  const k = Math.min(1, t) ** 1.6;
  const amount =
    smoothstep(0.62 - 0.2 * cloudiness, 0.8, cloud) * Math.min(1, cloudiness) * (0.35 + 0.65 * Math.min(1, t));
  for (let c = 0; c < 3; c++) {
    const clear = p.skyTop[c]! + (p.skyHorizon[c]! - p.skyTop[c]!) * k;
    // Clouds take the horizon's light, brighter at their thick middles.
    const lit = 0.55 * p.skyHorizon[c]! + 0.45 * p.sun[c]! * (0.7 + 0.6 * (cloud - 0.5));
    out[c] = clear + (lit - clear) * amount;
  }
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function mul(a: Rgb, b: Rgb): Rgb {
  return [a[0] * b[0], a[1] * b[1], a[2] * b[2]];
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = clamp01((x - edge0) / (edge1 - edge0));
  return t * t * (3 - 2 * t);
}

function clamp01(x: number): number {
  return Math.min(Math.max(x, 0), 1);
}

function toByte(x: number): number {
  return x <= 0 ? 0 : x >= 1 ? 255 : Math.round(x * 255);
}
