/**
 * The `realistic` profile's generated image: a photo-like picture (photo.ts) of the model's size,
 * with the same caption as the placeholder's, so a person can still tell which request made it.
 */
import sharp from 'sharp';
import { inputHash, type RenderInput } from '../render.js';
import { PANEL_PADDING, panelRect, renderCaption } from '../text.js';
import { realisticImageSize } from './models.js';
import { encodePhoto, photoPixels } from './photo.js';

/** The caption keeps this far from the image's edges, in pixels (its panel, {@link PANEL_PADDING} less). */
const MARGIN = 112;

/**
 * Draws a generated image as the real model would size it: a PNG of
 * {@link realisticImageSize}`(input)` (1024×1024, or for DALL·E 3 1792×1024 or 1024×1792), a
 * landscape with film grain seeded from the SHA-256 of provider, modelId and prompt, with the
 * prompt and "provider / modelId" on a dark panel in the middle. 1–4 MB (about 1.7 bytes a pixel:
 * 1.8 MB at 1024×1024, 3.1 MB at 1792×1024), in some 0.2–0.4 s. The same input gives the same
 * bytes; any other input gives another image.
 *
 * @throws sharp's error when rendering fails (not expected for any valid input)
 */
export async function renderRealistic(input: RenderInput): Promise<Buffer> {
  const { width, height } = realisticImageSize(input);
  const [pixels, caption] = await Promise.all([
    photoPixels(width, height, inputHash(input)),
    renderCaption(input, width - 2 * MARGIN, height - 2 * MARGIN),
  ]);
  const panelWidth = caption.width + 2 * PANEL_PADDING;
  const panelHeight = caption.height + 2 * PANEL_PADDING;
  const panel = `<svg xmlns="http://www.w3.org/2000/svg" width="${panelWidth}" height="${panelHeight}">${panelRect('0', '0', panelWidth, panelHeight)}</svg>`;
  const captioned = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .composite([
      {
        input: Buffer.from(panel),
        left: Math.round((width - panelWidth) / 2),
        top: Math.round((height - panelHeight) / 2),
      },
      {
        input: caption.data,
        left: Math.round((width - caption.width) / 2),
        top: Math.round((height - caption.height) / 2),
      },
    ])
    .raw()
    .toBuffer({ resolveWithObject: true });
  // Compositing adds an alpha channel, all opaque; a photo has none (and it would cost 12% more bytes).
  return encodePhoto(
    sharp(captioned.data, { raw: { width, height, channels: captioned.info.channels } }).removeAlpha(),
    'png',
  );
}
