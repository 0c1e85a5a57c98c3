import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  call,
  errorMessage,
  generate,
  generatedBytes,
  MODEL,
  PROMPT,
  sampleImage,
  startEmulator,
  upload,
} from './helpers.js';

describe('PUT /v1/:projectId/generate/:imageId', () => {
  it("answers the contract's success body with the image URL, and stores a PNG there", async () => {
    const emulator = await startEmulator();
    const response = await generate(emulator, 'my-project', 'generated-id', { ...MODEL, prompt: PROMPT });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { imageUrl: string };
    expect(body).toEqual({
      success: true,
      message: 'Image generated successfully',
      imageUrl: `${emulator.url}/v1/my-project/image/generated-id`,
    });
    const image = await call(emulator, 'GET', new URL(body.imageUrl).pathname);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');
  });

  it('draws a real 1024×1024 PNG of modest size', async () => {
    const emulator = await startEmulator();
    const bytes = await generatedBytes(emulator, 'a', { ...MODEL, prompt: PROMPT });
    const metadata = await sharp(bytes).metadata();
    expect(metadata).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    expect(bytes.length).toBeLessThan(300 * 1024);
  });

  it('gives byte-identical images for the same provider, model and prompt, even across emulators', async () => {
    const first = await startEmulator();
    const second = await startEmulator();
    const a = await generatedBytes(first, 'one', { ...MODEL, prompt: PROMPT });
    const b = await generatedBytes(first, 'two', { ...MODEL, prompt: PROMPT });
    const c = await generatedBytes(second, 'three', { ...MODEL, prompt: PROMPT });
    expect(b.equals(a)).toBe(true);
    expect(c.equals(a)).toBe(true);
  });

  it('gives another image for another prompt or model', async () => {
    const emulator = await startEmulator();
    const base = await generatedBytes(emulator, 'base', { ...MODEL, prompt: PROMPT });
    const otherPrompt = await generatedBytes(emulator, 'prompt', { ...MODEL, prompt: `${PROMPT}!` });
    const otherModel = await generatedBytes(emulator, 'model', {
      provider: 'openai',
      modelId: 'dall-e-3',
      prompt: PROMPT,
    });
    expect(otherPrompt.equals(base)).toBe(false);
    expect(otherModel.equals(base)).toBe(false);
  });

  it('draws prompts with markup characters, odd whitespace and the longest length', async () => {
    const emulator = await startEmulator();
    for (const prompt of [
      '<b>bold</b> & "quotes" \'single\' </span>',
      'tab\there\nnew line \u0007 bell',
      'x'.repeat(4000),
      'word '.repeat(800),
    ]) {
      const bytes = await generatedBytes(emulator, 'odd', { ...MODEL, prompt });
      expect(await sharp(bytes).metadata()).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    }
  });

  it('replaces an uploaded image under the same id', async () => {
    const emulator = await startEmulator();
    expect((await upload(emulator, 'demo', 'same', await sampleImage('jpeg'), 'image/jpeg')).status).toBe(200);
    expect((await generate(emulator, 'demo', 'same', { ...MODEL, prompt: PROMPT })).status).toBe(200);
    expect((await emulator.store.get('demo', 'same'))?.contentType).toBe('image/png');
  });

  it('accepts every available model of the catalog', async () => {
    const emulator = await startEmulator();
    for (const model of [
      { provider: 'google', modelId: 'imagen-3.0-generate-002' },
      { provider: 'google', modelId: 'gemini-2.0-flash-preview-image-generation' },
      { provider: 'openai', modelId: 'dall-e-3' },
      { provider: 'openai', modelId: 'dall-e-2' },
    ]) {
      expect((await generate(emulator, 'demo', 'm', { ...model, prompt: 'a cat' })).status, model.modelId).toBe(200);
    }
  });

  describe('refuses with 400 and stores nothing', () => {
    const cases: Array<[string, unknown, RegExp, Record<string, string>?]> = [
      ['a body that is not JSON', '{"provider": "google",', /JSON/],
      ['an empty body', '', /empty/],
      ['a JSON array', [MODEL.provider, MODEL.modelId, PROMPT], /JSON object/],
      ['JSON null', 'null', /JSON object/],
      ['a missing prompt', { ...MODEL }, /prompt/],
      ['a prompt of the wrong type', { ...MODEL, prompt: 42 }, /prompt/],
      ['a blank prompt', { ...MODEL, prompt: '   \n ' }, /prompt is empty/],
      ['a prompt over 4,000 characters', { ...MODEL, prompt: 'x'.repeat(4001) }, /4001 characters.*4000/],
      ['a missing provider', { modelId: MODEL.modelId, prompt: PROMPT }, /provider/],
      ['a missing modelId', { provider: MODEL.provider, prompt: PROMPT }, /modelId/],
      ['an unknown provider', { provider: 'acme', modelId: MODEL.modelId, prompt: PROMPT }, /Unknown model.*acme/],
      ['an unknown modelId', { provider: 'openai', modelId: 'dall-e-9', prompt: PROMPT }, /Unknown model.*dall-e-9/],
      [
        'a model of another provider',
        { provider: 'google', modelId: 'dall-e-3', prompt: PROMPT },
        /belongs to provider "openai"/,
      ],
      [
        'a "coming soon" model',
        { provider: 'stability', modelId: 'stable-image-ultra', prompt: PROMPT },
        /not available yet/,
      ],
      [
        'a body without Content-Type: application/json',
        { ...MODEL, prompt: PROMPT },
        /application\/json/,
        { 'Content-Type': 'text/plain' },
      ],
    ];
    for (const [name, body, message, headers] of cases) {
      it(name, async () => {
        const emulator = await startEmulator();
        const response = await generate(emulator, 'demo', 'x', body, headers ? { headers } : {});
        expect(response.status).toBe(400);
        expect(await errorMessage(response)).toMatch(message);
        expect(await emulator.store.has('demo', 'x')).toBe(false);
      });
    }
  });

  it("refuses invalid ids with core checkId's message", async () => {
    const emulator = await startEmulator();
    const badImage = await generate(emulator, 'demo', 'bad%20id', { ...MODEL, prompt: PROMPT });
    expect(badImage.status).toBe(400);
    expect(await errorMessage(badImage)).toMatch(/^imageId "bad id" contains " "/);
    const badProject = await generate(emulator, 'my%20project', 'x', { ...MODEL, prompt: PROMPT });
    expect(badProject.status).toBe(400);
    expect(await errorMessage(badProject)).toMatch(/^projectId "my project" contains " "/);
  });
});
