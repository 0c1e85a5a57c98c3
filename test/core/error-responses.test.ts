import net from 'node:net';
import { inspect } from 'node:util';
import {
  GenimixApiError,
  GenimixAuthenticationError,
  GenimixBadRequestError,
  GenimixClient,
  GenimixConnectionError,
  GenimixError,
  GenimixNotFoundError,
  GenimixPayloadTooLargeError,
  GenimixPermissionError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
} from '@genimix/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer } from '../helpers/scripted-server.js';

const API_KEY = 'sk_test_errors_abcdef123456';
let server: Awaited<ReturnType<typeof startScriptedServer>>;
let client: GenimixClient;

beforeAll(async () => {
  server = await startScriptedServer();
  // These tests are about how one response maps to an error: retries are retries.test.ts's.
  client = new GenimixClient({ apiKey: API_KEY, projectId: 'p', baseUrl: server.url, maxRetries: 0 });
});
afterAll(() => server.close());

const json = (value: unknown) => JSON.stringify(value);

describe('status classes map to typed errors (genimix-api.md, "Errors")', () => {
  it.each([
    [400, GenimixBadRequestError],
    [422, GenimixBadRequestError],
    [401, GenimixAuthenticationError],
    [403, GenimixPermissionError],
    [404, GenimixNotFoundError],
    [413, GenimixPayloadTooLargeError],
    [402, GenimixRateLimitError],
    [429, GenimixRateLimitError],
    [500, GenimixServerError],
    [502, GenimixServerError],
    [503, GenimixServerError],
    [409, GenimixApiError],
  ])('%i → %s', async (status, type) => {
    server.next = {
      status,
      headers: { 'content-type': 'application/json', 'x-request-id': `req_${status}` },
      body: json({ success: false, message: `message for ${status}` }),
    };
    const error = await client.getImage({ imageId: 'img' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(type);
    expect(error).toBeInstanceOf(GenimixError);
    const apiError = error as GenimixApiError;
    expect(apiError.status).toBe(status);
    expect(apiError.requestId).toBe(`req_${status}`);
    expect(apiError.serverMessage).toBe(`message for ${status}`);
    expect(apiError.message).toContain(`message for ${status}`);
  });
});

describe('error bodies are read liberally', () => {
  it.each([
    ['JSON message', 'application/json', JSON.stringify({ message: 'from message' }), 'from message'],
    ['JSON error string', 'application/json', JSON.stringify({ error: 'from error' }), 'from error'],
    ['JSON error.message', 'application/json', JSON.stringify({ error: { message: 'nested', code: 1 } }), 'nested'],
    ['plain text', 'text/plain', 'upstream unavailable', 'upstream unavailable'],
    [
      'an HTML page',
      'text/html',
      '<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>',
      '502 Bad Gateway',
    ],
    ['broken JSON', 'application/json', '{"message": "unterminated', '{"message": "unterminated'],
  ])('%s', async (_kind, contentType, body, expected) => {
    server.next = { status: 502, headers: { 'content-type': contentType }, body };
    const error = (await client.deleteImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixServerError;
    expect(error).toBeInstanceOf(GenimixServerError);
    expect(error.serverMessage).toBe(expected);
  });

  it('an empty body still gives a readable message', async () => {
    server.next = { status: 503 };
    const error = (await client.deleteImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixServerError;
    expect(error.message).toMatch(/503 Service Unavailable/);
    expect(error.serverMessage).toBeUndefined();
  });

  it('a long page is cut to a short excerpt', async () => {
    server.next = { status: 500, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(100_000) };
    const error = (await client.deleteImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixServerError;
    expect(error.serverMessage!.length).toBeLessThanOrEqual(300);
  });

  it('Retry-After is read into retryAfterMs, in seconds or as an HTTP date', async () => {
    server.next = { status: 429, headers: { 'retry-after': '7' } };
    expect(
      ((await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixRateLimitError).retryAfterMs,
    ).toBe(7000);
    server.next = { status: 429, headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() } };
    const fromDate = ((await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixRateLimitError)
      .retryAfterMs!;
    expect(fromDate).toBeGreaterThan(3_500_000);
    expect(fromDate).toBeLessThanOrEqual(3_600_000);
  });

  it('a server that echoes the API key gets it redacted', async () => {
    server.next = {
      status: 401,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ message: `Invalid API key ${API_KEY}` }),
    };
    const error = (await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixError;
    expect(error.message).not.toContain(API_KEY);
    expect(error.serverMessage).toBe('Invalid API key [redacted]');
  });
});

describe('2xx responses that break the contract', () => {
  it.each([
    ['JSON instead of an image', { 'content-type': 'application/json' }, JSON.stringify({ success: true })],
    ['an HTML page instead of an image', { 'content-type': 'text/html' }, '<html><title>Login</title></html>'],
    ['untyped bytes that are no image', {}, 'hello'],
  ])('Get with %s is a GenimixResponseError', async (_kind, headers, body) => {
    server.next = { status: 200, headers, body };
    await expect(client.getImage({ imageId: 'img' })).rejects.toBeInstanceOf(GenimixResponseError);
  });

  it('Delete with a success body of the wrong shape is a GenimixResponseError naming the field', async () => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, removed: 'img' }),
    };
    await expect(client.deleteImage({ imageId: 'img' })).rejects.toThrow(/deleted/);
  });

  it('Generate with a body that is no JSON is a GenimixResponseError', async () => {
    server.next = { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>ok</html>' };
    const call = client.generateImage({
      imageId: 'img',
      provider: 'google',
      modelId: 'imagen-3.0-generate-002',
      prompt: 'p',
    });
    await expect(call).rejects.toBeInstanceOf(GenimixResponseError);
  });

  it('Get with a body larger than maxBytes is a GenimixResponseError', async () => {
    server.next = { status: 200, headers: { 'content-type': 'image/png' }, body: new Uint8Array(2048) };
    await expect(client.getImage({ imageId: 'img' }, { maxBytes: 1024 })).rejects.toThrow(/larger than 1024 bytes/);
  });
});

describe('requests', () => {
  it('carry the key in x-api-key and percent-encode nothing they need not', async () => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, deleted: 'a.b_c-d' }),
    };
    await client.deleteImage({ imageId: 'a.b_c-d' });
    expect(server.seen.at(-1)?.['x-api-key']).toBe(API_KEY);
  });

  it('a refused connection is a GenimixConnectionError that does not mention the key', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const offline = new GenimixClient({ apiKey: API_KEY, projectId: 'p', baseUrl: `http://127.0.0.1:${port}` });
    const error = (await offline.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixConnectionError;
    expect(error).toBeInstanceOf(GenimixConnectionError);
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.message).not.toContain(API_KEY);
  });
});

