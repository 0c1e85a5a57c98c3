import {
  createFetchTransport,
  GenimixClient,
  type GenimixClientOptions,
  GenimixNotFoundError,
  type Transport,
} from '@genimix/core';
import { createFetchTransport as fromSubpath } from '@genimix/core/fetch';
import { createUndiciTransport } from '@genimix/core/undici';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { inProcessControl } from './control.js';
import { type ConformanceEnv, cases } from './suite.js';

/**
 * The conformance suite in this Node process, once per transport: undici, the fetch transport
 * (over Node's own fetch) and the client's default (undici, loaded on the first request). The
 * fetch spy shows which of them went through the global fetch.
 */
const API_KEY = 'sk_conformance_node_5f1c2a9e';
const fetchSpy = vi.spyOn(globalThis, 'fetch');
let emulator: Emulator;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
});
afterAll(() => emulator.close());

const transports: { name: string; make: () => Transport | undefined; throughFetch: boolean }[] = [
  { name: 'undici transport', make: () => createUndiciTransport(), throughFetch: false },
  { name: 'fetch transport', make: () => createFetchTransport(), throughFetch: true },
  { name: 'default transport', make: () => undefined, throughFetch: false },
];

describe.each(transports)('the core with the $name, on Node', ({ name, make, throughFetch }) => {
  const projectId = `conformance-${name.split(' ')[0]}`;
  const transport = make();
  const env = (): ConformanceEnv => ({
    apiKey: API_KEY,
    projectId,
    client: (options: Partial<GenimixClientOptions> = {}) =>
      new GenimixClient({
        apiKey: API_KEY,
        projectId,
        baseUrl: emulator.url,
        ...(transport ? { transport } : {}),
        ...options,
      }),
    emulator: inProcessControl(emulator, projectId),
  });
  afterEach(() => emulator.faults.clear());
  afterAll(() => transport?.close?.());

  it.each(cases)('$name', (test) => test.run(env()));

  it(throughFetch ? 'sent its requests through the global fetch' : 'sent none through the global fetch', () => {
    const toEmulator = fetchSpy.mock.calls.filter(([input]) => String(input).startsWith(emulator.url));
    if (throughFetch) expect(toEmulator.length).toBeGreaterThan(cases.length);
    else expect(toEmulator).toEqual([]);
    fetchSpy.mockClear();
  });
});

describe('createFetchTransport', () => {
  it('is the same factory from @genimix/core and @genimix/core/fetch', () => {
    expect(fromSubpath).toBe(createFetchTransport);
  });

  it('sends through the fetch it is given, called as a plain function', async () => {
    const seen: string[] = [];
    const given = function (this: unknown, input: Parameters<typeof fetch>[0], init?: RequestInit) {
      // A browser's fetch throws "Illegal invocation" when called as a method of another object.
      expect(this).toBeUndefined();
      seen.push(`${init?.method} ${String(input)}`);
      return fetch(input, init);
    } as typeof fetch;
    const client = new GenimixClient({
      apiKey: API_KEY,
      projectId: 'conformance-given-fetch',
      baseUrl: emulator.url,
      transport: createFetchTransport({ fetch: given }),
    });
    await expect(client.deleteImage({ imageId: 'nothing-here' })).rejects.toThrow(GenimixNotFoundError);
    expect(seen).toEqual([`DELETE ${emulator.url}/v1/conformance-given-fetch/image/nothing-here`]);
  });

  it('refuses a fetch option that is not a function, naming it', () => {
    expect(() => createFetchTransport({ fetch: 'https://example.com' as never })).toThrow(
      expect.objectContaining({ name: 'GenimixValidationError', field: 'fetch' }),
    );
  });
});
