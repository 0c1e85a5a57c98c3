/**
 * The realistic profile's images: each model's documented size, 1–4 MB, photo-like (they do not
 * compress), deterministic, the caption drawn; and the placeholder profile unchanged beside it.
 * Latencies are removed here (latencyScale 0); latency.test.ts covers them.
 */
import { MODELS } from '@genimix/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { type ImageSize, REALISTIC_MODELS, realisticImageSize, renderImage, renderRealistic } from '../src/index.js';
import { PANEL_PADDING, renderCaption } from '../src/text.js';
import { generatedBytes, MODEL, PROMPT, startEmulator } from './helpers.js';

const MB = 1_000_000;

/** A prompt for which DALL·E 3 picks `size`: the first of "prompt 0", "prompt 1", ... */
function promptFor(size: ImageSize): string {
  for (let i = 0; ; i++) {
    const prompt = `A lighthouse in a storm, take ${i}`;
    const picked = realisticImageSize({ provider: 'openai', modelId: 'dall-e-3', prompt });
    if (picked.width === size.width && picked.height === size.height) return prompt;
  }
}

describe('the realistic profile', () => {
  it('lists every available model of the catalog, with sizes and a latency', () => {
    const available = MODELS.filter((m) => m.available).map((m) => `${m.provider}/${m.modelId}`);
    expect(REALISTIC_MODELS.map((m) => `${m.provider}/${m.modelId}`)).toEqual(available);
    for (const m of REALISTIC_MODELS) {
      expect(m.sizes.length).toBeGreaterThan(0);
      expect(m.latencyMs).toBeGreaterThan(0);
    }
    expect(REALISTIC_MODELS.find((m) => m.modelId === 'dall-e-3')!.sizes).toEqual([
      { width: 1024, height: 1024 },
      { width: 1792, height: 1024 },
      { width: 1024, height: 1792 },
    ]);
  });

  // One image per size each model returns: DALL·E 3's three, the others' one.
  const cases = REALISTIC_MODELS.flatMap((m) =>
    m.sizes.map((size) => ({
      ...size,
      provider: m.provider,
      modelId: m.modelId,
      prompt: m.sizes.length === 1 ? PROMPT : promptFor(size),
    })),
  );
  for (const c of cases) {
    it(`${c.provider}/${c.modelId}: a ${c.width}×${c.height} RGB PNG of 1–4 MB that does not compress`, async () => {
      const emulator = await startEmulator({ profile: 'realistic', latencyScale: 0 });
      const input = { provider: c.provider, modelId: c.modelId, prompt: c.prompt };
      const bytes = await generatedBytes(emulator, 'photo', input);
      expect(await sharp(bytes).metadata()).toMatchObject({
        format: 'png',
        width: c.width,
        height: c.height,
        channels: 3,
      });
      expect(bytes.length).toBeGreaterThanOrEqual(1 * MB);
      expect(bytes.length).toBeLessThanOrEqual(4 * MB);
      // Photo-like: the grain leaves deflate little to take (flat colour would shrink to a few per cent).
      expect(bytes.length / (c.width * c.height * 3)).toBeGreaterThan(0.3);
      // And like a photo, not like noise: its pixels vary, around a picture.
      const stats = await sharp(bytes).stats();
      for (const channel of stats.channels) expect(channel.stdev).toBeGreaterThan(8);
    });
  }

  it('gives byte-identical images for the same provider, model and prompt, across emulators, equal to renderRealistic', async () => {
    const first = await startEmulator({ profile: 'realistic', latencyScale: 0 });
    const second = await startEmulator({ profile: 'realistic', latencyScale: 0 });
    const input = { provider: 'openai', modelId: 'dall-e-2', prompt: PROMPT };
    const a = await generatedBytes(first, 'one', input);
    const b = await generatedBytes(second, 'two', input);
    expect(b.equals(a)).toBe(true);
    expect((await renderRealistic(input)).equals(a)).toBe(true);
  });

  it('gives another image for another prompt, and another for the same prompt with another model', async () => {
    const base = await renderRealistic({ ...MODEL, prompt: PROMPT });
    const otherPrompt = await renderRealistic({ ...MODEL, prompt: `${PROMPT}!` });
    const otherModel = await renderRealistic({
      provider: 'google',
      modelId: 'gemini-2.0-flash-preview-image-generation',
      prompt: PROMPT,
    });
    expect(otherPrompt.equals(base)).toBe(false);
    expect(otherModel.equals(base)).toBe(false);
  });

  it('draws the caption on a dark panel in the middle', async () => {
    const input = { ...MODEL, prompt: 'A quiet harbour' };
    const bytes = await renderRealistic(input);
    const caption = await renderCaption(input, 1024 - 224, 1024 - 224);
    // The panel's top edge: 40 px above the caption. A band just inside it against one just
    // outside, 16 px high and 128 px wide at the middle: the panel takes 42% of the light.
    const panelTop = Math.round((1024 - caption.height) / 2) - PANEL_PADDING;
    const brightness = async (top: number) => {
      // stats() reads its input, not the pipeline's output: extract into a buffer first.
      const band = await sharp(bytes).extract({ left: 448, top, width: 128, height: 16 }).png().toBuffer();
      const { channels } = await sharp(band).stats();
      return channels.reduce((sum, c) => sum + c.mean, 0) / channels.length;
    };
    expect(await brightness(panelTop + 4)).toBeLessThan((await brightness(panelTop - 20)) * 0.8);
  });

  it('takes the longest prompt and markup characters', async () => {
    for (const prompt of ['x'.repeat(4000), '<b>bold</b> & "quotes" </span>']) {
      const bytes = await renderRealistic({ provider: 'openai', modelId: 'dall-e-3', prompt });
      expect((await sharp(bytes).metadata()).format).toBe('png');
    }
  });
});

describe('the default profile', () => {
  it('is the placeholder: the same bytes as renderImage, 1024×1024 and small, at once', async () => {
    const emulator = await startEmulator();
    const input = { ...MODEL, prompt: PROMPT };
    const bytes = await generatedBytes(emulator, 'flat', input);
    expect(bytes.equals(await renderImage(input))).toBe(true);
    expect(await sharp(bytes).metadata()).toMatchObject({ width: 1024, height: 1024 });
    expect(bytes.length).toBeLessThan(300 * 1024);
    expect((await startEmulator({ profile: 'placeholder' })).url).toMatch(/^http:/);
  });
});
