import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import {
  GenimixAbortError,
  GenimixClient,
  GenimixConnectionError,
  GenimixNotFoundError,
  GenimixResponseError,
  GenimixValidationError,
} from '@genimix/core';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PHOTO_PATH, readPhoto, TINY_PNG } from '../helpers/images.js';
import { startScriptedServer } from '../helpers/scripted-server.js';
import { loopbackBufferBytes } from '../helpers/socket-buffers.js';

const API_KEY = 'sk_test_streaming_key_1234';
let emulator: Emulator;
let client: GenimixClient;
let dir: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  client = new GenimixClient({ apiKey: API_KEY, projectId: 'stream', baseUrl: emulator.url });
  dir = await mkdtemp(path.join(os.tmpdir(), 'genimix-stream-'));
});
afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

async function collect(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('upload from a file path', () => {
  it('streams the file, with its Content-Length, and it comes back byte for byte as a stream', async () => {
    const photo = await readPhoto();
    expect(await client.uploadImage({ imageId: 'by-path', path: PHOTO_PATH })).toMatchObject({
      contentType: 'image/jpeg',
    });
    const { body, contentType, contentLength } = await client.getImageStream({ imageId: 'by-path' });
    expect(contentType).toBe('image/jpeg');
    expect(contentLength).toBe(photo.length);
    expect((await collect(body)).equals(photo)).toBe(true);
  });

  it.each([
    ['a missing file', () => ({ path: path.join(dir, 'missing.png') }), 'path'],
    ['a folder', () => ({ path: dir }), 'path'],
    ['both data and path', () => ({ path: PHOTO_PATH, data: TINY_PNG }), 'data'],
    ['neither data nor path', () => ({}), 'data'],
  ])('refuses %s before sending', async (_kind, params, field) => {
    const error = await client.uploadImage({ imageId: 'x', ...params() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixValidationError);
    expect((error as GenimixValidationError).field).toBe(field);
    expect(await emulator.store.has('stream', 'x')).toBe(false);
  });

  it('refuses a file that is no image', async () => {
    const text = path.join(dir, 'notes.png');
    await writeFile(text, 'just some notes, named like an image');
    await expect(client.uploadImage({ imageId: 'x', path: text })).rejects.toMatchObject({ field: 'data' });
  });
});

describe('getImageStream', () => {
  it('is a GenimixNotFoundError for a missing image, before any stream', async () => {
    await expect(client.getImageStream({ imageId: 'never' })).rejects.toBeInstanceOf(GenimixNotFoundError);
  });

  it('can be cancelled early, leaving the connection usable', async () => {
    await client.uploadImage({ imageId: 'cancel-me', path: PHOTO_PATH });
    const { body } = await client.getImageStream({ imageId: 'cancel-me' });
    const reader = body.getReader();
    await reader.read();
    await reader.cancel();
    expect((await client.getImage({ imageId: 'cancel-me' })).contentType).toBe('image/jpeg');
  });

  describe('against a broken server', () => {
    let server: Awaited<ReturnType<typeof startScriptedServer>>;
    let broken: GenimixClient;
    beforeAll(async () => {
      server = await startScriptedServer();
      broken = new GenimixClient({ apiKey: API_KEY, projectId: 'p', baseUrl: server.url, maxRetries: 0 });
    });
    afterAll(() => server.close());

    it('errors the stream when the body is cut off mid-way', async () => {
      const photo = await readPhoto();
      server.next = { status: 200, headers: { 'content-type': 'image/jpeg' }, body: photo, cutAfterBytes: 100_000 };
      const { body } = await broken.getImageStream({ imageId: 'i' });
      await expect(collect(body)).rejects.toBeInstanceOf(GenimixConnectionError);
    });

    it('refuses a 200 that is no image before handing over a stream', async () => {
      server.next = {
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<html><title>Sign in</title></html>',
      };
      await expect(broken.getImageStream({ imageId: 'i' })).rejects.toBeInstanceOf(GenimixResponseError);
    });
  });
});

/**
 * 11 bytes that start like a PNG (all the contract checks): fewer than the bytes read to check a
 * stream's type, so the whole stream ends while its head is read.
 */
const SHORT_IMAGE = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from([1, 2, 3]),
]);

