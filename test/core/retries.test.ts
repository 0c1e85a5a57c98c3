import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import {
  GenimixAbortError,
  GenimixClient,
  GenimixConnectionError,
  GenimixRateLimitError,
  GenimixServerError,
  GenimixTimeoutError,
  HEADER_BYTES,
  type Sleep,
} from '@genimix/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countingTransport } from '../helpers/counting-transport.js';
import { readPhoto, TINY_PNG } from '../helpers/images.js';
import { inTurn, type ScriptedResponse, startScriptedServer } from '../helpers/scripted-server.js';

const API_KEY = 'sk_test_retries_9f8e7d6c5b4a';
let server: Awaited<ReturnType<typeof startScriptedServer>>;
let waits: number[];
let logLines: string[];
/** Records each wait and returns at once: the tests check the policy, not the clock. */
const recordingSleep: Sleep = async (ms, signal) => {
  if (signal?.aborted) throw new GenimixAbortError('cancelled');
  waits.push(ms);
};

function clientFor(options: Partial<ConstructorParameters<typeof GenimixClient>[0]> = {}) {
  return new GenimixClient({
    apiKey: API_KEY,
    projectId: 'p',
    baseUrl: server.url,
    sleep: recordingSleep,
    logger: { debug: (line) => logLines.push(line) },
    ...options,
  });
}
const ok = { status: 200, headers: { 'content-type': 'image/png' }, body: TINY_PNG } satisfies ScriptedResponse;
const generated = {
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    success: true,
    message: 'Image generated successfully',
    imageUrl: 'https://api.genimix.dev/v1/p/image/i',
  }),
};
const status = (code: number, headers: Record<string, string> = {}): ScriptedResponse => ({ status: code, headers });
const generate = (client: GenimixClient, options = {}) =>
  client.generateImage({ imageId: 'g', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'p' }, options);

beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());
beforeEach(() => {
  waits = [];
  logLines = [];
  server.requests.length = 0;
  server.byRoute = undefined;
});

