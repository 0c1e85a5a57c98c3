/**
 * Upload alike in n8n's binary data modes (issue 8, must-show 2), with n8n-core's real
 * BinaryDataService in memory and filesystem mode (database mode needs the n8n CLI: real n8n
 * covers it). In every mode: the size cap is checked before anything is sent, with the same
 * message; Content-Length is sent; a 503 with Retry-After is retried by reading the binary
 * again (a new stream from n8n's store on disk), never by holding the file in memory.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_MAX_IMAGE_BYTES } from '@genimix/core';
import type { INodeExecutionData } from 'n8n-workflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pngOfSize as pngOf } from '../helpers/images.js';
import { inTurn, startScriptedServer } from '../helpers/scripted-server.js';
import { startUploadTap, type UploadTap } from '../helpers/upload-tap.js';
import { PROJECT, startEmulator, type TestEmulator, WRONG_KEY } from './emulator.js';
import {
  type BinaryMode,
  binaryItem,
  captureBinaryStreams,
  captureNodeLog,
  errorTexts,
  NodeApiError,
  NodeOperationError,
  type RunNodeResult,
  runNode,
} from './harness.js';

const MODES: BinaryMode[] = ['memory', 'filesystem'];
const MiB = 1024 * 1024;

let api: TestEmulator;
let tap: UploadTap;
beforeAll(async () => {
  api = await startEmulator();
  tap = await startUploadTap(api.emulator.url);
});
afterAll(async () => {
  await tap.close();
  await api.close();
});
beforeEach(() => {
  tap.requests.length = 0;
});

const uploads = (imageId: string) =>
  tap.requests.filter((r) => r.method === 'PUT' && r.path === `/v1/${PROJECT}/image/${imageId}`);

function upload(
  binaryMode: BinaryMode,
  item: INodeExecutionData,
  imageId: string,
  baseUrl = tap.url,
): Promise<RunNodeResult> {
  return runNode({
    binaryMode,
    credentials: api.credentials({ baseUrl }),
    items: [item],
    parameters: { resource: 'image', operation: 'upload', imageId },
  });
}

/** Runs `fn` recording every stream n8n's binary store hands out meanwhile. */
async function withStreams<T>(fn: () => Promise<T>): Promise<{ result: T; streams: Array<{ destroyed: boolean }> }> {
  const capture = captureBinaryStreams();
  try {
    return { result: await fn(), streams: capture.streams as unknown as Array<{ destroyed: boolean }> };
  } finally {
    capture.restore();
  }
}

describe.each(MODES)('Upload in %s binary mode', (binaryMode) => {
  it('is retried after a 503 with Retry-After: 1 by reading the binary again, with Content-Length each time', async () => {
    const imageId = `retry-${binaryMode}`;
    const image = pngOf(3 * MiB + 101);
    const input = await binaryItem(image, { fileName: 'big.png', mimeType: 'image/png', binaryMode });
    const outage = api.emulator.faults.add({
      kind: 'status',
      status: 503,
      retryAfter: '1',
      route: 'upload',
      imageId,
      times: 1,
    });
    const { result: run, streams } = await withStreams(() => upload(binaryMode, input, imageId));
    expect(run.error).toBeUndefined();
    expect(run.output![0]![0]!.json).toMatchObject({ imageId, mimeType: 'image/png', size: image.length });
    expect(outage.hits).toBe(1);
    expect(uploads(imageId).map((r) => [r.contentLength, r.transferEncoding])).toEqual([
      [image.length, undefined],
      [image.length, undefined],
    ]);
    expect(uploads(imageId)[1]).toMatchObject({ bytes: image.length, complete: true });
    // On disk: one stream of n8n's store per attempt, each closed afterwards; in memory: none.
    expect(streams).toHaveLength(binaryMode === 'filesystem' ? 2 : 0);
    expect(streams.every((stream) => stream.destroyed)).toBe(true);
    expect(Buffer.from((await api.emulator.store.get(PROJECT, imageId))!.bytes).equals(image)).toBe(true);
  });

  // Straight to the emulator, which answers these before it has read the body: through the
  // recording proxy the answer would come later, and the race would not be run.
  it('an answer that comes while the binary is still being sent reaches the user: 503 + Retry-After sets the wait, a 401 is not retried', async () => {
    const imageId = `early-answer-${binaryMode}`;
    const input = await binaryItem(pngOf(3 * MiB), { mimeType: 'image/png', binaryMode });
    api.emulator.faults.add({ kind: 'status', status: 503, retryAfter: '1', route: 'upload', imageId, times: 1 });
    const log = captureNodeLog();
    const retried = await upload(binaryMode, input, imageId, api.emulator.url).finally(log.restore);
    expect(retried.error).toBeUndefined();
    expect(log.lines.filter((line) => line.includes(imageId) && line.includes('retrying'))).toEqual([
      expect.stringMatching(/retrying in 1000 ms after GenimixServerError 503/),
    ]);

    const refusedId = `early-refusal-${binaryMode}`;
    const refused = await runNode({
      binaryMode,
      credentials: api.credentials({ apiKey: WRONG_KEY }),
      items: [input],
      parameters: { resource: 'image', operation: 'upload', imageId: refusedId },
    });
    expect(refused.error).toBeInstanceOf(NodeApiError);
    expect(errorTexts(refused.error)).toMatch(/401/);
    expect(api.log.filter((entry) => entry.path.endsWith(`/image/${refusedId}`))).toHaveLength(1);
  });

  it('sends Content-Length for a binary whose size n8n did not record on the item (an older binary)', async () => {
    const imageId = `no-bytes-${binaryMode}`;
    const image = pngOf(500_000);
    const input = await binaryItem(image, { mimeType: 'image/png', binaryMode });
    delete input.binary!.data!.bytes;
    const run = await upload(binaryMode, input, imageId);
    expect(run.error).toBeUndefined();
    expect(run.output![0]![0]!.json).toMatchObject({ size: image.length });
    expect(uploads(imageId).map((r) => [r.contentLength, r.bytes])).toEqual([[image.length, image.length]]);
  });

  it('whose bytes are not the size n8n recorded is stopped before its body completes, not retried', async () => {
    const imageId = `wrong-size-${binaryMode}`;
    const input = await binaryItem(pngOf(200_000), { mimeType: 'image/png', binaryMode });
    input.binary!.data!.bytes = 200_010;
    const run = await upload(binaryMode, input, imageId);
    expect(run.error).toBeInstanceOf(NodeOperationError);
    expect(errorTexts(run.error)).toMatch(/ended after 200000 of the 200010 bytes/);
    expect(uploads(imageId).every((r) => !r.complete)).toBe(true);
    expect(uploads(imageId).length).toBeLessThanOrEqual(1);
    expect(await api.emulator.store.has(PROJECT, imageId)).toBe(false);
  });
});

