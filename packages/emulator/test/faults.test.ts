/**
 * Fault injection: every kind on every operation over real HTTP on loopback, what the client sees
 * and what the store holds afterwards; times, hits and the request log; close() during a fault;
 * the CLI's --fault spec. No sleeps for synchronisation and no timing asserts: a test waits for a
 * fault's hit (whenHit) or a client event, and latency is checked by order and hits, not duration.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createEmulator,
  describeFault,
  type Emulator,
  type EmulatorOptions,
  type Fault,
  parseFaultSpec,
  type RequestLogEntry,
  type RouteName,
  renderImage,
} from '../src/index.js';
import { KEY, longTimers, MODEL, openHandles, PROMPT, sampleImage, startEmulator } from './helpers.js';

const PROJECT = 'demo';
const ID = 'target';
const ROUTES: readonly RouteName[] = ['generate', 'upload', 'get', 'delete'];
const MAX_TIMER_MS = 2_147_483_647;

/** The image every test starts with under demo/target. */
const ORIGINAL = await sampleImage('png', 1);
/** What an upload sends. */
const NEW = await sampleImage('png', 7);
/** What a generate stores (deterministic). */
const GENERATED = await renderImage({ ...MODEL, prompt: PROMPT });

/** One request of an operation on demo/target. */
interface Call {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function callOf(route: RouteName, imageId = ID): Call {
  const headers: Record<string, string> = { 'x-api-key': KEY };
  switch (route) {
    case 'generate':
      return {
        method: 'PUT',
        path: `/v1/${PROJECT}/generate/${imageId}`,
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify({ ...MODEL, prompt: PROMPT })),
      };
    case 'upload':
      return {
        method: 'PUT',
        path: `/v1/${PROJECT}/image/${imageId}`,
        headers: { ...headers, 'Content-Type': 'image/png' },
        body: NEW,
      };
    case 'get':
      return { method: 'GET', path: `/v1/${PROJECT}/image/${imageId}`, headers };
    case 'delete':
      return { method: 'DELETE', path: `/v1/${PROJECT}/image/${imageId}`, headers };
  }
}

/** The exact body the operation answers without faults. */
function normalBody(emulator: Emulator, route: RouteName): Buffer {
  const imageUrl = `${emulator.url}/v1/${PROJECT}/image/${ID}`;
  switch (route) {
    case 'generate':
      return Buffer.from(JSON.stringify({ success: true, message: 'Image generated successfully', imageUrl }));
    case 'upload':
      return Buffer.from(JSON.stringify({ success: true, message: 'Image uploaded successfully', imageUrl }));
    case 'get':
      return ORIGINAL;
    case 'delete':
      return Buffer.from(JSON.stringify({ success: true, deleted: ID }));
  }
}

/** A fetch of the operation (undici, as the core client uses). */
function fetchOf(emulator: Emulator, route: RouteName, imageId = ID): Promise<Response> {
  const call = callOf(route, imageId);
  return fetch(emulator.url + call.path, { method: call.method, headers: call.headers, body: call.body });
}

/** What a node:http client saw of one exchange on its own connection. */
interface Seen {
  status: number;
  headers: IncomingHttpHeaders;
  /** Every body byte received. */
  body: Buffer;
  /** How many `data` events the body came in. */
  pieces: number;
  /** True when the body arrived whole; false when the connection ended first. */
  complete: boolean;
}

/**
 * Sends the call on a fresh connection (no keep-alive, so nothing outlives the test). Settles once
 * the client's socket is closed: resolves with what arrived, or rejects when the connection failed
 * before a response ("socket hang up", ECONNRESET).
 */
function exchange(emulator: Emulator, call: Call): Promise<Seen> {
  return new Promise((resolve, reject) => {
    let seen: Seen | undefined;
    let failed: Error | undefined;
    let requestClosed = false;
    let responding = false;
    // Node reports a failed connection ('error') before it has closed the socket, and the
    // request's and the response's 'close' come in either order: settle after both.
    const settle = () => {
      if (!requestClosed || (responding && !seen)) return;
      if (seen) resolve(seen);
      else reject(failed ?? new Error('closed without a response or an error'));
    };
    const req = httpRequest(
      emulator.url + call.path,
      { method: call.method, headers: call.headers, agent: false },
      (res) => {
        responding = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        // A cut-off body errors the response ("aborted"); 'close' comes after either way.
        res.on('error', () => {});
        res.on('close', () => {
          seen = {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            pieces: chunks.length,
            complete: res.complete,
          };
          settle();
        });
      },
    );
    req.on('error', (err) => (failed ??= err));
    req.on('close', () => {
      requestClosed = true;
      settle();
    });
    req.end(call.body);
  });
}