describe('Get, Upload and Delete retry connection errors, 408, 429 and 5xx', () => {
  it.each([408, 429, 500, 502, 503, 504])('Get after %i, twice, then succeeds on the third attempt', async (code) => {
    server.byRoute = inTurn([status(code), status(code), ok]);
    expect((await clientFor().getImage({ imageId: 'i' })).size).toBe(TINY_PNG.length);
    expect(server.requests).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('backs off exponentially with jitter: 0.5 s then 1 s, each up to 25 % shorter', async () => {
    server.byRoute = inTurn([status(500)]);
    await expect(clientFor({ maxRetries: 4 }).deleteImage({ imageId: 'i' })).rejects.toBeInstanceOf(GenimixServerError);
    expect(server.requests).toHaveLength(5);
    const bounds = [500, 1000, 2000, 4000];
    waits.forEach((wait, i) => {
      expect(wait).toBeGreaterThanOrEqual(bounds[i]! * 0.75);
      expect(wait).toBeLessThanOrEqual(bounds[i]!);
    });
  });

  it('gives up after maxRetries (default 2) with the last error', async () => {
    server.byRoute = inTurn([status(503)]);
    await expect(clientFor().getImage({ imageId: 'i' })).rejects.toBeInstanceOf(GenimixServerError);
    expect(server.requests).toHaveLength(3);
  });

  it('takes maxRetries per client and per call', async () => {
    server.byRoute = inTurn([status(500)]);
    await expect(clientFor({ maxRetries: 5 }).getImage({ imageId: 'i' })).rejects.toBeInstanceOf(GenimixServerError);
    expect(server.requests).toHaveLength(6);
    server.requests.length = 0;
    await expect(clientFor({ maxRetries: 5 }).getImage({ imageId: 'i' }, { maxRetries: 0 })).rejects.toBeInstanceOf(
      GenimixServerError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it.each([400, 401, 403, 404, 413, 422])('does not retry %i', async (code) => {
    server.byRoute = inTurn([status(code)]);
    await expect(clientFor().getImage({ imageId: 'i' })).rejects.toMatchObject({ status: code });
    expect(server.requests).toHaveLength(1);
  });

  it('retries a body cut off mid-way, then succeeds', async () => {
    server.byRoute = inTurn([{ ...ok, body: Buffer.concat([TINY_PNG, Buffer.alloc(500)]), cutAfterBytes: 20 }, ok]);
    expect((await clientFor().getImage({ imageId: 'i' })).size).toBe(TINY_PNG.length);
    expect(server.requests).toHaveLength(2);
  });

  it('retries an upload of bytes, but never a one-time stream, which cannot be sent twice', async () => {
    const uploaded = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, message: 'ok', imageUrl: 'https://api.genimix.dev/v1/p/image/i' }),
    };
    server.byRoute = inTurn([status(503), uploaded]);
    await clientFor().uploadImage({ imageId: 'i', data: TINY_PNG });
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    server.byRoute = inTurn([status(503), uploaded]);
    const photo = await readPhoto();
    expect(photo.length).toBeGreaterThan(HEADER_BYTES);
    await expect(clientFor().uploadImage({ imageId: 'i', data: new Blob([photo]).stream() })).rejects.toBeInstanceOf(
      GenimixServerError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('retries a stream that ended within the bytes read first: all of it is in hand', async () => {
    const uploaded = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, message: 'ok', imageUrl: 'https://api.genimix.dev/v1/p/image/i' }),
    };
    server.byRoute = inTurn([status(503), uploaded]);
    await clientFor().uploadImage({ imageId: 'i', data: new Blob([TINY_PNG]).stream() });
    expect(server.requests).toHaveLength(2);
  });
});

describe('Generate is billed: retried only where the contract allows', () => {
  it.each([500, 502, 503, 429, 408])('does not retry %i without Retry-After', async (code) => {
    server.byRoute = inTurn([status(code), generated]);
    await expect(generate(clientFor())).rejects.toMatchObject({ status: code });
    expect(server.requests).toHaveLength(1);
  });

  it.each([429, 503])('retries %i that came with Retry-After, after that wait', async (code) => {
    server.byRoute = inTurn([status(code, { 'retry-after': '2' }), generated]);
    await generate(clientFor());
    expect(server.requests).toHaveLength(2);
    expect(waits).toEqual([2000]);
  });

  it('retries a refused connection, which never reached the server', async () => {
    const port = await freePort();
    const transport = countingTransport();
    const client = new GenimixClient({
      apiKey: API_KEY,
      projectId: 'p',
      baseUrl: `http://127.0.0.1:${port}`,
      transport,
      sleep: recordingSleep,
    });
    await expect(generate(client)).rejects.toBeInstanceOf(GenimixConnectionError);
    expect(transport.requests).toHaveLength(3);
  });

  it('does not retry a connection that broke after the request was sent', async () => {
    server.byRoute = inTurn([{ ...generated, cutAfterBytes: 5 }, generated]);
    await expect(generate(clientFor())).rejects.toBeInstanceOf(GenimixConnectionError);
    expect(server.requests).toHaveLength(1);
  });
});

describe('Retry-After', () => {
  it('is honoured as an HTTP date', async () => {
    server.byRoute = inTurn([status(429, { 'retry-after': new Date(Date.now() + 5_000).toUTCString() }), ok]);
    await clientFor().getImage({ imageId: 'i' });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(3_000);
    expect(waits[0]).toBeLessThanOrEqual(5_000);
  });

  it('over 60 s returns the error at once, with retryAfterMs', async () => {
    server.byRoute = inTurn([status(429, { 'retry-after': '120' }), ok]);
    const error = (await clientFor()
      .getImage({ imageId: 'i' })
      .catch((e: unknown) => e)) as GenimixRateLimitError;
    expect(error).toBeInstanceOf(GenimixRateLimitError);
    expect(error.retryAfterMs).toBe(120_000);
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});

describe('timeouts and cancellation', () => {
  it('a call over its timeoutMs is a GenimixTimeoutError, then retried like a connection error', async () => {
    server.byRoute = inTurn([{ status: 200, hang: true }, ok]);
    expect((await clientFor({ timeoutMs: 200 }).getImage({ imageId: 'i' })).size).toBe(TINY_PNG.length);
    expect(server.requests).toHaveLength(2);
    server.byRoute = inTurn([{ status: 200, hang: true }]);
    await expect(clientFor().getImage({ imageId: 'i' }, { timeoutMs: 100, maxRetries: 0 })).rejects.toBeInstanceOf(
      GenimixTimeoutError,
    );
  });

  it('an AbortSignal cancels a request in flight with GenimixAbortError', async () => {
    server.byRoute = inTurn([{ status: 200, hang: true }]);
    const controller = new AbortController();
    const call = clientFor().getImage({ imageId: 'i' }, { signal: controller.signal });
    await waitFor(() => server.requests.length === 1);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(GenimixAbortError);
    expect(server.requests).toHaveLength(1);
  });

  it('an AbortSignal cancels the wait between attempts at once, with the real timer', async () => {
    server.byRoute = inTurn([status(503, { 'retry-after': '50' })]);
    const controller = new AbortController();
    const client = new GenimixClient({
      apiKey: API_KEY,
      projectId: 'p',
      baseUrl: server.url,
      logger: { debug: (line) => (line.includes('retrying in') ? controller.abort() : undefined) },
    });
    await expect(client.getImage({ imageId: 'i' }, { signal: controller.signal })).rejects.toBeInstanceOf(
      GenimixAbortError,
    );
    expect(server.requests).toHaveLength(1);
  });

  it('an already aborted signal sends nothing', async () => {
    await expect(clientFor().getImage({ imageId: 'i' }, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      GenimixAbortError,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('debug logging', () => {
  it('logs each attempt and retry: method, path, status, attempt, duration, request id, never the key', async () => {
    server.byRoute = inTurn([
      status(503, { 'x-request-id': `req_${API_KEY}` }),
      { ...ok, headers: { ...ok.headers, 'x-request-id': 'req_2' } },
    ]);
    await clientFor().getImage({ imageId: 'img-1' });
    expect(logLines).toHaveLength(3);
    expect(logLines[0]).toMatch(/^GET \/v1\/p\/image\/img-1 → 503 \(attempt 1, \d+ ms, request id req_\[redacted\]\)$/);
    expect(logLines[1]).toMatch(
      /^GET \/v1\/p\/image\/img-1 retrying in \d+ ms after GenimixServerError 503 \(attempt 1 of 3\)$/,
    );
    expect(logLines[2]).toMatch(/^GET \/v1\/p\/image\/img-1 → 200 \(attempt 2, \d+ ms, request id req_2\)$/);
    expect(logLines.join('\n')).not.toContain(API_KEY);
  });

  it('GENIMIX_LOG=debug writes the lines to stderr only', async () => {
    const script = `
      import { GenimixClient } from '@genimix/core';
      const client = new GenimixClient({ apiKey: ${JSON.stringify(API_KEY)}, projectId: 'p', baseUrl: ${JSON.stringify(server.url)}, maxRetries: 0 });
      await client.getImage({ imageId: 'i' }).catch(() => {});
    `;
    server.byRoute = inTurn([ok]);
    // Asynchronously: the scripted server answering it runs in this process.
    const run = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: new URL('../../packages/core/', import.meta.url),
      env: { ...process.env, GENIMIX_LOG: 'debug' },
      encoding: 'utf8',
    });
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/\[genimix\] GET \/v1\/p\/image\/i → 200 \(attempt 1, \d+ ms\)/);
    expect(run.stderr).not.toContain(API_KEY);
  });
});

describe("the API key goes only to the base URL's origin", () => {
  it('an imageUrl on another origin is never fetched', async () => {
    const elsewhere = await startScriptedServer();
    try {
      server.byRoute = (method) =>
        method === 'PUT'
          ? {
              ...generated,
              body: JSON.stringify({ success: true, message: 'ok', imageUrl: `${elsewhere.url}/v1/p/image/g` }),
            }
          : ok;
      const client = clientFor();
      const { imageUrl } = await generate(client);
      expect(imageUrl.startsWith(elsewhere.url)).toBe(true);
      await client.getImage({ imageId: 'g' });
      expect(elsewhere.requests).toHaveLength(0);
      expect(server.seen.every((headers) => headers['x-api-key'] === API_KEY)).toBe(true);
    } finally {
      await elsewhere.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once `condition` holds, checking on each turn of the event loop (no fixed sleeps). */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
