import { describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../src/index.js';
import { call, errorMessage, generate, MODEL, PROMPT, sampleImage, startEmulator, upload } from './helpers.js';

describe('authentication', () => {
  it('answers 401 with a JSON error body when x-api-key is missing', async () => {
    const emulator = await startEmulator();
    const response = await call(emulator, 'GET', '/v1/demo/image/cat', { key: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await errorMessage(response)).toMatch(/API key/i);
  });

  it('answers 401 for a wrong key, without echoing it', async () => {
    const emulator = await startEmulator();
    const response = await call(emulator, 'GET', '/v1/demo/image/cat', { key: 'sk_wrong_secret' });
    expect(response.status).toBe(401);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ success: false, message: expect.any(String) });
    expect(text).not.toContain('sk_wrong_secret');
  });

  it('checks the key before routing, validation and bodies', async () => {
    const emulator = await startEmulator();
    for (const [method, path] of [
      ['GET', '/v1/demo/no-such-route/x'],
      ['POST', '/v1/demo/image/cat'],
      ['GET', '/v1/bad%20project/image/cat'],
      ['PUT', '/v1/demo/generate/x'],
    ] as const) {
      const response = await call(emulator, method, path, { key: null });
      expect(response.status, `${method} ${path}`).toBe(401);
    }
  });

  it('accepts every key of an array for every project', async () => {
    const emulator = await startEmulator({ apiKeys: ['key-one', 'key-two'] });
    const png = await sampleImage('png');
    expect((await upload(emulator, 'alpha', 'a', png, 'image/png', { key: 'key-one' })).status).toBe(200);
    expect((await call(emulator, 'GET', '/v1/alpha/image/a', { key: 'key-two' })).status).toBe(200);
    expect((await call(emulator, 'GET', '/v1/beta/image/a', { key: 'key-two' })).status).toBe(404);
  });

  it('answers 403 for a key scoped to another project', async () => {
    const emulator = await startEmulator({ apiKeys: { 'alpha-key': ['alpha'], 'beta-key': ['beta'] } });
    const png = await sampleImage('png');
    expect((await upload(emulator, 'alpha', 'a', png, 'image/png', { key: 'alpha-key' })).status).toBe(200);

    const denied = await call(emulator, 'GET', '/v1/alpha/image/a', { key: 'beta-key' });
    expect(denied.status).toBe(403);
    expect(await errorMessage(denied)).toContain('alpha');
    const deniedGenerate = await generate(emulator, 'alpha', 'b', { ...MODEL, prompt: PROMPT }, { key: 'beta-key' });
    expect(deniedGenerate.status).toBe(403);
    // Refused requests change nothing.
    expect(await emulator.store.list('alpha')).toEqual(['a']);
  });

  it('keeps keys out of the request log, even when one is put in the path', async () => {
    let logged!: (entry: RequestLogEntry) => void;
    const entry = new Promise<RequestLogEntry>((resolve) => (logged = resolve));
    const emulator = await startEmulator({ apiKeys: ['sk_test_fake_secret'], onRequest: (e) => logged(e) });
    const response = await call(emulator, 'GET', '/v1/sk_test_fake_secret/image/x?key=sk_test_fake_secret', {
      key: 'sk_test_fake_secret',
    });
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(text).not.toContain('sk_test_fake_secret');
    expect(await entry).toMatchObject({ method: 'GET', status: 404, aborted: false, path: '/v1/[redacted]/image/x' });
    expect(JSON.stringify(await entry)).not.toContain('sk_test_fake_secret');
  });

  it('keeps a percent-encoded key out of the request log too', async () => {
    let logged!: (entry: RequestLogEntry) => void;
    const entry = new Promise<RequestLogEntry>((resolve) => (logged = resolve));
    const emulator = await startEmulator({ apiKeys: ['sk-live-secret'], onRequest: (e) => logged(e) });
    await (await call(emulator, 'GET', '/v1/sk%2Dlive%2Dsecret/image/x', { key: 'sk-live-secret' })).text();
    const logLine = JSON.stringify(await entry);
    expect(logLine).not.toContain('sk%2Dlive%2Dsecret');
    expect(logLine).not.toContain('sk-live-secret');
  });
});

describe('x-request-id', () => {
  it('is on every response, success or error, and differs per request', async () => {
    const emulator = await startEmulator();
    const responses = [
      await generate(emulator, 'demo', 'g', { ...MODEL, prompt: PROMPT }),
      await call(emulator, 'GET', '/v1/demo/image/g'),
      await call(emulator, 'HEAD', '/v1/demo/image/g'),
      await call(emulator, 'GET', '/v1/demo/image/missing'),
      await call(emulator, 'GET', '/v1/demo/image/g', { key: null }),
      await call(emulator, 'GET', '/'),
      await call(emulator, 'PATCH', '/v1/demo/image/g'),
    ];
    const ids = responses.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^req_[0-9a-f]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