/** A fresh emulator with ORIGINAL stored under demo/target and an empty request log. */
async function seeded(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  const seed = await fetch(`${emulator.url}/v1/${PROJECT}/image/${ID}`, {
    method: 'PUT',
    headers: { 'x-api-key': KEY, 'Content-Type': 'image/png' },
    body: ORIGINAL,
  });
  expect(seed.status).toBe(200);
  emulator.requests.clear();
  return emulator;
}

/** Checks demo/target: as seeded when the request was not handled, else as the operation leaves it. */
async function expectStore(emulator: Emulator, route: RouteName, handled: boolean): Promise<void> {
  const stored = await emulator.store.get(PROJECT, ID);
  if (!handled || route === 'get') {
    expect(Buffer.from(stored!.bytes).equals(ORIGINAL), 'demo/target is unchanged').toBe(true);
  } else if (route === 'delete') {
    expect(stored, 'demo/target was deleted').toBeUndefined();
  } else {
    expect(
      Buffer.from(stored!.bytes).equals(route === 'upload' ? NEW : GENERATED),
      `demo/target holds the ${route}d image`,
    ).toBe(true);
  }
}

/** The error a fetch failed with, with its cause's code (undici's UND_ERR_SOCKET, ECONNRESET, EPIPE). */
async function failure(promise: Promise<unknown>): Promise<{ error: Error; code: string | undefined }> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(error, 'the call fails').toBeInstanceOf(Error);
  return { error: error!, code: (error!.cause as { code?: string } | undefined)?.code };
}

const SOCKET_ERRORS = ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'];

describe.each(ROUTES)('faults on %s', (route) => {
  it('status: answers the status with Retry-After as given, changes nothing, and the next request is handled', async () => {
    const emulator = await seeded();
    const fault = emulator.faults.add({ kind: 'status', status: 503, retryAfter: '1', route });

    const response = await fetchOf(emulator, route);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      success: false,
      message: 'Service Unavailable (a fault injected by the emulator).',
    });
    await expectStore(emulator, route, false);
    expect([fault.hits, fault.remaining]).toEqual([1, 0]);

    const next = await fetchOf(emulator, route);
    expect(next.status).toBe(200);
    expect(Buffer.from(await next.arrayBuffer()).equals(normalBody(emulator, route))).toBe(true);
    await expectStore(emulator, route, true);
    expect(emulator.requests.list().map((r) => [r.route, r.status, r.fault])).toEqual([
      [route, 503, 'status'],
      [route, 200, undefined],
    ]);
  });

  it('latency: holds the request, then handles it normally', async () => {
    const emulator = await seeded();
    const fault = emulator.faults.add({ kind: 'latency', ms: 20, route });
    const response = await fetchOf(emulator, route);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(normalBody(emulator, route))).toBe(true);
    await expectStore(emulator, route, true);
    expect(fault.hits).toBe(1);
    expect(emulator.requests.list()).toMatchObject([{ route, status: 200, fault: 'latency' }]);
  });

  it('drop before-processing: the client gets a socket error and nothing changes', async () => {
    const emulator = await seeded();
    const fault = emulator.faults.add({ kind: 'drop', when: 'before-processing', route });
    const { error, code } = await failure(fetchOf(emulator, route));
    expect(error).toBeInstanceOf(TypeError); // fetch's "fetch failed"
    expect(SOCKET_ERRORS).toContain(code);
    await expectStore(emulator, route, false);
    expect(fault.hits).toBe(1);
    expect(emulator.requests.list()).toMatchObject([{ route, status: 'dropped', fault: 'drop' }]);
    // The emulator itself is fine: the next request is handled.
    expect((await fetchOf(emulator, route)).status).toBe(200);
  });

  it('drop after-processing: the client gets a socket error, yet the work was done', async () => {
    const emulator = await seeded();
    emulator.faults.add({ kind: 'drop', when: 'after-processing', route });
    const { error, code } = await failure(fetchOf(emulator, route));
    expect(error).toBeInstanceOf(TypeError);
    expect(SOCKET_ERRORS).toContain(code);
    await expectStore(emulator, route, true);
    expect(emulator.requests.list()).toMatchObject([{ route, status: 'dropped', fault: 'drop' }]);
  });

  it('drop mid-body: a 200 with the full Content-Length whose body stops after half', async () => {
    const emulator = await seeded();
    emulator.faults.add({ kind: 'drop', when: 'mid-body', route, times: 2 });
    const whole = normalBody(emulator, route);

    const seen = await exchange(emulator, callOf(route));
    expect(seen.status).toBe(200);
    expect(seen.headers['content-length']).toBe(String(whole.length));
    expect(seen.complete).toBe(false);
    expect(seen.body.equals(whole.subarray(0, Math.floor(whole.length / 2)))).toBe(true);
    // Get changes nothing; the others did their work before the cut.
    await expectStore(emulator, route, true);

    // With fetch: the response arrives, reading its body fails.
    if (route === 'upload' || route === 'get') {
      const response = await fetchOf(emulator, route);
      expect(response.status).toBe(200);
      const { error, code } = await failure(response.arrayBuffer());
      expect(error).toBeInstanceOf(TypeError); // "terminated"
      expect(SOCKET_ERRORS).toContain(code);
    }
    expect(emulator.requests.list().every((r) => r.status === 'dropped' && r.fault === 'drop')).toBe(true);
  });

  it('slow-body: the whole body arrives, in pieces', async () => {
    const emulator = await seeded();
    const whole = normalBody(emulator, route);
    const fault = emulator.faults.add({
      kind: 'slow-body',
      chunkBytes: Math.ceil(whole.length / 3),
      delayMs: 10,
      route,
    });
    const seen = await exchange(emulator, callOf(route));
    expect(seen.status).toBe(200);
    expect(seen.complete).toBe(true);
    expect(seen.body.equals(whole)).toBe(true);
    // 10 ms between writes on an otherwise idle loop: the client reads them apart.
    expect(seen.pieces).toBeGreaterThan(1);
    await expectStore(emulator, route, true);
    expect(fault.hits).toBe(1);
    expect(emulator.requests.list()).toMatchObject([{ route, status: 200, fault: 'slow-body' }]);
  });

  it('malformed: a 200 with a body that breaks the contract, instead of handling', async () => {
    const emulator = await seeded();
    const html = '<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>';
    emulator.faults.add({ kind: 'malformed', body: html, contentType: 'text/html; charset=utf-8', route });
    emulator.faults.add({ kind: 'malformed', body: '{"success":true}', route });

    const page = await fetchOf(emulator, route);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toBe(html);
    const json = await fetchOf(emulator, route);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await json.text()).toBe('{"success":true}');
    await expectStore(emulator, route, false);
    expect(emulator.requests.list().map((r) => [r.status, r.fault])).toEqual([
      [200, 'malformed'],
      [200, 'malformed'],
    ]);
  });
});

