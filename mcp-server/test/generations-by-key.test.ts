/**
 * The generations a server over HTTP keeps per Genimix key: kept while a request holds them or a
 * generation needs them, and dropped after, so that a server serving many keys (or a client that
 * sends a new random key with each request) does not grow for ever.
 */
import type { GenerateImageResult } from '@genimix/core';
import { describe, expect, it } from 'vitest';
import { GenerationsByKey } from '../src/http/generations-by-key.js';

/** A Generate that ends when the test says. */
function pendingGenerate() {
  let finish!: (result: GenerateImageResult) => void;
  let fail!: (error: Error) => void;
  const run = () =>
    new Promise<GenerateImageResult>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  return {
    run,
    finish: () => finish({ imageUrl: 'https://cdn.example/p/a.png' } as GenerateImageResult),
    fail: () => fail(new Error('refused')),
  };
}

/** A request of `apiKey` that starts a generation of `imageId` and ends while it runs. */
function startInRequest(byKey: GenerationsByKey, apiKey: string, imageId: string) {
  const request = byKey.hold(apiKey);
  const generate = pendingGenerate();
  const generation = request.generations.start('p', imageId, 'google', 'imagen-4', generate.run);
  request.release();
  return { generate, generation };
}

describe('GenerationsByKey', () => {
  it('keeps nothing for the keys of requests that started no generation', () => {
    const byKey = new GenerationsByKey();
    for (let i = 0; i < 10_000; i++) byKey.hold(`random-key-${i}`).release();
    expect(byKey.size).toBe(0);
  });

  it('keeps a key while a request holds it, and shares it between that key’s requests', () => {
    const byKey = new GenerationsByKey();
    const first = byKey.hold('key-a');
    const second = byKey.hold('key-a');
    expect(second.generations).toBe(first.generations);
    expect(byKey.held('key-a')).toBe(first.generations);
    first.release();
    first.release(); // a second release of the same hold counts once
    expect(byKey.size).toBe(1);
    second.release();
    expect(byKey.size).toBe(0);
    expect(() => byKey.held('key-a')).toThrow(/no request holds/);
  });

  it('keeps a key whose generation runs after its request ended, until it succeeds', async () => {
    const byKey = new GenerationsByKey();
    const { generate, generation } = startInRequest(byKey, 'key-a', 'a');
    expect(byKey.size).toBe(1);
    // A later request of the same key finds it (get_image waits on it).
    const later = byKey.hold('key-a');
    expect(later.generations.find('p', 'a')).toBe(generation);
    later.release();
    generate.finish();
    await generation.done;
    expect(byKey.size).toBe(0);
    expect(byKey.all()).toEqual([]);
  });

  it('keeps a failed generation until it is reported, then drops the key', async () => {
    const byKey = new GenerationsByKey();
    const { generate, generation } = startInRequest(byKey, 'key-b', 'b');
    generate.fail();
    await generation.done;
    expect(byKey.size).toBe(1);
    const later = byKey.hold('key-b');
    later.generations.forget(generation);
    expect(byKey.size).toBe(1); // still held by the request that reported it
    later.release();
    expect(byKey.size).toBe(0);
  });

  it('never mixes two keys', () => {
    const byKey = new GenerationsByKey();
    const a = byKey.hold('key-a');
    const b = byKey.hold('key-b');
    expect(a.generations).not.toBe(b.generations);
    a.generations.start('p', 'only-a', 'google', 'imagen-4', pendingGenerate().run);
    expect(b.generations.find('p', 'only-a')).toBeUndefined();
    a.release();
    b.release();
    expect(byKey.size).toBe(1);
  });
});