describe('streams shorter than the bytes read to check their type', () => {
  it.each([
    ['a Node Readable', () => Readable.from([SHORT_IMAGE])],
    ['a Node Readable of single bytes', () => Readable.from([...SHORT_IMAGE].map((b) => Buffer.from([b])))],
    [
      'an async generator',
      () =>
        (async function* () {
          yield new Uint8Array(SHORT_IMAGE);
        })(),
    ],
    ['a web ReadableStream', () => new Blob([SHORT_IMAGE]).stream()],
    ['a file', 'file'],
  ] as const)('are sent whole: %s', async (_kind, make) => {
    if (make === 'file') {
      const file = path.join(dir, 'short.png');
      await writeFile(file, SHORT_IMAGE);
      await client.uploadImage({ imageId: 'short', path: file });
    } else await client.uploadImage({ imageId: 'short', data: make() });
    const back = await client.getImage({ imageId: 'short' });
    expect(back.contentType).toBe('image/png');
    expect(Buffer.from(back.data).equals(SHORT_IMAGE)).toBe(true);
  });
});

describe('streams that stall or are closed', () => {
  it('an upload whose source stalls before its first bytes is cancelled by the signal at once', async () => {
    const stalled = new PassThrough();
    stalled.write(Buffer.from([0x89, 0x50]));
    const controller = new AbortController();
    const upload = client.uploadImage({ imageId: 'stalled', data: stalled }, { signal: controller.signal });
    controller.abort();
    await expect(upload).rejects.toBeInstanceOf(GenimixAbortError);
    expect(stalled.destroyed).toBe(true);
  });

  it('a stream already read or destroyed is refused, not waited on', async () => {
    const used = createReadStream(PHOTO_PATH);
    used.destroy();
    await expect(client.uploadImage({ imageId: 'used', data: used })).rejects.toMatchObject({ field: 'data' });
  });

  it('a download can be cancelled while a read waits on a stalled connection', async () => {
    await client.uploadImage({ imageId: 'stall-me', path: PHOTO_PATH });
    emulator.faults.add({ kind: 'slow-body', route: 'get', chunkBytes: 4096, delayMs: 2_000_000_000 });
    const { body } = await client.getImageStream({ imageId: 'stall-me' });
    const reader = body.getReader();
    await reader.read();
    const pending = reader.read();
    await reader.cancel();
    await expect(pending).resolves.toMatchObject({ done: true });
  });

  it('timeoutMs is an idle timeout once the body arrives: a slow download that keeps coming completes', async () => {
    const photo = await readPhoto();
    await client.uploadImage({ imageId: 'slow', data: photo });
    // About 64 pieces, 15 ms apart: about a second in all, ten times the timeout, never idle that long.
    emulator.faults.add({ kind: 'slow-body', route: 'get', chunkBytes: 4096, delayMs: 15 });
    const { body } = await client.getImageStream({ imageId: 'slow' }, { timeoutMs: 150 });
    expect((await collect(body)).equals(photo)).toBe(true);
  });
});

describe('getImageStream stops at maxBytes (default 50 MiB, the largest image Genimix stores)', () => {
  it('refuses a Content-Length over it before handing over a stream', async () => {
    const photo = await readPhoto();
    await client.uploadImage({ imageId: 'capped', data: photo });
    const error = await client.getImageStream({ imageId: 'capped' }, { maxBytes: 100_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixResponseError);
    expect(error).toMatchObject({ limitBytes: 100_000, message: expect.stringMatching(/more than 100000 bytes/) });
    // Under the cap it streams as ever.
    const { body } = await client.getImageStream({ imageId: 'capped' }, { maxBytes: photo.length });
    expect((await collect(body)).equals(photo)).toBe(true);
  });

  it('errors a body without end, having read little more than the cap', async () => {
    let sent = 0;
    const endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(TINY_PNG.subarray(0, 8));
      const more = () => {
        while (!res.destroyed && res.write(Buffer.alloc(64 * 1024))) sent += 64 * 1024;
      };
      res.on('drain', more);
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
      const other = new GenimixClient({ apiKey: API_KEY, projectId: 'stream', baseUrl });
      const maxBytes = 2 * 1024 * 1024;
      const { body } = await other.getImageStream({ imageId: 'endless' }, { maxBytes });
      let received = 0;
      const reading = (async () => {
        for await (const chunk of body) received += chunk.length;
      })();
      await expect(reading).rejects.toMatchObject({ name: 'GenimixResponseError', limitBytes: maxBytes });
      expect(received).toBeLessThanOrEqual(maxBytes);
      // The connection was let go: the server stopped, socket buffers aside.
      expect(sent).toBeLessThan(maxBytes + loopbackBufferBytes() + 1024 * 1024);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });
});