describe('status bodies', () => {
  const cases: Array<[string, Partial<Fault>, string | null, string]> = [
    [
      'an HTML error page',
      { body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' },
      'text/html',
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
    ],
    [
      'plain text (the default type of a raw body)',
      { body: 'upstream connect error' },
      'text/plain; charset=utf-8',
      'upstream connect error',
    ],
    ['an empty body without a type', { body: '', contentType: null }, null, ''],
    [
      'broken JSON',
      { body: '{"success":false,"mess', contentType: 'application/json' },
      'application/json',
      '{"success":false,"mess',
    ],
  ];
  it.each(cases)('sends %s as given', async (_name, extra, contentType, body) => {
    const emulator = await startEmulator();
    emulator.faults.add({ kind: 'status', status: 502, ...extra } as Fault);
    const response = await fetchOf(emulator, 'get');
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toBe(contentType);
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(await response.text()).toBe(body);
  });

  it('sends Retry-After as an HTTP date, exactly as given, with 429', async () => {
    const emulator = await startEmulator();
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    emulator.faults.add({ kind: 'status', status: 429, retryAfter: date });
    emulator.faults.add({ kind: 'status', status: 503, retryAfter: 'soon' });
    const first = await fetchOf(emulator, 'generate');
    expect([first.status, first.headers.get('retry-after')]).toEqual([429, date]);
    expect(((await first.json()) as { message: string }).message).toMatch(/^Too Many Requests/);
    const second = await fetchOf(emulator, 'generate');
    // Not checked for meaning, so a client's handling of a bad value can be tested.
    expect([second.status, second.headers.get('retry-after')]).toEqual([503, 'soon']);
  });

  it('answers an upload whose large body it never reads, and keeps the connection usable', async () => {
    const emulator = await startEmulator();
    emulator.faults.add({ kind: 'status', status: 503, route: 'upload' });
    const big = Buffer.concat([NEW, Buffer.alloc(8 * 1024 * 1024)]);
    const response = await fetch(`${emulator.url}/v1/${PROJECT}/image/big`, {
      method: 'PUT',
      headers: { 'x-api-key': KEY, 'Content-Type': 'image/png' },
      body: big,
    });
    expect(response.status).toBe(503);
    await response.arrayBuffer();
    expect(await emulator.store.has(PROJECT, 'big')).toBe(false);
    expect((await fetchOf(emulator, 'get', 'big')).status).toBe(404);
  });
});

describe('latency', () => {
  it('holds one request while later ones are answered, and logs requests in arrival order', async () => {
    const emulator = await seeded();
    const slow = emulator.faults.add({ kind: 'latency', ms: MAX_TIMER_MS, route: 'get', imageId: 'slow' });
    let settled = false;
    const held = fetchOf(emulator, 'get', 'slow').finally(() => (settled = true));
    held.catch(() => {});
    await slow.whenHit();

    expect((await fetchOf(emulator, 'get')).status).toBe(200);
    expect((await fetchOf(emulator, 'get', 'slow-not')).status).toBe(404);
    expect(settled).toBe(false);
    expect(emulator.requests.list().map((r) => [r.imageId, r.status, r.fault])).toEqual([
      ['slow', 'pending', 'latency'],
      [ID, 200, undefined],
      ['slow-not', 404, undefined],
    ]);
    expect(slow.hits).toBe(1);

    await emulator.close();
    const { code } = await failure(held);
    expect(SOCKET_ERRORS).toContain(code);
    // Held, then cut by close(): never handled.
    expect(emulator.requests.list()[0]).toMatchObject({ imageId: 'slow', status: 'dropped' });
  });

  it('drops a held upload whose client gives up, without storing it', async () => {
    let ended!: (entry: RequestLogEntry) => void;
    const entry = new Promise<RequestLogEntry>((resolve) => (ended = resolve));
    const emulator = await seeded({
      onRequest: (e) => e.method === 'PUT' && e.path.endsWith(`/${ID}`) && e.fault && ended(e),
    });
    const fault = emulator.faults.add({ kind: 'latency', ms: MAX_TIMER_MS, route: 'upload' });
    const controller = new AbortController();
    const call = callOf('upload');
    const upload = fetch(emulator.url + call.path, {
      method: 'PUT',
      headers: call.headers,
      body: call.body,
      signal: controller.signal,
    });
    await fault.whenHit();
    controller.abort();
    await expect(upload).rejects.toThrow();
    // The abort reaches the server as a closed connection, which ends the wait there.
    expect(await entry).toMatchObject({ aborted: true, fault: 'latency' });
    expect(emulator.requests.list()).toMatchObject([{ route: 'upload', status: 'dropped', fault: 'latency' }]);
    await expectStore(emulator, 'upload', false);
  });
});

describe('times, remaining, hits and matching', () => {
  it('counts down remaining and up hits; Infinity stays Infinity', async () => {
    const emulator = await seeded();
    const three = emulator.faults.add({ kind: 'status', status: 500, route: 'get', times: 3 });
    expect([three.remaining, three.hits]).toEqual([3, 0]);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetchOf(emulator, 'get')).status);
    expect(statuses).toEqual([500, 500, 500, 200]);
    expect([three.remaining, three.hits]).toEqual([0, 3]);

    const always = emulator.faults.add({ kind: 'latency', ms: 0, times: Infinity });
    for (const route of ROUTES) await (await fetchOf(emulator, route, 'other')).arrayBuffer();
    expect([always.remaining, always.hits]).toEqual([Infinity, 4]);
  });

  it('applies the first matching fault with times left, one per request, in the order added', async () => {
    const emulator = await seeded();
    const first = emulator.faults.add({ kind: 'status', status: 502 });
    const second = emulator.faults.add({ kind: 'status', status: 503, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetchOf(emulator, 'get')).status);
    expect(statuses).toEqual([502, 503, 503, 200]);
    expect([first.hits, second.hits]).toEqual([1, 2]);
  });

  it('matches route, projectId and imageId; others pass through and use nothing up', async () => {
    const emulator = await seeded();
    const fault = emulator.faults.add({ kind: 'status', status: 500, route: 'get', projectId: PROJECT, imageId: ID });
    expect((await fetchOf(emulator, 'delete', 'other')).status).toBe(404); // another route
    expect((await fetchOf(emulator, 'get', 'other')).status).toBe(404); // another image
    const otherProject = await fetch(`${emulator.url}/v1/elsewhere/image/${ID}`, { headers: { 'x-api-key': KEY } });
    expect(otherProject.status).toBe(404);
    // Unknown routes and wrong methods are no operation: even a fault for every route skips them.
    emulator.faults.add({ kind: 'status', status: 599, times: Infinity });
    expect(
      (await fetch(`${emulator.url}/v1/${PROJECT}/image/${ID}`, { method: 'POST', headers: { 'x-api-key': KEY } }))
        .status,
    ).toBe(405);
    expect((await fetch(`${emulator.url}/health`)).status).toBe(404);
    expect(fault.hits).toBe(0);
    // A percent-encoded id matches its decoded form.
    expect((await fetch(`${emulator.url}/v1/d%65mo/image/t%61rget`, { headers: { 'x-api-key': KEY } })).status).toBe(
      500,
    );
    expect(fault.hits).toBe(1);
  });

  it('matches before the key is checked, as a proxy in front of the API would', async () => {
    const emulator = await seeded();
    emulator.faults.add({ kind: 'status', status: 503 });
    const response = await fetch(`${emulator.url}/v1/${PROJECT}/image/${ID}`, { headers: { 'x-api-key': 'wrong' } });
    expect(response.status).toBe(503);
  });

  it('remove() and clear() stop faults; whenHit resolves on the hit and rejects when a fault ends first', async () => {
    const emulator = await seeded();
    const removed = emulator.faults.add({ kind: 'status', status: 500, times: Infinity });
    const waiting = removed.whenHit(5);
    removed.remove();
    await expect(waiting).rejects.toThrow(/will not reach 5 hits.*removed/);
    expect(removed.remaining).toBe(0);
    expect((await fetchOf(emulator, 'get')).status).toBe(200);

    const a = emulator.faults.add({ kind: 'status', status: 500 });
    const hit = a.whenHit();
    expect((await fetchOf(emulator, 'get')).status).toBe(500);
    await expect(hit).resolves.toBeUndefined();
    await expect(a.whenHit(2)).rejects.toThrow(/spent/);

    const b = emulator.faults.add({ kind: 'status', status: 500, times: 2 });
    const unreached = b.whenHit();
    emulator.faults.clear();
    await expect(unreached).rejects.toThrow(/cleared/);
    expect((await fetchOf(emulator, 'get')).status).toBe(200);
    // Never awaited: clearing it must not become an unhandled rejection.
    void emulator.faults.add({ kind: 'latency', ms: 1 }).whenHit();
    emulator.faults.clear();
  });

  it('refuses malformed faults with a TypeError naming the field', async () => {
    const emulator = await startEmulator();
    const bad: Array<[unknown, RegExp]> = [
      [{ kind: 'teapot' }, /fault\.kind must be one of latency, status, drop, slow-body, malformed/],
      [{ kind: 'status', status: 99 }, /fault\.status must be an HTTP status from 200 to 599; got 99/],
      [{ kind: 'status', status: 503, retryAfter: '1\r\nX-Evil: 1' }, /fault\.retryAfter/],
      [{ kind: 'latency', ms: -1 }, /fault\.ms must be a number of milliseconds/],
      [{ kind: 'latency', ms: 5, time: 2 }, /fault\.time is not a field of a latency fault/],
      [{ kind: 'latency', ms: 5, times: 0 }, /fault\.times must be a whole number ≥ 1 or Infinity; got 0/],
      [{ kind: 'drop', when: 'later' }, /fault\.when must be one of before-processing, after-processing, mid-body/],
      [{ kind: 'slow-body', chunkBytes: 0, delayMs: 5 }, /fault\.chunkBytes/],
      [{ kind: 'malformed', body: '{}', status: 500 }, /fault\.status must be an HTTP status from 200 to 299/],
      [{ kind: 'malformed' }, /fault\.body must be a string or a Uint8Array/],
      [{ kind: 'status', status: 503, route: 'post' }, /fault\.route must be one of generate, upload, get, delete/],
    ];
    for (const [fault, message] of bad) {
      expect(() => emulator.faults.add(fault as Fault), JSON.stringify(fault)).toThrow(TypeError);
      expect(() => emulator.faults.add(fault as Fault)).toThrow(message);
    }
    await expect(
      createEmulator({ faults: [{ kind: 'latency', ms: 1 }, { kind: 'nope' } as unknown as Fault] }),
    ).rejects.toThrow(/^faults\[1\]: fault\.kind/);
  });
});

