/**
 * Options → Concurrency: up to that many items in flight, results in input order with their
 * pairedItem whatever the order of completion, retries and errors per item, the lowest-index
 * failure reported when the run stops, and cancellation that closes the requests in flight.
 * The server decides when to answer (it holds requests until others have arrived): no sleeps.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../helpers/images.js';
import { PROJECT, startEmulator, type TestEmulator } from './emulator.js';
import { NodeApiError, runNode } from './harness.js';

/** A request the gate server holds until the test answers it. */
interface HeldRequest {
  imageId: string;
  /** Answers 200 with a PNG, or `status` with a JSON error and a request id. */
  answer(status?: number): void;
  /** Resolves when the client closed the connection before the answer (an aborted request). */
  readonly abandoned: Promise<void>;
}

/**
 * A loopback Genimix stand-in for Get that holds every request and hands it to `onRequest`
 * with all requests held so far; it records the most requests it held at once.
 */
async function startGateServer(onRequest: (request: HeldRequest, held: HeldRequest[]) => void) {
  const held: HeldRequest[] = [];
  const seen: string[] = [];
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    const imageId = decodeURIComponent((req.url ?? '').split('/').at(-1) ?? '');
    seen.push(imageId);
    let resolveAbandoned!: () => void;
    const abandoned = new Promise<void>((resolve) => (resolveAbandoned = resolve));
    const request: HeldRequest = {
      imageId,
      abandoned,
      answer(status = 200) {
        remove();
        if (status === 200) {
          res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(TINY_PNG.length) });
          res.end(TINY_PNG);
        } else {
          const body = JSON.stringify({ success: false, message: `No image ${imageId}` });
          res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${imageId}` });
          res.end(body);
        }
      },
    };
    const remove = () => {
      const index = held.indexOf(request);
      if (index >= 0) held.splice(index, 1);
    };
    res.on('close', () => {
      if (!res.writableFinished) {
        remove();
        resolveAbandoned();
      }
    });
    held.push(request);
    maxInFlight = Math.max(maxInFlight, held.length);
    onRequest(request, held);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** Image ids in the order their requests arrived. */
    seen,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type GateServer = Awaited<ReturnType<typeof startGateServer>>;
let gate: GateServer | undefined;
afterEach(async () => {
  await gate?.close();
  gate = undefined;
});

const credentials = (baseUrl: string) => ({ apiKey: 'sk_test_batches_key', projectId: PROJECT, baseUrl });
const getById = (options: INodeParameters) => ({
  resource: 'image',
  operation: 'get',
  imageId: '={{ $json.id }}',
  options,
});
const items = (count: number, prefix = 'b'): INodeExecutionData[] =>
  Array.from({ length: count }, (_, index) => ({ json: { id: `${prefix}-${index}` } }));

/**
 * Holds requests until `size` are held (or every one of `total` has arrived), then answers them
 * last-arrived first: completion in the reverse of the input order, batch after batch.
 */
function inReverseBatches(size: number, total: number) {
  return (_request: HeldRequest, held: HeldRequest[]) => {
    if (held.length === size || gate!.seen.length === total)
      for (const request of [...held].reverse()) request.answer();
  };
}

describe('Options → Concurrency', () => {
  for (const concurrency of [1, 5, 20]) {
    it(`${concurrency}: at most ${concurrency} items in flight, results in input order though they complete in reverse`, async () => {
      const total = 23;
      gate = await startGateServer((request, held) => inReverseBatches(concurrency, total)(request, held));
      const run = await runNode({
        credentials: credentials(gate.url),
        items: items(total),
        parameters: getById({ concurrency }),
      });
      expect(run.error).toBeUndefined();
      expect(gate.maxInFlight()).toBe(concurrency);
      const out = run.output![0]!;
      expect(out.map((item) => item.json.imageId)).toEqual(items(total).map((item) => item.json.id));
      expect(out.map((item) => item.pairedItem)).toEqual(items(total).map((_, index) => ({ item: index })));
      expect(out.every((item) => item.binary?.data?.mimeType === 'image/png')).toBe(true);
    });
  }

  it('defaults to 5', async () => {
    gate = await startGateServer((request, held) => inReverseBatches(5, 12)(request, held));
    const run = await runNode({ credentials: credentials(gate.url), items: items(12), parameters: getById({}) });
    expect(run.error).toBeUndefined();
    expect(gate.maxInFlight()).toBe(5);
  });

  it.each([0, 51, 2.5, '5'])('%j is refused naming the option, before any request', async (concurrency) => {
    gate = await startGateServer((request) => request.answer());
    const run = await runNode({
      credentials: credentials(gate.url),
      items: items(2),
      parameters: getById({ concurrency }),
    });
    expect(run.error?.message).toMatch(/Invalid Concurrency option/);
    expect(gate.seen).toEqual([]);
  });
});

describe('retries and errors stay with their item', () => {
  let api: TestEmulator;
  beforeAll(async () => {
    api = await startEmulator();
    for (let index = 0; index < 8; index++) {
      const put = await api.raw('PUT', `/v1/${PROJECT}/generate/r-${index}`, {
        json: { provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: `Image ${index}` },
      });
      expect(put.status).toBe(200);
    }
  });
  afterAll(async () => {
    await api.close();
  });

  it('a 503 with Retry-After on one item is retried for that item only', async () => {
    api.emulator.faults.add({ kind: 'status', status: 503, retryAfter: '0', route: 'get', imageId: 'r-3' });
    const before = api.log.length;
    const run = await runNode({
      credentials: api.credentials(),
      items: items(8, 'r'),
      parameters: getById({ concurrency: 4 }),
    });
    expect(run.error).toBeUndefined();
    expect(run.output![0]!.map((item) => item.json.imageId)).toEqual(items(8, 'r').map((item) => item.json.id));
    const requests = api.log.slice(before);
    const perImage = (id: string) =>
      requests.filter((entry) => entry.path.endsWith(`/${id}`)).map((entry) => entry.status);
    expect(perImage('r-3')).toEqual([503, 200]);
    for (const id of ['r-0', 'r-1', 'r-2', 'r-4', 'r-5', 'r-6', 'r-7']) expect(perImage(id)).toEqual([200]);
  });

  it('with "Continue", failed items take their own place among the results', async () => {
    const run = await runNode({
      continueOnFail: true,
      credentials: api.credentials(),
      items: [
        { json: { id: 'r-0' } },
        { json: { id: 'r-missing-1' } },
        { json: { id: 'r-2' } },
        { json: { id: 'bad id!' } },
        { json: { id: 'r-4' } },
      ],
      parameters: getById({ concurrency: 5 }),
    });
    expect(run.error).toBeUndefined();
    const out = run.output![0]!;
    expect(out.map((item) => item.pairedItem)).toEqual([0, 1, 2, 3, 4].map((item) => ({ item })));
    expect(
      out.map(
        (item) =>
          item.json.imageId ??
          (item.json.details as { status?: number; parameter?: string }).status ??
          (item.json.details as { parameter?: string }).parameter,
      ),
    ).toEqual(['r-0', 404, 'r-2', 'Image ID', 'r-4']);
  });
});

describe('without "Continue"', () => {
  it('reports the lowest-index failure even when a later item failed first, aborts the later ones in flight, and starts no more', async () => {
    // Items 1 and 3 fail; 3's failure comes first. Item 4 is in flight and must be aborted; item
    // 5 must never start; items 0-2 run to their end, and 1's failure is the one reported.
    gate = await startGateServer((_request, held) => {
      if (held.length < 5) return;
      const byId = (id: string) => held.find((request) => request.imageId === id)!;
      const [first, failing, second, later, inFlight] = ['s-0', 's-1', 's-2', 's-3', 's-4'].map(byId);
      later!.answer(404);
      void inFlight!.abandoned.then(() => {
        failing!.answer(404);
        first!.answer();
        second!.answer();
      });
    });
    const run = await runNode({
      credentials: credentials(gate.url),
      items: items(6, 's'),
      parameters: getById({ concurrency: 5 }),
    });
    expect(run.output).toBeUndefined();
    expect(run.error).toBeInstanceOf(NodeApiError);
    const error = run.error as InstanceType<typeof NodeApiError>;
    expect(error.context.itemIndex).toBe(1);
    expect(error.message).toMatch(/^Get of image s-1 failed: 404/);
    expect(gate.seen).not.toContain('s-5');
  });
});

describe('cancelling the execution', () => {
  it('aborts every request in flight (the server sees each connection closed) and starts no more', async () => {
    const abort = new AbortController();
    const abandoned: Array<Promise<void>> = [];
    gate = await startGateServer((request, held) => {
      abandoned.push(request.abandoned);
      if (held.length === 3) abort.abort();
    });
    const run = await runNode({
      abortSignal: abort.signal,
      credentials: credentials(gate.url),
      items: items(6, 'c'),
      parameters: getById({ concurrency: 3 }),
    });
    expect(run.output).toBeUndefined();
    expect(run.error?.message).toMatch(/cancel/i);
    // Resolves only when the server has seen all three connections closed unanswered.
    await Promise.all(abandoned);
    expect(abandoned).toHaveLength(3);
    expect(gate.seen).toEqual(['c-0', 'c-1', 'c-2']);
  });
});
