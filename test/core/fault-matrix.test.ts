/**
 * Every fault the emulator can inject, against every operation of the client: the documented
 * outcome (success after retries, or the typed error), how many attempts it took, that it ends
 * within a bound, that no promise is left unhandled and no socket open, and what the store holds
 * afterwards (genimix-api.md, "Retries": Get, Upload and Delete are idempotent; Generate is billed).
 */
import {
  GenimixClient,
  GenimixConnectionError,
  GenimixNotFoundError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
  type Sleep,
} from '@genimix/core';
import { createUndiciTransport } from '@genimix/core/undici';
import { createEmulator, type Emulator, type Fault } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../helpers/images.js';

type Op = 'generate' | 'upload' | 'get' | 'delete';
type ErrorClass = abstract new (...args: never[]) => Error;
/** What the contract says should happen: success after `attempts`, or that error. */
type Outcome = { ok: true; attempts: number } | { error: ErrorClass; attempts: number };
/** What the store holds for the image afterwards: `present` (with the fault's effect), `absent`, or as `before`. */
type StoreAfter = 'present' | 'absent' | 'unchanged';

const KEY = 'sk_test_fault_matrix_key';
const BOUND_MS = 15_000;
const ok = (attempts: number): Outcome => ({ ok: true, attempts });
const fails = (error: ErrorClass, attempts: number): Outcome => ({ error, attempts });

/** The store before each call: Get and Delete need the image there; Generate and Upload don't. */
const existsBefore: Record<Op, boolean> = { generate: false, upload: false, get: true, delete: true };
/** The store after a call that succeeded. */
const afterSuccess: Record<Op, StoreAfter> = {
  generate: 'present',
  upload: 'present',
  get: 'present',
  delete: 'absent',
};

interface Row {
  name: string;
  // Scoped to one operation's route when the row runs.
  fault: Fault;
  expect: Record<Op, [Outcome, StoreAfter]>;
}

const rows: Row[] = [
  {
    name: 'latency',
    fault: { kind: 'latency', ms: 30 },
    expect: {
      generate: [ok(1), 'present'],
      upload: [ok(1), 'present'],
      get: [ok(1), 'present'],
      delete: [ok(1), 'absent'],
    },
  },
  {
    name: '503 twice, no Retry-After',
    fault: { kind: 'status', status: 503, times: 2 },
    expect: {
      generate: [fails(GenimixServerError, 1), 'unchanged'],
      upload: [ok(3), 'present'],
      get: [ok(3), 'present'],
      delete: [ok(3), 'absent'],
    },
  },
  {
    name: '503 with Retry-After: 0',
    fault: { kind: 'status', status: 503, retryAfter: '0' },
    expect: {
      generate: [ok(2), 'present'],
      upload: [ok(2), 'present'],
      get: [ok(2), 'present'],
      delete: [ok(2), 'absent'],
    },
  },
  {
    name: '429 with Retry-After: 0',
    fault: { kind: 'status', status: 429, retryAfter: '0' },
    expect: {
      generate: [ok(2), 'present'],
      upload: [ok(2), 'present'],
      get: [ok(2), 'present'],
      delete: [ok(2), 'absent'],
    },
  },
  {
    name: '429 with Retry-After: 120 (beyond the 60 s cap)',
    fault: { kind: 'status', status: 429, retryAfter: '120' },
    expect: {
      generate: [fails(GenimixRateLimitError, 1), 'unchanged'],
      upload: [fails(GenimixRateLimitError, 1), 'unchanged'],
      get: [fails(GenimixRateLimitError, 1), 'unchanged'],
      delete: [fails(GenimixRateLimitError, 1), 'unchanged'],
    },
  },
  {
    name: '500 for good',
    fault: { kind: 'status', status: 500, times: Infinity },
    expect: {
      generate: [fails(GenimixServerError, 1), 'unchanged'],
      upload: [fails(GenimixServerError, 3), 'unchanged'],
      get: [fails(GenimixServerError, 3), 'unchanged'],
      delete: [fails(GenimixServerError, 3), 'unchanged'],
    },
  },
  {
    name: 'connection dropped before processing',
    fault: { kind: 'drop', when: 'before-processing' },
    // Generate cannot know the request was not processed: not retried.
    expect: {
      generate: [fails(GenimixConnectionError, 1), 'unchanged'],
      upload: [ok(2), 'present'],
      get: [ok(2), 'present'],
      delete: [ok(2), 'absent'],
    },
  },
  {
    name: 'connection dropped after processing',
    fault: { kind: 'drop', when: 'after-processing' },
    // The work was done: Generate's image exists (and was billed); a retried Delete finds nothing left: 404.
    expect: {
      generate: [fails(GenimixConnectionError, 1), 'present'],
      upload: [ok(2), 'present'],
      get: [ok(2), 'present'],
      delete: [fails(GenimixNotFoundError, 2), 'absent'],
    },
  },
  {
    name: 'connection dropped mid-body',
    fault: { kind: 'drop', when: 'mid-body' },
    expect: {
      generate: [fails(GenimixConnectionError, 1), 'present'],
      upload: [ok(2), 'present'],
      get: [ok(2), 'present'],
      delete: [fails(GenimixNotFoundError, 2), 'absent'],
    },
  },
  {
    name: 'slow body',
    fault: { kind: 'slow-body', chunkBytes: 16, delayMs: 2 },
    expect: {
      generate: [ok(1), 'present'],
      upload: [ok(1), 'present'],
      get: [ok(1), 'present'],
      delete: [ok(1), 'absent'],
    },
  },
  {
    name: 'malformed success body',
    fault: { kind: 'malformed', body: '<html><body>Welcome to nginx!</body></html>', contentType: 'text/html' },
    expect: {
      generate: [fails(GenimixResponseError, 1), 'unchanged'],
      upload: [fails(GenimixResponseError, 1), 'unchanged'],
      get: [fails(GenimixResponseError, 1), 'unchanged'],
      delete: [fails(GenimixResponseError, 1), 'unchanged'],
    },
  },
];

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
let baselineSockets: number;
/** Backoff waits are real, but scaled down: the matrix tests the policy, not the clock. */
const quickSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, Math.min(ms, 20));
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    });
  });

