import { describe, expect, it } from 'vitest';
import { createEmulator, type EmulatorOptions } from '../src/index.js';
import { call, startEmulator } from './helpers.js';

describe('createEmulator options', () => {
  it('defaults to loopback, a free port and the key dev-key', async () => {
    const emulator = await startEmulator();
    expect(emulator.url).toBe(`http://127.0.0.1:${emulator.port}`);
    expect(emulator.port).toBeGreaterThan(0);
    expect((await call(emulator, 'GET', '/v1/demo/image/x', { key: 'dev-key' })).status).toBe(404);
  });

  const invalid: Array<[string, EmulatorOptions, RegExp]> = [
    ['a port out of range', { port: 70000 }, /port must be an integer from 0 to 65535/],
    ['an empty key list', { apiKeys: [] }, /apiKeys is empty/],
    ['an empty key record', { apiKeys: {} }, /apiKeys is empty/],
    [
      'a key with a space',
      { apiKeys: ['good-key', 'sk secret'] },
      /key #2 must be a non-empty string of visible ASCII/,
    ],
    [
      'a record with an invalid project id',
      { apiKeys: { 'sk-key': ['ok', 'not ok'] } },
      /key #1: projectId "not ok" contains " "/,
    ],
    ['a maxUploadBytes of 0', { maxUploadBytes: 0 }, /maxUploadBytes must be a positive whole number/],
  ];
  for (const [name, options, message] of invalid) {
    it(`refuses ${name} with a TypeError that shows no key`, async () => {
      const error = await createEmulator(options).then(
        (emulator) => emulator.close().then(() => undefined),
        (err: unknown) => err,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toMatch(/sk secret|sk-key/);
    });
  }

  it('closes idle keep-alive connections, and close() can be called twice', async () => {
    const emulator = await createEmulator();
    expect((await call(emulator, 'GET', '/v1/demo/image/x')).status).toBe(404);
    const first = emulator.close();
    expect(emulator.close()).toBe(first);
    await first;
    await expect(fetch(`${emulator.url}/v1/demo/image/x`)).rejects.toThrow();
  });
});
