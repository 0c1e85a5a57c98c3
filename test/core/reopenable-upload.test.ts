/**
 * Uploads from a body opened afresh for each attempt (`{ size, open() }`), against the emulator
 * with fault injection, behind a proxy that records what went over the wire: the size cap before
 * anything is sent, Content-Length, a retry that opens the source again, and a source whose
 * bytes do not match its size stopped before its body completes.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  DEFAULT_MAX_IMAGE_BYTES,
  GenimixClient,
  GenimixServerError,
  GenimixTooLargeError,
  GenimixValidationError,
  type ReopenableBody,
  type Sleep,
} from '@genimix/core';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pngOfSize as pngOf } from '../helpers/images.js';
import { startUploadTap, type UploadTap } from '../helpers/upload-tap.js';

const API_KEY = 'sk_test_reopenable_5e6f7a8b';
const PROJECT = 'reopen';
let emulator: Emulator;
let tap: UploadTap;
let client: GenimixClient;
let dir: string;
let waits: number[];
/** Records each wait and returns at once: the tests check the policy, not the clock. */
const recordingSleep: Sleep = async (ms) => {
  waits.push(ms);
};

/** A source over `bytes` in 64 KiB chunks (`size` null: not given), counting how often it was opened. */
function countingSource(bytes: Uint8Array, size: number | null = bytes.length) {
  const opened: Readable[] = [];
  const source: ReopenableBody = {
    ...(size === null ? {} : { size }),
    open: async () => {
      const stream = Readable.from(chunks(bytes), { objectMode: false });
      opened.push(stream);
      return stream;
    },
  };
  return { source, opened };
}

function* chunks(bytes: Uint8Array, size = 64 * 1024): Generator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The uploads of `imageId` the proxy saw: each test uses its own ids and scopes its faults to them. */
const uploads = (imageId: string) =>
  tap.requests.filter((r) => r.method === 'PUT' && r.path === `/v1/${PROJECT}/image/${imageId}`);

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  tap = await startUploadTap(emulator.url, { closeAfterAnswer: true });
  client = new GenimixClient({ apiKey: API_KEY, projectId: PROJECT, baseUrl: tap.url, sleep: recordingSleep });
  dir = await mkdtemp(path.join(os.tmpdir(), 'genimix-reopen-'));
});
afterAll(async () => {
  await tap.close();
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  tap.requests.length = 0;
  waits = [];
});

