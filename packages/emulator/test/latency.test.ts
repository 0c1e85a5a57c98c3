/**
 * Generate's model latency: its figures per model and options, the image absent until the wait is
 * over, a client leaving mid-wait, close() mid-wait. No sleeps: a test waits for a generation to
 * be waiting (generations.whenWaiting) and ends long waits itself (endLatency); durations are
 * checked only as loose upper bounds.
 */
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  MAX_LATENCY_MS,
  parseLatencySpec,
  REALISTIC_MODELS,
  type RequestLogEntry,
} from '../src/index.js';
import { call, errorMessage, generate, KEY, longTimers, MODEL, PROMPT, startEmulator } from './helpers.js';

const DALL_E_2 = { provider: 'openai', modelId: 'dall-e-2' } as const;

/**
 * A DALL·E 2 Generate over node:http on a connection of its own, for counting open handles: fetch's
 * pool keeps sockets and timers of its own, which would blur the count of the emulator's.
 */
function rawGenerate(emulator: Emulator, imageId: string): { status: Promise<number>; destroy: () => void } {
  const req = httpRequest(`${emulator.url}/v1/demo/generate/${imageId}`, {
    method: 'PUT',
    headers: { 'x-api-key': KEY, 'Content-Type': 'application/json' },
    agent: false,
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  status.catch(() => {});
  req.end(JSON.stringify({ ...DALL_E_2, prompt: PROMPT }));
  return { status, destroy: () => req.destroy() };
}

describe('model latency', () => {
  it('realistic: each model waits its latency times latencyScale, and a scale of 0.001 finishes fast', async () => {
    const emulator = await startEmulator({ profile: 'realistic', latencyScale: 0.001 });
    const started = performance.now();
    for (const m of REALISTIC_MODELS) {
      // Watched before the request is sent, so even a wait of a few ms is seen.
      const waiting = emulator.generations.whenWaiting({ imageId: m.modelId });
      const response = await generate(emulator, 'demo', m.modelId, {
        provider: m.provider,
        modelId: m.modelId,
        prompt: PROMPT,
      });
      expect(response.status).toBe(200);
      expect(await waiting).toMatchObject({
        projectId: 'demo',
        imageId: m.modelId,
        provider: m.provider,
        modelId: m.modelId,
        latencyMs: Math.round(m.latencyMs * 0.001),
      });
      expect(await emulator.store.has('demo', m.modelId)).toBe(true);
    }
    // Unscaled, the four would take 50 s.
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(emulator.generations.waiting()).toEqual([]);
  });

  it('the image is not there during the wait (Get answers 404), and is once the wait ends (200)', async () => {
    const emulator = await startEmulator({ profile: 'realistic', latencyMs: { 'openai/dall-e-2': MAX_LATENCY_MS } });
    const pending = generate(emulator, 'demo', 'slow', { ...DALL_E_2, prompt: PROMPT });
    const waiting = await emulator.generations.whenWaiting({ imageId: 'slow' });
    expect(waiting).toMatchObject({ projectId: 'demo', imageId: 'slow', ...DALL_E_2, latencyMs: MAX_LATENCY_MS });
    expect(emulator.generations.waiting()).toEqual([waiting]);

    expect((await call(emulator, 'GET', '/v1/demo/image/slow')).status).toBe(404);
    expect(await emulator.store.list('demo')).toEqual([]);
    expect(emulator.requests.list()).toMatchObject([
      { route: 'generate', imageId: 'slow', status: 'pending' },
      { route: 'get', imageId: 'slow', status: 404 },
    ]);

    waiting.endLatency();
    expect((await pending).status).toBe(200);
    const image = await call(emulator, 'GET', '/v1/demo/image/slow');
    expect(image.status).toBe(200);
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    expect(emulator.generations.waiting()).toEqual([]);
    waiting.endLatency(); // once the wait is over: nothing
  });

  it('a waiting Generate does not hold up other requests, or another Generate', async () => {
    const emulator = await startEmulator({ latencyMs: { 'openai/dall-e-2': MAX_LATENCY_MS } });
    const slow = generate(emulator, 'demo', 'slow', { ...DALL_E_2, prompt: PROMPT });
    const waiting = await emulator.generations.whenWaiting();
    // Imagen has no latency in the placeholder profile: answered while DALL·E 2 waits.
    expect((await generate(emulator, 'demo', 'fast', { ...MODEL, prompt: PROMPT })).status).toBe(200);
    expect(await emulator.store.list('demo')).toEqual(['fast']);
    waiting.endLatency();
    expect((await slow).status).toBe(200);
    expect(await emulator.store.list('demo')).toEqual(['fast', 'slow']);
  });

  it('the placeholder profile has no latency unless latencyMs sets one; latencyScale applies to it too', async () => {
    const none = await startEmulator({ latencyScale: 5 });
    const whenever = none.generations.whenWaiting();
    expect((await generate(none, 'demo', 'a', { ...DALL_E_2, prompt: PROMPT })).status).toBe(200);
    expect(none.generations.waiting()).toEqual([]);
    await none.close();
    await expect(whenever).rejects.toThrow(/closed/);

    const emulator = await startEmulator({ latencyMs: { 'openai/dall-e-2': 70_000 }, latencyScale: 0.5 });
    const pending = generate(emulator, 'demo', 'b', { ...DALL_E_2, prompt: PROMPT });
    const waiting = await emulator.generations.whenWaiting();
    expect(waiting.latencyMs).toBe(35_000);
    waiting.endLatency();
    expect((await pending).status).toBe(200);
  });

  it("latencyMs replaces a realistic model's figure, latencyScale 0 removes every latency", async () => {
    const explicit = await startEmulator({
      profile: 'realistic',
      latencyMs: { 'google/imagen-3.0-generate-002': 70_000 },
    });
    const pending = generate(explicit, 'demo', 'a', { ...MODEL, prompt: PROMPT });
    const waiting = await explicit.generations.whenWaiting();
    expect(waiting.latencyMs).toBe(70_000);
    waiting.endLatency();
    expect((await pending).status).toBe(200);

    const none = await startEmulator({
      profile: 'realistic',
      latencyScale: 0,
      latencyMs: { 'openai/dall-e-3': 70_000 },
    });
    expect(
      (await generate(none, 'demo', 'b', { provider: 'openai', modelId: 'dall-e-3', prompt: PROMPT })).status,
    ).toBe(200);
    expect(none.generations.waiting()).toEqual([]);
  });

  it('a refused Generate is refused at once, without waiting', async () => {
    const emulator = await startEmulator({ profile: 'realistic' });
    const response = await generate(emulator, 'demo', 'x', { ...DALL_E_2, prompt: '   ' });
    expect(response.status).toBe(400);
    expect(await errorMessage(response)).toMatch(/prompt is empty/);
    expect(emulator.generations.waiting()).toEqual([]);
  });

  it('a client that goes away mid-wait leaves nothing stored and no timer running', async () => {
    let ended!: (entry: RequestLogEntry) => void;
    const entry = new Promise<RequestLogEntry>((resolve) => (ended = resolve));
    const emulator = await startEmulator({
      profile: 'realistic',
      latencyMs: { 'openai/dall-e-2': MAX_LATENCY_MS },
      onRequest: (e) => e.method === 'PUT' && ended(e),
    });
    const timers = longTimers();
    const client = rawGenerate(emulator, 'gone');
    await emulator.generations.whenWaiting();
    // The wait's timer (24.8 days) is running.
    expect(timers.count()).toBe(1);

    client.destroy();
    await expect(client.status).rejects.toThrow();
    // The abort reaches the server as a closed connection, which ends the wait there.
    expect(await entry).toMatchObject({ aborted: true });
    expect(timers.count()).toBe(0);
    expect(emulator.generations.waiting()).toEqual([]);
    expect(emulator.requests.list()).toMatchObject([{ route: 'generate', imageId: 'gone', status: 'dropped' }]);
    expect(await emulator.store.has('demo', 'gone')).toBe(false);
    await emulator.close();
    expect(await emulator.store.has('demo', 'gone')).toBe(false);
  });

  it('close() returns without waiting for a latency, leaves no timer, stops listening, and rejects whenWaiting', async () => {
    const timers = longTimers();
    const emulator = await createEmulator({ profile: 'realistic', latencyMs: { 'openai/dall-e-2': MAX_LATENCY_MS } });
    const client = rawGenerate(emulator, 'cut');
    await emulator.generations.whenWaiting({ imageId: 'cut' });
    expect(timers.count()).toBe(1);
    const never = emulator.generations.whenWaiting({ imageId: 'other' });

    // The wait is 24.8 days: close() resolving at all shows it ended it.
    await emulator.close();
    await expect(client.status).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(never).rejects.toThrow(/closed/);
    await expect(emulator.generations.whenWaiting()).rejects.toThrow(/closed/);
    expect(timers.count()).toBe(0);
    await expect(fetch(`${emulator.url}/v1/demo/image/cut`)).rejects.toThrow();
    expect(emulator.requests.list()).toMatchObject([{ route: 'generate', status: 'dropped' }]);
    expect(await emulator.store.has('demo', 'cut')).toBe(false);
  });
});

describe('latency options', () => {
  const invalid: Array<[string, EmulatorOptions, RegExp]> = [
    [
      'an unknown profile',
      { profile: 'fancy' as 'realistic' },
      /profile must be "placeholder" or "realistic"; got "fancy"/,
    ],
    ['a negative latencyScale', { latencyScale: -1 }, /latencyScale must be a finite number ≥ 0.*got -1/],
    ['a NaN latencyScale', { latencyScale: Number.NaN }, /latencyScale must be a finite number/],
    ['an infinite latencyScale', { latencyScale: Infinity }, /latencyScale must be a finite number/],
    [
      'a latencyScale that overflows a timer',
      { profile: 'realistic', latencyScale: 1e6 },
      /latencyScale 1000000 makes the latency of google\/imagen-3.0-generate-002 12000000000 ms, over 2147483647 ms/,
    ],
    [
      'latencyMs for an unknown model',
      { latencyMs: { 'openai/dall-e-9': 5 } },
      /latencyMs\["openai\/dall-e-9"\]: "openai\/dall-e-9" is not an available model of the catalog; use one of google\/imagen/,
    ],
    [
      'latencyMs for a model without its provider',
      { latencyMs: { 'dall-e-3': 5 } },
      /not of the form <provider>\/<modelId>/,
    ],
    [
      'latencyMs for a "coming soon" model',
      { latencyMs: { 'stability/stable-image-ultra': 5 } },
      /not an available model/,
    ],
    [
      'a negative latencyMs',
      { latencyMs: { 'openai/dall-e-3': -5 } },
      /latencyMs\["openai\/dall-e-3"\] must be a whole number of ms from 0 to 2147483647; got -5/,
    ],
    ['a fractional latencyMs', { latencyMs: { 'openai/dall-e-3': 1.5 } }, /must be a whole number of ms/],
    [
      'a latencyMs that is not a record',
      { latencyMs: [] as unknown as Record<string, number> },
      /latencyMs must be a record/,
    ],
  ];
  for (const [name, options, message] of invalid) {
    it(`createEmulator refuses ${name} with a TypeError`, async () => {
      const error = await createEmulator(options).then(
        (emulator) => emulator.close().then(() => undefined),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
    });
  }

  it('parseLatencySpec reads <provider>/<modelId>=<ms> and names the bad part', () => {
    expect(parseLatencySpec('openai/dall-e-3=70000')).toEqual(['openai/dall-e-3', 70000]);
    expect(parseLatencySpec(' google/imagen-3.0-generate-002 = 0 ')).toEqual(['google/imagen-3.0-generate-002', 0]);
    expect(() => parseLatencySpec('openai/dall-e-3')).toThrow(/expected <provider>\/<modelId>=<ms>/);
    expect(() => parseLatencySpec('openai/dall-e-3=fast')).toThrow(/whole number of ms.*got "fast"/);
    expect(() => parseLatencySpec('openai/dall-e-3=-1')).toThrow(/whole number of ms/);
    expect(() => parseLatencySpec(`openai/dall-e-3=${MAX_LATENCY_MS + 1}`)).toThrow(/whole number of ms/);
    expect(() => parseLatencySpec('acme/x=5')).toThrow(/"acme\/x" is not an available model/);
  });
});