describe('the request log', () => {
  it('lists every request in order with route, ids, status and fault, as frozen snapshots, and clears', async () => {
    const emulator = await startEmulator({ apiKeys: ['sk_log_secret'] });
    emulator.faults.add({ kind: 'status', status: 503, route: 'get' });
    await fetch(`${emulator.url}/v1/${PROJECT}/image/${ID}?x=1`, { headers: { 'x-api-key': 'sk_log_secret' } });
    await fetch(`${emulator.url}/v1/${PROJECT}/image/${ID}`, {
      method: 'DELETE',
      headers: { 'x-api-key': 'sk_log_secret' },
    });
    await fetch(`${emulator.url}/v1/sk_log_secret/generate/x`, {
      method: 'GET',
      headers: { 'x-api-key': 'sk_log_secret' },
    });

    const log = emulator.requests.list();
    expect(log).toEqual([
      {
        requestId: expect.stringMatching(/^req_/),
        method: 'GET',
        path: `/v1/${PROJECT}/image/${ID}`,
        route: 'get',
        projectId: PROJECT,
        imageId: ID,
        status: 503,
        fault: 'status',
      },
      {
        requestId: expect.stringMatching(/^req_/),
        method: 'DELETE',
        path: `/v1/${PROJECT}/image/${ID}`,
        route: 'delete',
        projectId: PROJECT,
        imageId: ID,
        status: 404,
      },
      {
        requestId: expect.stringMatching(/^req_/),
        method: 'GET',
        path: '/v1/[redacted]/generate/x',
        route: undefined,
        status: 405,
      },
    ]);
    expect(Object.isFrozen(log) && Object.isFrozen(log[0])).toBe(true);
    emulator.requests.clear();
    expect(emulator.requests.list()).toEqual([]);
  });

  it('carries the request id the response had', async () => {
    const emulator = await seeded();
    const response = await fetchOf(emulator, 'get');
    expect(emulator.requests.list()[0]!.requestId).toBe(response.headers.get('x-request-id'));
  });
});

