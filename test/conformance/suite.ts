/**
 * The conformance suite of @genimix/core: what a client must do the same way whatever carries
 * its requests (undici, the platform's fetch) and whatever runs it (Node, Bun, Deno). Every case
 * talks to the emulator through the public client only, and asserts with `node:assert`, which
 * Node, Bun and Deno all have. Runs in-process under vitest (node.test.ts) and in another runtime
 * through run.ts (runtimes.test.ts), so it imports nothing but the core and `node:assert`.
 */
import assert from 'node:assert/strict';
import {
  GenimixAbortError,
  GenimixAuthenticationError,
  GenimixBadRequestError,
  type GenimixClient,
  type GenimixClientOptions,
  GenimixConnectionError,
  type GenimixError,
  GenimixNotFoundError,
  GenimixServerError,
  GenimixTimeoutError,
  GenimixValidationError,
  MODELS,
} from '@genimix/core';
// Types only: erased when Bun or Deno run this file, where the emulator is not installed.
import type { Fault, RequestRecord } from '@genimix/emulator';

/** A fault as a case adds it, for one image: the control scopes it to the run's project. */
export type CaseFault = ForOneImage<Fault>;
type ForOneImage<F> = F extends unknown ? Omit<F, 'projectId'> & { imageId: string } : never;

/** What a case may ask of the emulator, in-process or from another runtime. */
export interface EmulatorControl {
  /** Adds a fault for the run's project; `whenHit()` resolves once a request reached it. */
  addFault(fault: CaseFault): Promise<{ whenHit(): Promise<void> }>;
  /** The requests the emulator received for an image of the run's project, oldest first. */
  requests(imageId?: string): Promise<Pick<RequestRecord, 'method' | 'status' | 'fault'>[]>;
}

/** What every case gets. */
export interface ConformanceEnv {
  apiKey: string;
  /** A project of this run alone, so that runs may share an emulator. */
  projectId: string;
  /** A client of the emulator sending through the transport under test; `options` override its own. */
  client(options?: Partial<GenimixClientOptions>): GenimixClient;
  emulator: EmulatorControl;
}

/** One case: a name for the report, and its steps, which throw on failure. */
export interface ConformanceCase {
  name: string;
  run(env: ConformanceEnv): Promise<void>;
}

const MiB = 1024 * 1024;

/** The smallest valid PNG (1×1). */
const TINY_PNG = Uint8Array.from(
  atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='),
  (c) => c.charCodeAt(0),
);

/** A "PNG" of `size` bytes: the signature, then a pattern (the API checks types by magic bytes). */
function pngOfSize(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 12)) % 251;
  bytes.set(TINY_PNG.subarray(0, 8));
  return bytes;
}

/** `bytes` as a web stream of `chunkSize` pieces, made as they are pulled. */
function webStream(bytes: Uint8Array, chunkSize: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; chunks: number }> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return { bytes, chunks: parts.length };
}

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} bytes, expected ${expected.length}`);
  const at = actual.findIndex((byte, i) => byte !== expected[i]);
  assert.equal(at, -1, `${what}: differs at byte ${at}`);
}

/** The error `promise` rejects with, checked to be of `type`. */
async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(
      error instanceof type,
      `expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return error;
  }
  assert.fail(`expected ${type.name}, but the call succeeded`);
}

async function store(env: ConformanceEnv, imageId: string, data: Uint8Array = TINY_PNG): Promise<void> {
  await env.client().uploadImage({ imageId, data });
}

/** Stores a 64 KiB image whose next Get sends 4 KiB, then nothing for a minute. */
async function storeStalling(env: ConformanceEnv, imageId: string): Promise<void> {
  await store(env, imageId, pngOfSize(64 * 1024));
  await env.emulator.addFault({ kind: 'slow-body', chunkBytes: 4096, delayMs: 60_000, route: 'get', imageId });
}

const PROMPT = 'A lighthouse on a cliff at dusk';