describe('more contract breaches', () => {
  const jpegHead = Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex');
  it.each([
    ['SVG', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['TIFF', 'image/tiff', Buffer.from('49492a0008000000', 'hex')],
    ['an HTML page labelled image/png', 'image/png', '<html><title>Sign in</title></html>'],
    ['an empty body labelled image/png', 'image/png', ''],
  ])('Get of %s is a GenimixResponseError', async (_kind, contentType, body) => {
    server.next = { status: 200, headers: { 'content-type': contentType }, body };
    await expect(client.getImage({ imageId: 'img' })).rejects.toBeInstanceOf(GenimixResponseError);
  });

  it('Get reports the type of the bytes when the header names another image type', async () => {
    server.next = { status: 200, headers: { 'content-type': 'image/png' }, body: jpegHead };
    expect((await client.getImage({ imageId: 'img' })).contentType).toBe('image/jpeg');
  });

  it('a body cut off after a 200 is a connection error that says the server answered', async () => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'image/jpeg' },
      body: Buffer.concat([jpegHead, Buffer.alloc(5000)]),
      cutAfterBytes: 100,
    };
    const error = (await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixConnectionError;
    expect(error).toBeInstanceOf(GenimixConnectionError);
    expect(error.status).toBe(200);
    expect(error.message).toMatch(/answered 200/);
    expect(error.message).not.toMatch(/no response/);
  });

  it('a Generate answer cut off mid-JSON says the server answered, so that nobody retries a billed call blindly', async () => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, message: 'Image generated successfully', imageUrl: 'x' }),
      cutAfterBytes: 10,
    };
    const error = (await client
      .generateImage({ imageId: 'img', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'p' })
      .catch((e: unknown) => e)) as GenimixConnectionError;
    expect(error).toBeInstanceOf(GenimixConnectionError);
    expect(error.status).toBe(200);
  });

  it('Delete that reports another id is a GenimixResponseError', async () => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ success: true, deleted: 'other' }),
    };
    await expect(client.deleteImage({ imageId: 'img' })).rejects.toBeInstanceOf(GenimixResponseError);
  });

  it('a status outside 100–599 is no server error', async () => {
    server.next = { status: 999 };
    const error = await client.deleteImage({ imageId: 'img' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GenimixApiError);
    expect(error).not.toBeInstanceOf(GenimixServerError);
  });

  it.each(['-5', 'Tue 12', 'soon', '1e3'])('an unreadable Retry-After %j gives no retryAfterMs', async (value) => {
    server.next = { status: 429, headers: { 'retry-after': value } };
    expect(
      ((await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixRateLimitError).retryAfterMs,
    ).toBeUndefined();
  });
});

