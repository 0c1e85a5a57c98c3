import type { Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import { type McpConnection, type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

/**
 * Real generations take 10–90 s and Claude Desktop drops a call after 60 s whatever the
 * progress. Time here runs 10 times faster than in the world: a 70 s generation takes 7 s, the
 * host's 60 s limit is 6 s, the server's 45 s wait 4.5 s and its 5 s heartbeat 0.5 s. Making the
 * preview of the image is not scaled: the 1.5 s left between the wait and the host's limit
 * (15 s in the world) must hold it on a busy machine, which 20 times faster did not.
 */
const SCALE = 0.1;
const world = (ms: number) => Math.round(ms * SCALE);
let fx: McpFixture;
let emulator: Emulator;
let server: McpConnection;

beforeAll(async () => {
  fx = await startMcpFixture('slow', {
    emulator: { profile: 'realistic', latencyScale: SCALE, latencyMs: { 'openai/dall-e-3': 70_000 } },
    env: { GENIMIX_MAX_WAIT_MS: String(world(45_000)), GENIMIX_PROGRESS_INTERVAL_MS: String(world(5_000)) },
  });
  ({ emulator, server } = fx);
});
afterAll(() => fx?.close());

/** A call as Claude Desktop makes it: progress asked for, dropped at 60 s whatever the progress. */
async function hostCall(name: string, args: Record<string, unknown>, signal?: AbortSignal) {
  const progress: Array<{ progress: number; message?: string }> = [];
  const result = (await server.client.callTool(
    { name, arguments: args },
    {
      onprogress: (p) => progress.push(p),
      timeout: world(60_000),
      resetTimeoutOnProgress: false,
      ...(signal ? { signal } : {}),
    },
  )) as ToolResult;
  return { result, progress };
}

const generateRequests = (imageId: string) =>
  emulator.requests.list().filter((r) => r.route === 'generate' && r.imageId === imageId);

describe('a 70 s generation with a host that drops calls after 60 s', () => {
  it('answers "still being generated" in time, with progress all along; get_image then returns the image; billed once', async () => {
    const { result: first, progress } = await hostCall('generate_image', {
      prompt: 'A lighthouse in a storm',
      modelId: 'dall-e-3',
      imageId: 'slow-1',
    });
    expect(first.isError, textOf(first)).toBeFalsy();
    expect(detailsOf(first)).toMatchObject({
      status: 'pending',
      projectId: 'slow',
      imageId: 'slow-1',
      provider: 'openai',
      modelId: 'dall-e-3',
    });
    expect(textOf(first)).toMatch(/still being generated/);
    expect(textOf(first)).toMatch(/call get_image with imageId "slow-1"/i);
    expect(textOf(first)).toMatch(/do not call generate_image for it again/);
    // A heartbeat, not a start and an end: several notifications, progress only growing.
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.every((p, i) => i === 0 || p.progress > progress[i - 1]!.progress)).toBe(true);
    expect(progress.at(-1)!.message).toMatch(/Generating "slow-1" with openai\/dall-e-3/);
    // Nothing stored yet: the request to Genimix goes on.
    expect(await emulator.store.get('slow', 'slow-1')).toBeUndefined();

    const { result: fetched, progress: waitProgress } = await hostCall('get_image', { imageId: 'slow-1' });
    expect(fetched.isError, textOf(fetched)).toBeFalsy();
    expect(detailsOf(fetched)).toMatchObject({ status: 'ready', imageId: 'slow-1', mimeType: 'image/png' });
    expect(imageOf(fetched).length).toBeGreaterThan(0);
    expect(waitProgress.length).toBeGreaterThanOrEqual(1);
    expect(generateRequests('slow-1')).toHaveLength(1);
    expect(generateRequests('slow-1')[0]!.status).toBe(200);
  });

  it('a second generate_image of an image still being generated is answered "pending" and never sent', async () => {
    const first = await hostCall('generate_image', {
      prompt: 'A second lighthouse',
      modelId: 'dall-e-3',
      imageId: 'slow-2',
    });
    expect(detailsOf(first.result).status).toBe('pending');
    const again = await hostCall('generate_image', { prompt: 'A dog instead', modelId: 'dall-e-2', imageId: 'slow-2' });
    expect(again.result.isError).toBeFalsy();
    expect(detailsOf(again.result)).toMatchObject({ status: 'pending', provider: 'openai', modelId: 'dall-e-3' });
    expect(textOf(again.result)).toMatch(/This generate_image was NOT sent/);
    // An upload or a delete now would be undone when the generation finishes: refused, nothing sent.
    const upload = await hostCall('upload_image', {
      imageId: 'slow-2',
      data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    });
    const deletion = await hostCall('delete_image', { imageId: 'slow-2' });
    for (const refused of [upload.result, deletion.result]) {
      expect(refused.isError).toBe(true);
      expect(textOf(refused)).toMatch(/still being generated .*nothing was sent/);
    }
    expect(emulator.requests.list().filter((r) => r.imageId === 'slow-2' && r.route !== 'generate')).toHaveLength(0);
    const fetched = await hostCall('get_image', { imageId: 'slow-2' });
    expect(detailsOf(fetched.result).status).toBe('ready');
    expect(generateRequests('slow-2')).toHaveLength(1);
  });

  it('get_image that waits its limit too says again that the image is still being generated', async () => {
    // 180 s of generation: longer than two waits of 45 s.
    emulator.faults.add({ kind: 'latency', ms: world(180_000), route: 'generate', imageId: 'slow-3' });
    const first = await hostCall('generate_image', { prompt: 'A very slow one', imageId: 'slow-3' });
    expect(detailsOf(first.result).status).toBe('pending');
    const waited = await hostCall('get_image', { imageId: 'slow-3' });
    expect(waited.result.isError).toBeFalsy();
    expect(detailsOf(waited.result).status).toBe('pending');
    expect(textOf(waited.result)).toMatch(/still being generated/);
    expect(textOf(waited.result)).toMatch(/Call get_image with imageId "slow-3" \(projectId "slow"\) again/);
  });

  it('a cancelled call cancels the request to Genimix, and says to check before generating again', async () => {
    const controller = new AbortController();
    const call = hostCall(
      'generate_image',
      { prompt: 'Cancelled', modelId: 'dall-e-3', imageId: 'slow-cancel' },
      controller.signal,
    );
    await expect.poll(() => generateRequests('slow-cancel').length).toBe(1);
    controller.abort();
    await expect(call).rejects.toThrow();
    await expect.poll(() => generateRequests('slow-cancel')[0]?.status).toBe('dropped');
    expect(await emulator.store.get('slow', 'slow-cancel')).toBeUndefined();
  });
});
