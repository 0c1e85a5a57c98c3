import net from 'node:net';
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
import { startScriptedServer } from './scripted-server.js';

const API_KEY = 'sk_test_errors_abcdef123456';
let server: Awaited<ReturnType<typeof startScriptedServer>>;
let client: GenimixClient;

beforeAll(async () => {
  server = await startScriptedServer();
  client = new GenimixClient({ apiKey: API_KEY, projectId: 'p', baseUrl: server.url });
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
    server.next = { status, headers: { 'content-type': 'application/json', 'x-request-id': `req_${status}` }, body: json({ success: false, message: `message for ${status}` }) };
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
    ['an HTML page', 'text/html', '<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>', '502 Bad Gateway'],
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
    expect(((await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixRateLimitError).retryAfterMs).toBe(7000);
    server.next = { status: 429, headers: { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() } };
    const fromDate = ((await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixRateLimitError).retryAfterMs!;
    expect(fromDate).toBeGreaterThan(3_500_000);
    expect(fromDate).toBeLessThanOrEqual(3_600_000);
  });

  it('a server that echoes the API key gets it redacted', async () => {
    server.next = { status: 401, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `Invalid API key ${API_KEY}` }) };
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
    server.next = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ success: true, removed: 'img' }) };
    await expect(client.deleteImage({ imageId: 'img' })).rejects.toThrow(/deleted/);
  });

  it('Generate with a body that is no JSON is a GenimixResponseError', async () => {
    server.next = { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>ok</html>' };
    const call = client.generateImage({ imageId: 'img', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'p' });
    await expect(call).rejects.toBeInstanceOf(GenimixResponseError);
  });

  it('Get with a body larger than maxBytes is a GenimixResponseError', async () => {
    server.next = { status: 200, headers: { 'content-type': 'image/png' }, body: new Uint8Array(2048) };
    await expect(client.getImage({ imageId: 'img' }, { maxBytes: 1024 })).rejects.toThrow(/larger than 1024 bytes/);
  });
});

describe('requests', () => {
  it('carry the key in x-api-key and percent-encode nothing they need not', async () => {
    server.next = { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ success: true, deleted: 'a.b_c-d' }) };
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
