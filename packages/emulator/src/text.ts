/**
 * The caption every generated image carries, whatever the profile: the prompt and
 * "provider / modelId", so a person looking at an image can tell which request made it.
 */
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RenderInput } from './render.js';

/** The longest prompt excerpt drawn on an image, in characters; longer prompts end in "…". */
export const MAX_DRAWN_PROMPT_CHARS = 280;

/** Room between the caption and the edge of its dark panel, in pixels. */
export const PANEL_PADDING = 40;

// The font ships with the package (fonts/, DejaVu Sans 2.37 with its licence), so the text looks the
// same with or without system fonts. It is the one face drawn: depending on dejavu-fonts-ttf added
// its other 21 faces (12 MB) to every install. src/ and dist/ sit at the same depth.
const FONT_FILE = fileURLToPath(new URL('../fonts/DejaVuSans.ttf', import.meta.url));

/** A caption drawn by {@link renderCaption}: a transparent PNG and its size in pixels. */
export interface Caption {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/**
 * The prompt (cut to {@link MAX_DRAWN_PROMPT_CHARS} characters) and the model line as one
 * transparent PNG, wrapped at `boxWidth` pixels and shrunk to fit `boxWidth`×`boxHeight`.
 *
 * @throws sharp's error when rendering fails (not expected for any valid input)
 */
export async function renderCaption(input: RenderInput, boxWidth: number, boxHeight: number): Promise<Caption> {
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
      width: boxWidth,
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
  if (width <= boxWidth && height <= boxHeight) return { data: rendered.data, width, height };
  const fitted = await sharp(rendered.data)
    .resize(boxWidth, boxHeight, { fit: 'inside' })
    .png()
    .toBuffer({ resolveWithObject: true });
  return { data: fitted.data, width: fitted.info.width, height: fitted.info.height };
}

/** The SVG element of the dark, rounded panel behind a caption, at `x`,`y` (already formatted). */
export function panelRect(x: string, y: string, width: number, height: number): string {
  return `<rect x="${x}" y="${y}" width="${width}" height="${height}" rx="28" fill="#000000" fill-opacity="0.42"/>`;
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
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}
