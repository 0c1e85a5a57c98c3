import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import {
  GenimixAuthenticationError,
  GenimixClient,
  GenimixError,
  GenimixNotFoundError,
  GenimixPermissionError,
  GenimixValidationError,
  MODELS,
} from '@genimix/core';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { countingTransport } from '../helpers/counting-transport.js';
import { PHOTO_HEIGHT, PHOTO_PATH, PHOTO_WIDTH, PNG_SIGNATURE, readPhoto, TINY_PNG } from '../helpers/images.js';

/** The photograph as an async generator of `size`-byte chunks. */
async function* chunked(size: number): AsyncGenerator<Uint8Array> {
  const photo = await readFile(PHOTO_PATH);
  for (let i = 0; i < photo.length; i += size) yield new Uint8Array(photo.subarray(i, i + size));
}

const API_KEY = 'sk_test_core_0123456789';
let emulator: Emulator;
let transport: ReturnType<typeof countingTransport>;
let client: GenimixClient;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: { [API_KEY]: ['core', 'other'], 'scoped-key': ['other'] } });
});
afterAll(async () => {
  await emulator.close();
});

beforeAll(() => {
  transport = countingTransport();
  client = new GenimixClient({ apiKey: API_KEY, projectId: 'core', baseUrl: emulator.url, transport });
});
afterEach(() => {
  transport.requests.length = 0;
});
afterAll(async () => {
  await transport.close?.();
});

describe('generate, get, upload, delete against the emulator', () => {
  it('generates an image, which Get then returns as a PNG', async () => {
    const model = MODELS[0]!;
    const result = await client.generateImage({
      imageId: 'gen-1',
      provider: model.provider,
      modelId: model.modelId,
      prompt: 'A red fox in the snow',
    });
    expect(result).toEqual({
      success: true,
      message: 'Image generated successfully',
      imageUrl: `${emulator.url}/v1/core/image/gen-1`,
    });

    const image = await client.getImage({ imageId: 'gen-1' });
    expect(image.contentType).toBe('image/png');
    expect(image.size).toBe(image.data.length);
    expect(Buffer.from(image.data.subarray(0, 8))).toEqual(PNG_SIGNATURE);
  });

  it('uploads a real photograph and gets the same bytes back with its type', async () => {
    const photo = await readPhoto();
    const result = await client.uploadImage({ imageId: 'photo', data: photo });
    expect(result).toEqual({
      success: true,
      message: 'Image uploaded successfully',
      imageUrl: `${emulator.url}/v1/core/image/photo`,
      contentType: 'image/jpeg',
      size: photo.length,
      width: PHOTO_WIDTH,
      height: PHOTO_HEIGHT,
    });
    expect(transport.requests.at(-1)?.headers['content-type']).toBe('image/jpeg');

    const back = await client.getImage({ imageId: 'photo' });
    expect(back.contentType).toBe('image/jpeg');
    expect(back.size).toBe(photo.length);
    expect(Buffer.from(back.data).equals(photo)).toBe(true);
  });

  it.each([
    ['a Blob', () => new Blob([TINY_PNG])],
    ['a ReadableStream', () => new Blob([TINY_PNG]).stream()],
    ['an ArrayBuffer', () => TINY_PNG.buffer.slice(TINY_PNG.byteOffset, TINY_PNG.byteOffset + TINY_PNG.length)],
    ['a Uint8Array', () => new Uint8Array(TINY_PNG)],
  ])('uploads data given as %s', async (_kind, data) => {
    await client.uploadImage({ imageId: 'tiny', data: data(), contentType: 'image/png' });
    const back = await client.getImage({ imageId: 'tiny' });
    expect(Buffer.from(back.data).equals(TINY_PNG)).toBe(true);
  });

  it.each([
    ['a Node file stream', () => createReadStream(PHOTO_PATH, { highWaterMark: 16 })],
    ['a Node file stream of one big chunk', () => createReadStream(PHOTO_PATH)],
    ['an async generator of small chunks', () => chunked(16)],
    ['a web ReadableStream of small chunks', () => ReadableStream.from(chunked(7))],
  ])('streams a photograph given as %s, and it comes back byte for byte', async (_kind, data) => {
    const photo = await readPhoto();
    await client.uploadImage({ imageId: 'streamed', data: data() });
    expect(transport.requests.at(-1)?.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.from((await client.getImage({ imageId: 'streamed' })).data).equals(photo)).toBe(true);
  });

  it('refuses a stream that is no image before sending anything', async () => {
    const error = await client
      .uploadImage({ imageId: 'text', data: Readable.from([Buffer.from('hello '), Buffer.from('world')]) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'data' });
    expect(transport.requests).toHaveLength(0);
  });

  it.each([
    ['bytes that are no image', { imageId: 'ok' }, () => createReadStream(new URL(import.meta.url))],
    ['a bad imageId', { imageId: '../x' }, () => createReadStream(PHOTO_PATH)],
    ['a refused connection', { imageId: 'ok' }, () => createReadStream(PHOTO_PATH), 'http://127.0.0.1:9'],
  ])('releases a file stream it refuses (%s)', async (_kind, params, open, baseUrl?: string) => {
    const stream = open();
    const target = baseUrl ? new GenimixClient({ apiKey: API_KEY, projectId: 'core', baseUrl }) : client;
    await expect(target.uploadImage({ ...params, data: stream })).rejects.toBeInstanceOf(GenimixError);
    expect(stream.destroyed).toBe(true);
  });

  it('replaces an image uploaded under the same id', async () => {
    await client.uploadImage({ imageId: 'replace-me', data: TINY_PNG });
    const photo = await readPhoto();
    await client.uploadImage({ imageId: 'replace-me', data: photo });
    expect((await client.getImage({ imageId: 'replace-me' })).size).toBe(photo.length);
  });

  it('deletes an image; Get and Delete then report it missing', async () => {
    await client.uploadImage({ imageId: 'doomed', data: TINY_PNG });
    expect(await client.deleteImage({ imageId: 'doomed' })).toEqual({ success: true, deleted: 'doomed' });
    await expect(client.getImage({ imageId: 'doomed' })).rejects.toBeInstanceOf(GenimixNotFoundError);
    await expect(client.deleteImage({ imageId: 'doomed' })).rejects.toBeInstanceOf(GenimixNotFoundError);
  });

  it('keeps projects apart, with projectId overridden per call', async () => {
    await client.uploadImage({ imageId: 'shared-name', data: TINY_PNG, projectId: 'other' });
    await expect(client.getImage({ imageId: 'shared-name' })).rejects.toBeInstanceOf(GenimixNotFoundError);
    expect((await client.getImage({ imageId: 'shared-name', projectId: 'other' })).size).toBe(TINY_PNG.length);
  });
});

