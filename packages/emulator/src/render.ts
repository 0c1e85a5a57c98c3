import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { MAX_DRAWN_PROMPT_CHARS, PANEL_PADDING as PADDING, panelRect, renderCaption } from './text.js';

/** What a generated image depends on, and all it depends on. */
export interface RenderInput {
  readonly provider: string;
  readonly modelId: string;
  readonly prompt: string;
}

/** Width and height of every generated image, in pixels. */
export const IMAGE_SIZE = 1024;

const MARGIN = 72;
const TEXT_BOX = IMAGE_SIZE - 2 * (MARGIN + PADDING);

/**
 * Draws the stand-in for a generated image: a 1024×1024 PNG (some 50–150 KB) whose gradient and
 * shapes come from the SHA-256 of provider, modelId and prompt, with the prompt (cut to
 * {@link MAX_DRAWN_PROMPT_CHARS} characters) and "provider / modelId" written on it. The same
 * input gives the same bytes; any other input gives another image.
 *
 * @throws sharp's error when rendering fails (not expected for any valid input)
 */
export async function renderImage(input: RenderInput): Promise<Buffer> {
  const hash = inputHash(input);
  const text = await renderCaption(input, TEXT_BOX, TEXT_BOX);
  const background = Buffer.from(backgroundSvg(hash, text.width + 2 * PADDING, text.height + 2 * PADDING));
  return sharp(background)
    .composite([
      {
        input: text.data,
        left: Math.round((IMAGE_SIZE - text.width) / 2),
        top: Math.round((IMAGE_SIZE - text.height) / 2),
      },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/**
 * The SHA-256 of provider, modelId and prompt: the seed of everything a generated image shows, in
 * every profile, so that the same request always gives the same image.
 */
export function inputHash(input: RenderInput): Buffer {
  return createHash('sha256')
    .update(JSON.stringify([input.provider, input.modelId, input.prompt]), 'utf8')
    .digest();
}

/** The SVG background: a two-colour gradient, five translucent shapes, and a dark panel of `panelW`×`panelH` px behind the text. */
function backgroundSvg(hash: Buffer, panelW: number, panelH: number): string {
  const byte = (i: number) => hash[i % hash.length]!;
  const hue = (byte(0) * 360) / 256;
  const from = hsl(hue, 55 + (byte(1) % 25), 28 + (byte(2) % 14));
  const to = hsl((hue + 90 + (byte(3) % 120)) % 360, 55 + (byte(4) % 25), 36 + (byte(5) % 16));
  const angle = (byte(6) * 360) / 256;
  const shapes: string[] = [];
  for (let s = 0; s < 5; s++) {
    const b = (k: number) => byte(7 + s * 5 + k);
    const x = (b(1) * IMAGE_SIZE) / 256;
    const y = (b(2) * IMAGE_SIZE) / 256;
    const size = 80 + (b(3) % 200);
    const fill = `fill="${hsl((hue + b(4) * 1.4) % 360, 70, 62)}" fill-opacity="0.35"`;
    const kind = b(0) % 3;
    if (kind === 0) {
      shapes.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${size}" ${fill}/>`);
    } else if (kind === 1) {
      shapes.push(
        `<rect x="${(x - size).toFixed(1)}" y="${(y - size / 2).toFixed(1)}" width="${2 * size}" height="${size}" rx="24" ${fill} transform="rotate(${b(4) % 90} ${x.toFixed(1)} ${y.toFixed(1)})"/>`,
      );
    } else {
      const points = [0, 120, 240].map((deg) => {
        const rad = ((deg + b(4)) * Math.PI) / 180;
        return `${(x + size * Math.cos(rad)).toFixed(1)},${(y + size * Math.sin(rad)).toFixed(1)}`;
      });
      shapes.push(`<polygon points="${points.join(' ')}" ${fill}/>`);
    }
  }
  const panelX = ((IMAGE_SIZE - panelW) / 2).toFixed(1);
  const panelY = ((IMAGE_SIZE - panelH) / 2).toFixed(1);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${IMAGE_SIZE}" height="${IMAGE_SIZE}">
<defs><linearGradient id="bg" gradientTransform="rotate(${angle.toFixed(1)} 0.5 0.5)"><stop offset="0" stop-color="${from}"/><stop offset="1" stop-color="${to}"/></linearGradient></defs>
<rect width="${IMAGE_SIZE}" height="${IMAGE_SIZE}" fill="url(#bg)"/>
${shapes.join('\n')}
${panelRect(panelX, panelY, panelW, panelH)}
</svg>`;
}

/** An HSL colour (hue in degrees, saturation and lightness in percent) as `#rrggbb`. */
function hsl(h: number, s: number, l: number): string {
  const sat = s / 100;
  const light = l / 100;
  const a = sat * Math.min(light, 1 - light);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const v = light - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(v * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}