/**
 * The open sockets once closed ones are gone: a destroyed socket leaves the active list on a later
 * turn of the event loop, so look again for up to a second (a socket still open then is a leak).
 */
async function socketsSettle(): Promise<number> {
  const deadline = Date.now() + 1_000;
  let count = openSockets();
  while (count > baselineSockets && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    count = openSockets();
  }
  return count;
}

function openSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  baselineSockets = openSockets();
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
});

async function run(op: Op, client: GenimixClient): Promise<unknown> {
  switch (op) {
    case 'generate':
      return client.generateImage({
        imageId: 'img',
        provider: 'google',
        modelId: 'imagen-3.0-generate-002',
        prompt: 'A fox',
      });
    case 'upload':
      return client.uploadImage({ imageId: 'img', data: TINY_PNG });
    case 'get':
      return client.getImage({ imageId: 'img' });
    case 'delete':
      return client.deleteImage({ imageId: 'img' });
  }
}

function withinBound<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not end within ${BOUND_MS} ms`)), BOUND_MS);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

describe.each(rows)('fault: $name', (row) => {
  it.each(['generate', 'upload', 'get', 'delete'] as const)('%s', async (op) => {
    const [outcome, storeAfter] = row.expect[op];
    const emulator: Emulator = await createEmulator({ port: 0, apiKeys: [KEY] });
    const transport = createUndiciTransport();
    try {
      const client = new GenimixClient({
        apiKey: KEY,
        projectId: 'matrix',
        baseUrl: emulator.url,
        transport,
        sleep: quickSleep,
      });
      if (existsBefore[op]) await client.uploadImage({ imageId: 'img', data: TINY_PNG });
      const before = await emulator.store.get('matrix', 'img');
      emulator.requests.clear();
      const handle = emulator.faults.add({ ...row.fault, route: op });

      const result = await withinBound(
        run(op, client).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
      );

      if ('ok' in outcome) expect(result, String((result as { error?: unknown }).error)).toHaveProperty('value');
      else expect((result as { error?: unknown }).error).toBeInstanceOf(outcome.error);
      const attempts = emulator.requests.list().filter((r) => r.route === op);
      expect(attempts).toHaveLength(outcome.attempts);
      expect(handle.hits).toBeGreaterThanOrEqual(1);

      const after = await emulator.store.get('matrix', 'img');
      if (storeAfter === 'unchanged') expect(after?.bytes).toEqual(before?.bytes);
      else if (storeAfter === 'absent') expect(after).toBeUndefined();
      else {
        expect(after).toBeDefined();
        expect(after!.contentType).toBe('image/png');
        if (op === 'upload' || op === 'get') expect(Buffer.from(after!.bytes).equals(TINY_PNG)).toBe(true);
      }
      void afterSuccess;
    } finally {
      await transport.close!();
      await emulator.close();
    }
    expect(await socketsSettle()).toBeLessThanOrEqual(baselineSockets);
    expect(unhandled).toEqual([]);
  });
});