describe('errors from the server', () => {
  it('a missing image is a GenimixNotFoundError with status, server message and request id', async () => {
    const error = await client.getImage({ imageId: 'never-was' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixNotFoundError);
    const notFound = error as GenimixNotFoundError;
    expect(notFound.status).toBe(404);
    expect(notFound.serverMessage).toMatch(/never-was/);
    expect(notFound.requestId).toMatch(/\S/);
    expect(notFound.message).toContain('404');
  });

  it('a wrong key is a GenimixAuthenticationError whose message does not contain the key', async () => {
    const wrongKey = 'sk_wrong_key_should_never_be_printed';
    const wrong = new GenimixClient({ apiKey: wrongKey, projectId: 'core', baseUrl: emulator.url });
    const error = await wrong.getImage({ imageId: 'gen-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixAuthenticationError);
    expect((error as GenimixAuthenticationError).status).toBe(401);
    expect(`${String(error)} ${inspect(error)} ${JSON.stringify(error)}`).not.toContain(wrongKey);
  });

  it('a key not allowed on a project is a GenimixPermissionError', async () => {
    const scoped = new GenimixClient({ apiKey: 'scoped-key', projectId: 'core', baseUrl: emulator.url });
    await expect(scoped.getImage({ imageId: 'gen-1' })).rejects.toBeInstanceOf(GenimixPermissionError);
  });

  it('the API key is not visible when the client is inspected or serialised', () => {
    expect(inspect(client, { showHidden: true, depth: 10 })).not.toContain(API_KEY);
    expect(JSON.stringify(client)).not.toContain(API_KEY);
  });
});

describe('inputs refused before anything is sent', () => {
  const generate = (over: Record<string, unknown>) =>
    client.generateImage({
      imageId: 'ok',
      provider: 'google',
      modelId: 'imagen-3.0-generate-002',
      prompt: 'A cat',
      ...over,
    } as never);

  it.each([
    ['imageId', '../x', () => client.getImage({ imageId: '../x' })],
    ['imageId', 'a/b', () => client.deleteImage({ imageId: 'a/b' })],
    ['imageId', '..', () => client.getImage({ imageId: '..' })],
    ['imageId', 'empty', () => client.getImage({ imageId: '' })],
    ['imageId', '129 characters', () => client.getImage({ imageId: 'x'.repeat(129) })],
    ['projectId', 'a/b', () => client.getImage({ imageId: 'ok', projectId: 'a/b' })],
    ['prompt', 'empty', () => generate({ prompt: '' })],
    ['prompt', 'blank', () => generate({ prompt: '  \n\t ' })],
    ['prompt', '4,001 characters', () => generate({ prompt: 'x'.repeat(4001) })],
    ['provider', 'missing', () => generate({ provider: undefined })],
    [
      'data',
      'text bytes',
      () => client.uploadImage({ imageId: 'ok', data: new TextEncoder().encode('hello, not an image') }),
    ],
    ['data', 'no bytes', () => client.uploadImage({ imageId: 'ok', data: new Uint8Array() })],
    [
      'contentType',
      'image/jpeg for PNG bytes',
      () => client.uploadImage({ imageId: 'ok', data: TINY_PNG, contentType: 'image/jpeg' }),
    ],
    [
      'contentType',
      'text/plain',
      () => client.uploadImage({ imageId: 'ok', data: TINY_PNG, contentType: 'text/plain' }),
    ],
  ])('%s: %s', async (field, _case, call) => {
    const error = await call().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixValidationError);
    expect((error as GenimixValidationError).field).toBe(field);
    expect((error as Error).message).toContain(field);
    expect(transport.requests).toHaveLength(0);
  });

  it('accepts a prompt of exactly 4,000 characters and ids of exactly 128', async () => {
    await client.generateImage({
      imageId: 'y'.repeat(128),
      provider: 'openai',
      modelId: 'dall-e-2',
      prompt: 'z'.repeat(4000),
    });
    expect(transport.requests).toHaveLength(1);
  });

  it('refuses a bad client configuration at construction', () => {
    expect(() => new GenimixClient({ apiKey: '', projectId: 'p' })).toThrow(GenimixValidationError);
    expect(() => new GenimixClient({ apiKey: 'k', projectId: '../p' })).toThrow(/projectId/);
    expect(() => new GenimixClient({ apiKey: 'k', projectId: 'p', baseUrl: 'ftp://example.com' })).toThrow(/baseUrl/);
    expect(() => new GenimixClient({ apiKey: 'k', projectId: 'p', baseUrl: 'https://user:pw@example.com' })).toThrow(
      /baseUrl/,
    );
  });
});
