import {
  checkId,
  checkPrompt,
  createImageId,
  findModel,
  GenimixClient,
  GenimixValidationError,
  ID_PATTERN,
  MODELS,
  resolveUploadContentType,
  sniffImageType,
} from '@genimix/core';
import { describe, expect, it } from 'vitest';

describe('identifiers', () => {
  it.each(['a', 'A-Z_0.9', 'x'.repeat(128), '...', '.hidden'])('accepts %s', (id) => {
    expect(checkId('imageId', id)).toBe(id);
  });
  it.each(['', '.', '..', 'a/b', '../x', 'a b', 'é', 'a%2Fb', 'x'.repeat(129)])('refuses %j', (id) => {
    expect(() => checkId('imageId', id)).toThrow(/imageId/);
  });
  it('makes fresh ids that are valid and unique', () => {
    const ids = new Set(Array.from({ length: 100 }, createImageId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(ID_PATTERN.test(id)).toBe(true);
  });
});

describe('image types', () => {
  it('sniffs the four accepted types from their magic bytes', () => {
    expect(sniffImageType(Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))).toBe('image/png');
    expect(sniffImageType(Buffer.from('ffd8ffe000104a464946', 'hex'))).toBe('image/jpeg');
    expect(sniffImageType(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('image/webp');
    expect(sniffImageType(Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'))).toBe('image/gif');
    expect(sniffImageType(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'))).toBeUndefined();
    expect(sniffImageType(Buffer.from('%PDF-1.7'))).toBeUndefined();
  });
  it('reads image/jpg as image/jpeg and ignores parameters', () => {
    const jpeg = Buffer.from('ffd8ffe000104a464946', 'hex');
    expect(resolveUploadContentType(jpeg, 'image/jpg')).toBe('image/jpeg');
    expect(resolveUploadContentType(jpeg, 'IMAGE/JPEG; charset=binary')).toBe('image/jpeg');
  });
});

describe('model catalog', () => {
  it("lists the documentation's seven models, available ones first", () => {
    expect(MODELS).toHaveLength(7);
    expect(MODELS.filter((m) => m.available).map((m) => m.modelId)).toEqual([
      'imagen-3.0-generate-002',
      'gemini-2.0-flash-preview-image-generation',
      'dall-e-3',
      'dall-e-2',
    ]);
    expect(findModel('openai', 'dall-e-3')?.costTokens).toBe(16);
    expect(findModel('stability', 'stable-image-sd3')?.available).toBe(false);
  });
});

describe('client options', () => {
  it.each([
    ['timeoutMs', { timeoutMs: 2 ** 31 }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['timeoutMs', { timeoutMs: Number.NaN }],
    ['timeoutMs', { timeoutMs: 1.5 }],
    ['maxBytes', { maxBytes: -1 }],
    ['maxBytes', { maxBytes: Number.NaN }],
    ['maxBytes', { maxBytes: 'abc' }],
  ])('refuses %s in %j before sending', async (field, options) => {
    const client = new GenimixClient({ apiKey: 'k', projectId: 'p', baseUrl: 'http://127.0.0.1:9' });
    await expect(client.getImage({ imageId: 'i' }, options as never)).rejects.toMatchObject({ field });
  });

  it.each(['dev secret', 'secret\n', 'sécret', 'secret🔑', ' '])(
    'refuses the API key %j without repeating it',
    (apiKey) => {
      const error = (() => {
        try {
          new GenimixClient({ apiKey, projectId: 'p' });
        } catch (e) {
          return e as GenimixValidationError;
        }
        throw new Error('accepted');
      })();
      expect(error.field).toBe('apiKey');
      if (apiKey.trim()) expect(error.message).not.toContain(apiKey.trim());
    },
  );
});

describe('the project id', () => {
  it.each([
    ['the key itself', 'sk_test_swapped_0123456789'],
    ['the key in another letter case', 'SK_TEST_SWAPPED_0123456789'],
    ['the key in its quotes', '"sk_test_swapped_0123456789"'],
    ['the key after a project id', 'my-project-sk_test_swapped_0123456789'],
  ])('refuses %s, the settings swapped, without repeating it', (_name, projectId) => {
    const apiKey = 'sk_test_swapped_0123456789';
    let error: GenimixValidationError | undefined;
    try {
      new GenimixClient({ apiKey, projectId });
    } catch (e) {
      error = e as GenimixValidationError;
    }
    expect(error).toBeInstanceOf(GenimixValidationError);
    expect(error!.field).toBe('projectId');
    expect(error!.message).toMatch(/^projectId holds the API key: set it to the project id/);
    expect(error!.message.toLowerCase()).not.toContain(apiKey.toLowerCase());
  });

  it('takes a project id that merely contains a short key (the emulator’s dev-key)', () => {
    expect(new GenimixClient({ apiKey: 'dev-key', projectId: 'my-dev-key-project' }).projectId).toBe(
      'my-dev-key-project',
    );
  });
});

describe('prompts', () => {
  it.each(['\u200B\u200B', '\u0085', '\u0000', '\uFEFF '])('refuses a prompt of nothing visible: %j', (prompt) => {
    expect(() => checkPrompt(prompt)).toThrow(/prompt is empty/);
  });
  it('counts characters, not UTF-16 units: 4,000 emoji pass', () => {
    expect(checkPrompt('🦊'.repeat(4000))).toHaveLength(8000);
    expect(() => checkPrompt('🦊'.repeat(4001))).toThrow(/4001/);
  });
});