describe('uploads on disk under faults', () => {
  /** The files under <dataDir>/demo, sorted. */
  const files = async (dataDir: string) => (await readdir(join(dataDir, PROJECT)).catch(() => [] as string[])).sort();

  it.each([
    ['drop before-processing', { kind: 'drop', when: 'before-processing' }, false],
    ['drop after-processing', { kind: 'drop', when: 'after-processing' }, true],
    ['drop mid-body', { kind: 'drop', when: 'mid-body' }, true],
    ['status 503', { kind: 'status', status: 503 }, false],
    ['malformed', { kind: 'malformed', body: 'OK' }, false],
  ] as Array<[string, Fault, boolean]>)(
    '%s leaves a whole image or none, and no temporary file',
    async (_name, fault, stored) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'genimix-faults-'));
      onTestFinished(() => rm(dataDir, { recursive: true, force: true }));
      const emulator = await startEmulator({ dataDir });
      emulator.faults.add({ ...fault, route: 'upload' });
      await exchange(emulator, callOf('upload', 'photo')).catch(() => undefined);
      // close() waits for requests being handled, so the folder is settled.
      await emulator.close();
      expect(emulator.requests.list()).toMatchObject([
        { route: 'upload', status: stored || fault.kind !== 'drop' ? expect.anything() : 'dropped' },
      ]);

      if (stored) {
        expect(await files(dataDir)).toEqual(['photo', 'photo~meta.json']);
        expect((await readFile(join(dataDir, PROJECT, 'photo'))).equals(NEW)).toBe(true);
      } else {
        expect(await files(dataDir)).toEqual([]);
      }
      const again = await createEmulator({ dataDir });
      onTestFinished(() => again.close());
      expect(await again.store.has(PROJECT, 'photo')).toBe(stored);
    },
  );
});

