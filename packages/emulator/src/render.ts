import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import sharp from 'sharp';

/** What a generated image depends on, and all it depends on. */
export interface RenderInput {
  readonly provider: string;
  readonly modelId: string;
  readonly prompt: string;
}

/** Width and height of every generated image, in pixels. */
export const IMAGE_SIZE = 1024;

/** The longest prompt excerpt drawn on an image, in characters; longer prompts end in "…". */
export const MAX_DRAWN_PROMPT_CHARS = 280;

// The font ships with the package, so the text looks the same with or without system fonts.
const FONT_FILE = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
const MARGIN = 72;
const PADDING = 40;
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
  const hash = createHash('sha256').update(JSON.stringify([input.provider, input.modelId, input.prompt]), 'utf8').digest();
  const text = await renderText(input);
  const background = Buffer.from(backgroundSvg(hash, text.width + 2 * PADDING, text.height + 2 * PADDING));
  return sharp(background)
    .composite([{ input: text.data, left: Math.round((IMAGE_SIZE - text.width) / 2), top: Math.round((IMAGE_SIZE - text.height) / 2) }])
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** The prompt and the model line as one transparent PNG, at most TEXT_BOX pixels each way. */
async function renderText(input: RenderInput): Promise<{ data: Buffer; width: number; height: number }> {
  const prompt = excerpt(input.prompt);
  const chars = [...prompt].length;
  const promptPt = chars <= 60 ? 60 : chars <= 140 ? 46 : 36;
  const markup =
    `<span foreground="#ffffff" size="${promptPt * 1024}">${escapeMarkup(prompt)}</span>\n` +
    `<span size="${14 * 1024}"> </span>\n` +
    `<span foreground="#e6e6e6" size="${24 * 1024}">${escapeMarkup(`${clean(input.provider)} / ${clean(input.modelId)}`)}</span>`;
  const rendered = await sharp({
    text: {
      text: markup,
      font: 'DejaVu Sans',
      fontfile: FONT_FILE,
      rgba: true,
      width: TEXT_BOX,
      dpi: 72,
      // "word" alone never breaks a word, and one long enough (a URL, a hash) would make the
      // text wider than the image; "word-char" breaks such a word only.
      wrap: 'word-char',
      align: 'centre',
    },
  })
    .png()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = rendered.info;
  if (width <= TEXT_BOX && height <= TEXT_BOX) return { data: rendered.data, width, height };
  const fitted = await sharp(rendered.data)
    .resize(TEXT_BOX, TEXT_BOX, { fit: 'inside' })
    .png()
    .toBuffer({ resolveWithObject: true });
  return { data: fitted.data, width: fitted.info.width, height: fitted.info.height };
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
<rect x="${panelX}" y="${panelY}" width="${panelW}" height="${panelH}" rx="28" fill="#000000" fill-opacity="0.42"/>
</svg>`;
}

/** The prompt as drawn: whitespace runs as one space, cut at a word near {@link MAX_DRAWN_PROMPT_CHARS}. */
function excerpt(prompt: string): string {
  const chars = [...clean(prompt)];
  if (chars.length <= MAX_DRAWN_PROMPT_CHARS) return chars.join('');
  const cut = chars.slice(0, MAX_DRAWN_PROMPT_CHARS).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > MAX_DRAWN_PROMPT_CHARS - 40 ? cut.slice(0, space) : cut}…`;
}

/**
 * Text safe to hand to Pango: control characters and whitespace runs as one space, lone
 * surrogates and XML non-characters as U+FFFD (Pango refuses the whole markup otherwise).
 */
function clean(text: string): string {
  return text
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|[\uFFFE\uFFFF]/g, '\uFFFD')
    .trim();
}

/** Escapes the characters Pango markup (XML) gives meaning to. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
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