export const cases: readonly ConformanceCase[] = [
  {
    name: 'generateImage stores an image, getImage returns its bytes and type',
    async run(env) {
      const client = env.client();
      const model = MODELS.find((m) => m.available)!;
      const made = await client.generateImage({
        imageId: 'generated',
        provider: model.provider,
        modelId: model.modelId,
        prompt: PROMPT,
      });
      assert.equal(made.success, true);
      assert.ok(made.imageUrl.endsWith(`/v1/${env.projectId}/image/generated`), made.imageUrl);
      const image = await client.getImage({ imageId: 'generated' });
      assert.equal(image.contentType, 'image/png');
      assert.equal(image.size, image.data.length);
      assert.ok(image.width && image.width > 0 && image.height && image.height > 0, 'width and height read');
    },
  },
  {
    name: 'the models catalog: every available model generates, a coming-soon one is refused (400)',
    async run(env) {
      const client = env.client();
      for (const [i, model] of MODELS.filter((m) => m.available).entries()) {
        const made = await client.generateImage({
          imageId: `model-${i}`,
          provider: model.provider,
          modelId: model.modelId,
          prompt: PROMPT,
        });
        assert.equal(made.success, true, `${model.provider}/${model.modelId}`);
      }
      const soon = MODELS.find((m) => !m.available)!;
      const error = await rejection(
        client.generateImage({ imageId: 'soon', provider: soon.provider, modelId: soon.modelId, prompt: PROMPT }),
        GenimixBadRequestError,
      );
      assert.equal(error.status, 400);
    },
  },
  {
    name: 'uploadImage from bytes, then getImage and getImageStream give them back',
    async run(env) {
      const client = env.client();
      const data = pngOfSize(200_000);
      const sent = await client.uploadImage({ imageId: 'bytes', data });
      assert.equal(sent.size, data.length);
      assertSameBytes((await client.getImage({ imageId: 'bytes' })).data, data, 'getImage');
      const streamed = await client.getImageStream({ imageId: 'bytes' });
      assert.equal(streamed.contentType, 'image/png');
      assert.equal(streamed.contentLength, data.length);
      assertSameBytes((await readAll(streamed.body)).bytes, data, 'getImageStream');
    },
  },
  {
    name: 'uploadImage from a web ReadableStream',
    async run(env) {
      const client = env.client();
      const data = pngOfSize(100_000);
      const sent = await client.uploadImage({ imageId: 'web-stream', data: webStream(data, 16 * 1024) });
      assert.equal(sent.contentType, 'image/png');
      assertSameBytes((await client.getImage({ imageId: 'web-stream' })).data, data, 'getImage');
    },
  },
  {
    name: 'uploadImage from a re-openable body ({ size, open }): streamed with its size, opened again for a retry',
    async run(env) {
      const data = pngOfSize(300_000);
      let opened = 0;
      await env.emulator.addFault({
        kind: 'status',
        status: 503,
        retryAfter: '0',
        route: 'upload',
        imageId: 'reopened',
      });
      const sent = await env.client().uploadImage({
        imageId: 'reopened',
        data: {
          size: data.length,
          async *open() {
            opened++;
            for (let offset = 0; offset < data.length; offset += 32 * 1024)
              yield data.slice(offset, offset + 32 * 1024);
          },
        },
      });
      assert.equal(sent.size, data.length);
      assert.ok(opened >= 2, `opened ${opened} time(s)`);
      const attempts = (await env.emulator.requests('reopened')).filter((r) => r.method === 'PUT');
      assert.deepEqual(
        attempts.map((r) => r.status),
        [503, 200],
      );
      assertSameBytes((await env.client().getImage({ imageId: 'reopened' })).data, data, 'getImage');
    },
  },
  {
    name: 'a streamed upload and a streamed download of 6 MiB',
    async run(env) {
      const client = env.client();
      const data = pngOfSize(6 * MiB);
      await client.uploadImage({ imageId: 'large', data: webStream(data, 64 * 1024) });
      const streamed = await client.getImageStream({ imageId: 'large' });
      assert.equal(streamed.contentLength, data.length);
      const { bytes, chunks } = await readAll(streamed.body);
      assertSameBytes(bytes, data, 'download');
      assert.ok(chunks > 1, `the download came in ${chunks} piece(s), not streamed`);
    },
  },
  {
    name: 'deleteImage deletes; the image is then a GenimixNotFoundError (404)',
    async run(env) {
      const client = env.client();
      await store(env, 'doomed');
      const result = await client.deleteImage({ imageId: 'doomed' });
      assert.equal(result.deleted, 'doomed');
      const error = await rejection(client.getImage({ imageId: 'doomed' }), GenimixNotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.call?.operation, 'get');
    },
  },
  {
    name: 'checkCredentials: ok with the key, a verdict (not an error) with a wrong one',
    async run(env) {
      assert.equal((await env.client().checkCredentials()).ok, true);
      const wrong = await env.client({ apiKey: 'sk_conformance_wrong_key_000' }).checkCredentials();
      assert.equal(wrong.ok, false);
    },
  },
  {
    name: '401: a wrong key is a GenimixAuthenticationError that does not hold the key',
    async run(env) {
      const wrongKey = 'sk_conformance_wrong_key_401';
      const error = await rejection(
        env.client({ apiKey: wrongKey }).getImage({ imageId: 'anything' }),
        GenimixAuthenticationError,
      );
      assert.equal(error.status, 401);
      assert.ok(!String(error.stack).includes(wrongKey), 'the key is in the error');
    },
  },
  {
    name: 'bad input is a GenimixValidationError naming the field, and nothing is sent',
    async run(env) {
      const before = (await env.emulator.requests()).length;
      const error = await rejection(env.client().getImage({ imageId: 'no/slashes' }), GenimixValidationError);
      assert.equal(error.field, 'imageId');
      const prompt = await rejection(
        env
          .client()
          .generateImage({ imageId: 'x', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: '' }),
        GenimixValidationError,
      );
      assert.equal(prompt.field, 'prompt');
      assert.equal((await env.emulator.requests()).length, before, 'a request was sent');
    },
  },
  {
    name: 'error statuses: 400 GenimixBadRequestError, 404 GenimixNotFoundError, 500 GenimixServerError',
    async run(env) {
      const client = env.client({ maxRetries: 0 });
      for (const [status, type] of [
        [400, GenimixBadRequestError],
        [404, GenimixNotFoundError],
        [500, GenimixServerError],
      ] as const) {
        const imageId = `status-${status}`;
        await env.emulator.addFault({ kind: 'status', status, route: 'get', imageId });
        const error = await rejection(
          client.getImage({ imageId }),
          type as abstract new (
            ...args: never[]
          ) => GenimixError,
        );
        assert.equal(error.status, status);
        assert.ok(error.requestId, 'the request id is read from the response');
      }
    },
  },
  {
    name: 'a retry: a 503 with Retry-After, then the image (two attempts)',
    async run(env) {
      await store(env, 'retried');
      await env.emulator.addFault({ kind: 'status', status: 503, retryAfter: '0', route: 'get', imageId: 'retried' });
      const image = await env.client().getImage({ imageId: 'retried' });
      assertSameBytes(image.data, TINY_PNG, 'retried Get');
      const attempts = (await env.emulator.requests('retried')).filter((r) => r.method === 'GET');
      assert.deepEqual(
        attempts.map((r) => r.status),
        [503, 200],
      );
    },
  },
  {
    name: 'a connection dropped before any answer is a GenimixConnectionError',
    async run(env) {
      await store(env, 'dropped');
      // Twice: Bun's and Deno's fetch send a request again, once, on a new connection when a
      // kept-alive one closes before any answer (a stale connection, to them).
      await env.emulator.addFault({
        kind: 'drop',
        when: 'before-processing',
        route: 'get',
        imageId: 'dropped',
        times: 2,
      });
      const error = await rejection(
        env.client({ maxRetries: 0 }).getImage({ imageId: 'dropped' }),
        GenimixConnectionError,
      );
      assert.equal(error.status, undefined);
      assert.equal((await env.emulator.requests('dropped')).filter((r) => r.method === 'GET')[0]?.status, 'dropped');
      assert.ok(
        !error.message.includes(`/v1/${env.projectId}`),
        `the message names more than the origin: ${error.message}`,
      );
    },
  },
  {
    name: 'a time-out: no response headers within timeoutMs is a GenimixTimeoutError',
    async run(env) {
      await store(env, 'late');
      await env.emulator.addFault({ kind: 'latency', ms: 60_000, route: 'get', imageId: 'late' });
      const error = await rejection(
        env.client({ maxRetries: 0, timeoutMs: 300 }).getImage({ imageId: 'late' }),
        GenimixTimeoutError,
      );
      assert.equal(error.call?.timeoutMs, 300);
    },
  },
  {
    name: 'a time-out: a body that stalls longer than timeoutMs is a GenimixTimeoutError',
    async run(env) {
      await storeStalling(env, 'stalling');
      const streamed = await env.client({ maxRetries: 0, timeoutMs: 300 }).getImageStream({ imageId: 'stalling' });
      await rejection(readAll(streamed.body), GenimixTimeoutError);
    },
  },
  {
    name: 'an abort while waiting for the answer is a GenimixAbortError',
    async run(env) {
      await store(env, 'held');
      const fault = await env.emulator.addFault({ kind: 'latency', ms: 60_000, route: 'get', imageId: 'held' });
      const controller = new AbortController();
      const call = env.client().getImage({ imageId: 'held' }, { signal: controller.signal });
      await fault.whenHit();
      controller.abort();
      await rejection(call, GenimixAbortError);
    },
  },
  {
    name: 'an abort while the body streams is a GenimixAbortError from the stream',
    async run(env) {
      await storeStalling(env, 'aborted-body');
      const controller = new AbortController();
      const streamed = await env.client().getImageStream({ imageId: 'aborted-body' }, { signal: controller.signal });
      const reader = streamed.body.getReader();
      assert.equal((await reader.read()).done, false);
      const pending = reader.read();
      controller.abort();
      await rejection(pending, GenimixAbortError);
    },
  },
  {
    name: 'a server that echoes the key: neither the error nor its server message holds it',
    async run(env) {
      await env.emulator.addFault({
        kind: 'status',
        status: 500,
        route: 'get',
        imageId: 'echo',
        contentType: 'application/json',
        body: JSON.stringify({
          success: false,
          message: `upstream refused x-api-key ${env.apiKey} (${btoa(env.apiKey)})`,
        }),
      });
      const error = await rejection(env.client({ maxRetries: 0 }).getImage({ imageId: 'echo' }), GenimixServerError);
      assert.ok(error.serverMessage?.includes('upstream refused'), `server message: ${error.serverMessage}`);
      for (const text of [error.message, error.serverMessage ?? '', String(error.stack)]) {
        assert.ok(!text.includes(env.apiKey) && !text.includes(btoa(env.apiKey)), 'the key is in the error');
      }
    },
  },
];