describe('close() during a fault', () => {
  it('returns without waiting for a pending latency, and leaves no timer, socket or server open', async () => {
    // Sockets and servers are counted whole; timers only where they are the emulator's long
    // waits, since the test runner's own short timers come and go under load.
    const before = sockets();
    const timers = longTimers();
    const emulator = await createEmulator();
    const fault = emulator.faults.add({ kind: 'latency', ms: MAX_TIMER_MS });
    const seen = exchange(emulator, callOf('get'));
    seen.catch(() => {});
    await fault.whenHit();
    expect(timers.count()).toBe(1);

    // The wait is 24.8 days: close() resolving at all shows it cleared the timer.
    await emulator.close();
    await expect(seen).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(sockets()).toEqual(before);
    expect(timers.count()).toBe(0);
    expect(emulator.requests.list()).toMatchObject([{ status: 'dropped', fault: 'latency' }]);
  });

  it('returns without waiting for a slow body, and leaves nothing open', async () => {
    const before = sockets();
    const timers = longTimers();
    const emulator = await createEmulator();
    expect((await exchange(emulator, { ...callOf('upload'), body: ORIGINAL })).status).toBe(200);
    emulator.faults.add({ kind: 'slow-body', chunkBytes: 8, delayMs: MAX_TIMER_MS });
    // The body has started (the headers and the first 8 bytes) when the first 'data' comes:
    // close the emulator right then.
    const cut = new Promise<{ complete: boolean; bytes: number }>((resolve, reject) => {
      let bytes = 0;
      let complete = false;
      const req = httpRequest(
        emulator.url + callOf('get').path,
        { headers: { 'x-api-key': KEY }, agent: false },
        (res) => {
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            void emulator.close();
          });
          res.on('error', () => {});
          res.on('end', () => (complete = true));
        },
      );
      req.on('error', reject);
      req.on('close', () => resolve({ complete, bytes }));
      req.end();
    });
    expect(await cut).toEqual({ complete: false, bytes: 8 });
    await emulator.close();
    expect(sockets()).toEqual(before);
    expect(timers.count()).toBe(0);
  });
});