describe('a re-openable body', () => {
  it('is sent with Content-Length and, after a 503 with Retry-After: 1, opened again and sent again', async () => {
    const image = pngOf(3 * 1024 * 1024 + 17);
    const { source, opened } = countingSource(image);
    const outage = emulator.faults.add({
      kind: 'status',
      status: 503,
      retryAfter: '1',
      route: 'upload',
      imageId: 'retried',
      times: 1,
    });
    const result = await client.uploadImage({ imageId: 'retried', data: source });
    expect(result).toMatchObject({ contentType: 'image/png', size: image.length });
    expect(outage.hits).toBe(1);
    expect(waits).toEqual([1000]);
    expect(opened).toHaveLength(2);
    expect(opened.every((stream) => stream.destroyed)).toBe(true);
    expect(uploads('retried').map((r) => r.contentLength)).toEqual([image.length, image.length]);
    expect(uploads('retried').every((r) => r.transferEncoding === undefined)).toBe(true);
    expect(uploads('retried')[1]).toMatchObject({ bytes: image.length, complete: true });
    expect(Buffer.from((await emulator.store.get(PROJECT, 'retried'))!.bytes).equals(image)).toBe(true);
  });

  it('whose size is over the cap is refused before it is opened or anything is sent', async () => {
    const { source, opened } = countingSource(pngOf(1024), DEFAULT_MAX_IMAGE_BYTES + 1);
    const error = await client.uploadImage({ imageId: 'huge', data: source }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixTooLargeError);
    expect(error).toMatchObject({
      field: 'data',
      size: DEFAULT_MAX_IMAGE_BYTES + 1,
      limitBytes: DEFAULT_MAX_IMAGE_BYTES,
    });
    expect((error as Error).message).toContain(`${DEFAULT_MAX_IMAGE_BYTES + 1} bytes`);
    expect((error as Error).message).toContain(`${DEFAULT_MAX_IMAGE_BYTES} bytes (50 MiB)`);
    expect((error as Error).message).toMatch(/nothing was sent.*smaller image/);
    expect(opened).toHaveLength(0);
    expect(tap.requests).toHaveLength(0);
  });

  it('the cap is one: bytes, a Blob and a re-openable body over it get the same refusal', async () => {
    const over = pngOf(DEFAULT_MAX_IMAGE_BYTES + 1);
    const messages = await Promise.all(
      [over, new Blob([over]), countingSource(over).source].map((data) =>
        client.uploadImage({ imageId: 'same', data }).catch((e: Error) => e.message),
      ),
    );
    expect(new Set(messages).size).toBe(1);
    expect(tap.requests).toHaveLength(0);
  });

  it('of unknown size is counted first (never past the cap), then sent with that Content-Length', async () => {
    const image = pngOf(200_000);
    const { source, opened } = countingSource(image, null);
    expect(await client.uploadImage({ imageId: 'counted', data: source })).toMatchObject({ size: image.length });
    expect(opened).toHaveLength(2);
    expect(uploads('counted').map((r) => [r.contentLength, r.bytes])).toEqual([[image.length, image.length]]);

    const huge = countingSource(pngOf(DEFAULT_MAX_IMAGE_BYTES + 3 * 64 * 1024), null);
    const error = await client.uploadImage({ imageId: 'counted-huge', data: huge.source }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixTooLargeError);
    expect(error).toMatchObject({ size: undefined, limitBytes: DEFAULT_MAX_IMAGE_BYTES });
    expect((error as Error).message).toContain(
      `data is over the limit, more than the ${DEFAULT_MAX_IMAGE_BYTES} bytes (50 MiB)`,
    );
    expect(huge.opened).toHaveLength(1);
    // Counting stopped at the first chunk past the cap, not at the end of the source.
    expect(huge.opened[0]!.destroyed).toBe(true);
    expect(uploads('counted-huge')).toHaveLength(0);
  });

  it.each([
    ['more bytes than its size', 100_000, 100_000 - 1, /held more than the 99999 bytes/],
    ['fewer bytes than its size', 100_000, 100_000 + 5, /ended after 100000 of the 100005 bytes/],
  ])(
    'with %s is stopped before its body completes: nothing stored, not retried',
    async (_case, actual, declared, message) => {
      const imageId = `mismatch-${actual}-${declared}`;
      const { source, opened } = countingSource(pngOf(actual), declared);
      const error = await client.uploadImage({ imageId, data: source }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GenimixValidationError);
      expect(error).toMatchObject({ field: 'data' });
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).toMatch(/nothing was stored/);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.destroyed).toBe(true);
      expect(uploads(imageId).length).toBeLessThanOrEqual(1);
      expect(uploads(imageId).every((r) => !r.complete || r.bytes === r.contentLength)).toBe(true);
      expect(await emulator.store.has(PROJECT, imageId)).toBe(false);
    },
  );

  it('that opens bytes of another length than its size is refused before sending', async () => {
    const image = pngOf(5000);
    const error = await client
      .uploadImage({ imageId: 'short-bytes', data: { size: 5001, open: () => image } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      field: 'data',
      message: expect.stringMatching(/ended after 5000 of the 5001 bytes/),
    });
    expect(tap.requests).toHaveLength(0);
  });

  it('that opens something other than bytes or a stream is refused, naming open()', async () => {
    const error = await client
      .uploadImage({ imageId: 'odd', data: { size: 10, open: () => 'not bytes' as unknown as Uint8Array } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'data', message: expect.stringMatching(/data\.open\(\) must return/) });
    expect(tap.requests).toHaveLength(0);
  });

  it('gives up after its retries like any upload, having closed every opening', async () => {
    const { source, opened } = countingSource(pngOf(10_000));
    emulator.faults.add({ kind: 'status', status: 503, route: 'upload', imageId: 'down', times: 3 });
    await expect(client.uploadImage({ imageId: 'down', data: source })).rejects.toBeInstanceOf(GenimixServerError);
    expect(opened).toHaveLength(3);
    expect(opened.every((stream) => stream.destroyed)).toBe(true);
    expect(uploads('down').map((r) => r.contentLength)).toEqual([10_000, 10_000, 10_000]);
  });
});

describe('an upload from a file path', () => {
  it('is retried by opening the file again, with Content-Length each time', async () => {
    const image = pngOf(300_000);
    const file = path.join(dir, 'retry.png');
    await writeFile(file, image);
    emulator.faults.add({
      kind: 'status',
      status: 503,
      retryAfter: '1',
      route: 'upload',
      imageId: 'file-retried',
      times: 1,
    });
    expect(await client.uploadImage({ imageId: 'file-retried', path: file })).toMatchObject({ size: image.length });
    expect(uploads('file-retried').map((r) => r.contentLength)).toEqual([image.length, image.length]);
    expect(Buffer.from((await emulator.store.get(PROJECT, 'file-retried'))!.bytes).equals(image)).toBe(true);
  });

  it('a Node file stream as a re-openable source that grew since its size was taken is stopped', async () => {
    const file = path.join(dir, 'grew.png');
    await writeFile(file, pngOf(80_000));
    const error = await client
      .uploadImage({ imageId: 'grew', data: { size: 70_000, open: () => createReadStream(file) } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ field: 'data', message: expect.stringMatching(/held more than the 70000 bytes/) });
    expect(await emulator.store.has(PROJECT, 'grew')).toBe(false);
  });
});