describe('the size cap, one for every mode', () => {
  it('a 60 MB binary is refused before any request, with the same message in memory and filesystem mode', async () => {
    const image = pngOf(60 * 1000 * 1000);
    const messages: string[] = [];
    for (const binaryMode of MODES) {
      const input = await binaryItem(image, { fileName: 'huge.png', mimeType: 'image/png', binaryMode });
      const { result: run, streams } = await withStreams(() => upload(binaryMode, input, 'huge'));
      expect(run.error).toBeInstanceOf(NodeOperationError);
      expect(streams).toHaveLength(0);
      messages.push(run.error!.message);
      const description = String((run.error as InstanceType<typeof NodeOperationError>).description);
      expect(description).toMatch(/Nothing was sent to Genimix/);
      expect(description).toMatch(/resize or recompress/);
    }
    expect(messages[0]).toBe(
      `The binary field "data" of item 0 is ${image.length} bytes (57.2 MiB), more than the ${DEFAULT_MAX_IMAGE_BYTES} bytes (50 MiB) Genimix accepts for an upload`,
    );
    expect(messages[1]).toBe(messages[0]);
    expect(tap.requests).toHaveLength(0);
  });

  it('an image of exactly the cap is accepted', async () => {
    const image = pngOf(DEFAULT_MAX_IMAGE_BYTES);
    const input = await binaryItem(image, { mimeType: 'image/png', binaryMode: 'filesystem' });
    const run = await upload('filesystem', input, 'at-cap');
    expect(run.error).toBeUndefined();
    expect(uploads('at-cap').map((r) => r.contentLength)).toEqual([DEFAULT_MAX_IMAGE_BYTES]);
  });
});

describe('memory while a large file uploads with a retry', () => {
  // Live memory (heap and Buffers) after a full collection: RSS would also count freed pages.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const live = () => {
    // Twice: Buffers freed by one collection are released by a concurrent sweeper, which the next one finishes.
    gc();
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };

  it('on disk grows far less than the file; in memory mode (the baseline, which holds the file) about the file', async () => {
    const size = 40 * MiB;
    let peak = 0;
    // A sink that reads and drops every body (503 + Retry-After first), behind a tap that samples
    // this process's live memory every 8 MiB received.
    const sink = await startScriptedServer();
    const sampled = await startUploadTap(sink.url, {
      onData: (bytes) => {
        if (bytes % (8 * MiB) < 64 * 1024) peak = Math.max(peak, live());
      },
    });
    const growth: Partial<Record<BinaryMode, number>> = {};
    const answers = () =>
      inTurn([
        { status: 503, headers: { 'retry-after': '1' } },
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            success: true,
            message: 'Image uploaded successfully',
            imageUrl: `${sink.url}/v1/${PROJECT}/image/big`,
          }),
        },
      ]);
    try {
      // Unmeasured: what the first upload on disk loads once (code, buffers of n8n's store) is not its growth.
      sink.byRoute = answers();
      expect(
        (
          await upload(
            'filesystem',
            await binaryItem(pngOf(MiB), { mimeType: 'image/png', binaryMode: 'filesystem' }),
            'warm-up',
            sampled.url,
          )
        ).error,
      ).toBeUndefined();
      sampled.requests.length = 0;
      for (const binaryMode of MODES) {
        sink.byRoute = answers();
        const input = await binaryItem(pngOf(size), { mimeType: 'image/png', binaryMode });
        const before = live();
        peak = before;
        const run = await upload(binaryMode, input, 'big', sampled.url);
        expect(run.error).toBeUndefined();
        growth[binaryMode] = peak - before;
      }
      expect(sampled.requests.map((r) => [r.contentLength, r.bytes])).toEqual(Array(4).fill([size, size]));
    } finally {
      await sampled.close();
      await sink.close();
    }
    // The baseline shows the measure sees a file held whole; on disk, a retry reads it again.
    expect(growth.memory!).toBeGreaterThan(0.8 * size);
    expect(growth.filesystem! / growth.memory!).toBeLessThan(0.2);
  }, 180_000);
});