/** Open TCP servers and sockets of this process. */
function sockets(): { TCPServerWrap: number; TCPSocketWrap: number } {
  const { TCPServerWrap, TCPSocketWrap } = openHandles();
  return { TCPServerWrap, TCPSocketWrap };
}

describe('parseFaultSpec', () => {
  const good: Array<[string, Fault]> = [
    ['get:status=503,times=2,retry-after=1', { kind: 'status', route: 'get', status: 503, retryAfter: '1', times: 2 }],
    ['upload:drop=mid-body', { kind: 'drop', route: 'upload', when: 'mid-body', times: 1 }],
    ['any:latency=200,times=inf', { kind: 'latency', ms: 200, times: Infinity }],
    ['get:slow-body=1024/50', { kind: 'slow-body', route: 'get', chunkBytes: 1024, delayMs: 50, times: 1 }],
    [
      'delete:drop=after-processing,project=demo,image=cat',
      { kind: 'drop', route: 'delete', when: 'after-processing', projectId: 'demo', imageId: 'cat', times: 1 },
    ],
    [
      'generate:status=429,retry-after="Wed, 21 Oct 2026 07:28:00 GMT"',
      { kind: 'status', route: 'generate', status: 429, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT', times: 1 },
    ],
    [
      'get:status=502,body="<h1>Bad, \\"gateway\\"</h1>",content-type=text/html',
      {
        kind: 'status',
        route: 'get',
        status: 502,
        body: '<h1>Bad, "gateway"</h1>',
        contentType: 'text/html',
        times: 1,
      },
    ],
    [
      'get:status=500,body=,content-type=none',
      { kind: 'status', route: 'get', status: 500, body: '', contentType: null, times: 1 },
    ],
    [
      'get:malformed=text',
      { kind: 'malformed', route: 'get', body: 'OK', contentType: 'text/plain; charset=utf-8', times: 1 },
    ],
    ['upload:malformed,body={},status=201', { kind: 'malformed', route: 'upload', body: '{}', status: 201, times: 1 }],
    [' get : latency = 5 , times = 3 ', { kind: 'latency', route: 'get', ms: 5, times: 3 }],
  ];
  it.each(good)('parses %s', (spec, fault) => {
    expect(parseFaultSpec(spec)).toEqual(fault);
  });

  const bad: Array<[string, string]> = [
    ['', 'empty'],
    ['status=503', 'no operation: start with one of generate:, upload:, get:, delete:, any:'],
    ['post:status=503', '"post": unknown operation; use generate, upload, get, delete, any.'],
    ['get:', 'no fault after "get:"'],
    ['get:stat=503', '"stat=503": unknown fault'],
    ['get:status=99', '"status=99": the status must be an HTTP status from 200 to 599.'],
    ['get:status=503x', '"status=503x": the status must be'],
    ['get:latency=-5', '"latency=-5": the latency must be a whole number of milliseconds'],
    [
      'upload:drop=sometimes',
      '"drop=sometimes": say when to drop: drop=before-processing, drop=after-processing, drop=mid-body.',
    ],
    ['get:slow-body=1024', '"slow-body=1024": write slow-body=<chunkBytes>/<delayMs>'],
    ['get:slow-body=0/50', '"slow-body=0/50": the chunk size must be a whole number of bytes ≥ 1.'],
    [
      'get:malformed=xml',
      '"malformed=xml": unknown body; use malformed=json, malformed=broken-json, malformed=html, malformed=text, malformed=empty',
    ],
    ['get:malformed', '"malformed": say which body'],
    ['get:status=503,times=0', '"times=0": times must be a whole number (or inf) ≥ 1.'],
    [
      'get:status=503,tims=2',
      '"tims=2": unknown option for a status fault; use times, project, image, retry-after, body, content-type.',
    ],
    ['get:latency=5,retry-after=1', '"retry-after=1": unknown option for a latency fault'],
    ['get:status=503,times=2,times=3', '"times=3": times is given twice.'],
    ['get:status=503,times', '"times": an option needs a value'],
    ['get:status=503,', 'a trailing comma'],
    ['get:status=503,,times=2', 'an empty part between commas'],
    ['get:status=503,body="open', '"body="open": the quoted value has no closing ".'],
    ['get:status=503,body="a"b', '"body="a"b": put a comma right after the closing ".'],
    ['get:status=503,body=a"b', '"body=a"b": a value with a quote in it must be quoted whole'],
    [
      'get:malformed=json,status=500',
      '"status=500": a malformed body\'s status must be a success status from 200 to 299.',
    ],
  ];
  it.each(bad)('refuses %j, naming the bad part', (spec, detail) => {
    let error: unknown;
    try {
      parseFaultSpec(spec);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect((error as { detail: string }).detail).toContain(detail);
    expect((error as Error).message).toBe(
      `Fault spec ${JSON.stringify(spec)}: ${(error as { detail: string }).detail}`,
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('describes faults for the start line', () => {
    expect(describeFault(parseFaultSpec('get:status=503,times=2,retry-after=1'))).toBe(
      'get: status 503 (Retry-After 1), 2 times',
    );
    expect(describeFault(parseFaultSpec('any:latency=200,times=inf'))).toBe('any: latency 200 ms, every time');
    expect(describeFault(parseFaultSpec('upload:drop=mid-body,image=cat'))).toBe(
      'upload image cat: drop mid-body, once',
    );
  });
});

describe('genimix-emulator --fault', () => {
  const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

  function run(args: string[]) {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    const firstLine = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const nl = stdout.indexOf('\n');
        if (nl >= 0) resolve(stdout.slice(0, nl));
      });
      void exit.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    firstLine.catch(() => {});
    return { child, exit, firstLine, stdout: () => stdout, stderr: () => stderr };
  }

  it('applies a fault given on the command line, says so at start and in the request lines', async () => {
    const r = run([
      '--port',
      '0',
      '--fault',
      'get:status=503,times=2,retry-after=1',
      '--fault',
      'delete:drop=before-processing',
    ]);
    const line = await r.firstLine;
    expect(line).toMatch(
      /listening on http:\/\/127\.0\.0\.1:\d+ \(1 API key; images in memory; faults: get: status 503 \(Retry-After 1\), 2 times; delete: drop before-processing, once\)$/,
    );
    const url = /http:\/\/[\d.:]+/.exec(line)![0];

    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${url}/v1/demo/image/x`, { headers: { 'x-api-key': 'dev-key' } });
      await response.arrayBuffer();
      statuses.push([response.status, response.headers.get('retry-after')]);
    }
    expect(statuses).toEqual([
      [503, '1'],
      [503, '1'],
      [404, null],
    ]);
    await expect(
      fetch(`${url}/v1/demo/image/x`, { method: 'DELETE', headers: { 'x-api-key': 'dev-key' } }),
    ).rejects.toThrow(TypeError);

    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.stderr()).toMatch(/^GET \/v1\/demo\/image\/x 503 \d+ms \(fault: status\)$/m);
    expect(r.stderr()).toMatch(/^GET \/v1\/demo\/image\/x 404 \d+ms$/m);
    expect(r.stderr()).toMatch(/^DELETE \/v1\/demo\/image\/x aborted \d+ms \(fault: drop\)$/m);
  });

  it('refuses a bad spec with exit code 1 and an error line naming the bad part', async () => {
    const r = run(['--port', '0', '--fault', 'get:status=503', '--fault', 'get:status=503,tims=2']);
    expect(await r.exit).toBe(1);
    expect(r.stdout()).toBe('');
    const [error, hint, ...more] = r.stderr().trim().split('\n');
    expect(error).toBe(
      `error: option '--fault <spec>' argument 'get:status=503,tims=2' is invalid. "tims=2": unknown option for a status fault; use times, project, image, retry-after, body, content-type.`,
    );
    expect(hint).toMatch(/--help/);
    expect(more).toEqual([]);
  });

  it('documents --fault in --help, with examples', async () => {
    const r = run(['--help']);
    expect(await r.exit).toBe(0);
    expect(r.stdout()).toContain('--fault <spec>');
    expect(r.stdout()).toContain('genimix-emulator --fault get:status=503,times=2,retry-after=1');
    expect(r.stdout()).toContain('slow-body=<bytes>/<ms>');
  });
});