describe('a server that echoes the API key anywhere never gets it into an error', () => {
  const KEY = 'sk_fake_Zq8XvB3mN7pL2wR9tY4k';
  let echoing: GenimixClient;
  beforeAll(() => {
    echoing = new GenimixClient({ apiKey: KEY, projectId: 'p', baseUrl: server.url, maxRetries: 0 });
  });

  /** Every 8-character window of the key: a partial key is a leak too. */
  const pieces = Array.from({ length: KEY.length - 7 }, (_, i) => KEY.slice(i, i + 8));
  const padding = 'x'.repeat(290);
  const cases: Array<[string, ScriptedCase]> = [
    [
      'JSON error message',
      {
        status: 401,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: `bad key ${KEY}` }),
      },
    ],
    [
      'a key cut in half by the excerpt',
      { status: 500, headers: { 'content-type': 'text/plain' }, body: `${padding}${KEY}${padding}` },
    ],
    [
      'an HTML page',
      { status: 502, headers: { 'content-type': 'text/html' }, body: `<html><title>${KEY}</title></html>` },
    ],
    ['the request id header', { status: 404, headers: { 'x-request-id': `req-${KEY}` } }],
    [
      'the request-id header on a 200',
      { status: 200, headers: { 'content-type': 'application/json', 'request-id': KEY }, body: '{"oops"' },
    ],
    ['a 200 that is not JSON', { status: 200, headers: { 'content-type': 'text/plain' }, body: `${KEY} is your key` }],
    [
      'a 200 of the wrong shape',
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ success: true, message: KEY }),
      },
    ],
    [
      'a 200 to Get that is no image',
      { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ echo: KEY }) },
    ],
  ];
  type ScriptedCase = typeof server.next;

  it.each(cases)('%s', async (_kind, response) => {
    server.next = response;
    const calls = [
      () => echoing.getImage({ imageId: 'img' }),
      () => echoing.deleteImage({ imageId: 'img' }),
      () =>
        echoing.generateImage({ imageId: 'img', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'p' }),
    ];
    for (const call of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GenimixError);
      const everything = `${String(error)}\n${inspect(error, { depth: 20, showHidden: true })}\n${JSON.stringify(error)}`;
      for (const piece of pieces) expect(everything).not.toContain(piece);
    }
  });
});
