import { checkId, createImageId, ID_PATTERN, MODELS, findModel, resolveUploadContentType, sniffImageType } from '@genimix/core';
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
  it('lists the documentation\'s seven models, available ones first', () => {
    expect(MODELS).toHaveLength(7);
    expect(MODELS.filter((m) => m.available).map((m) => m.modelId)).toEqual(['imagen-3.0-generate-002', 'gemini-2.0-flash-preview-image-generation', 'dall-e-3', 'dall-e-2']);
    expect(findModel('openai', 'dall-e-3')?.costTokens).toBe(16);
    expect(findModel('stability', 'stable-image-sd3')?.available).toBe(false);
  });
});
