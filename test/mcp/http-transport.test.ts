import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { crc32 } from 'node:zlib';
import { createEmulator, type Emulator } from '@genimix/emulator';
import type { FetchLike } from '@modelcontextprotocol/client';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, readResource, resourceLinkOf, textOf } from '../../scripts/mcp-client.js';
import {
  connectHttpClient,
  type HttpServer,
  MCP_POST_HEADERS,
  messagesOf,
  rawRequest,
  startHttpServer,
} from '../helpers/http-server.js';
import { loopbackBufferBytes } from '../helpers/socket-buffers.js';

/**
 * `genimix-mcp --http` as a service behind a load balancer: stateless (any request may reach any
 * process), a health check, bodies up to the upload limit and no larger, and a drain on SIGTERM.
 */
const KEY = 'sk_test_http_transport_0123456789';
const PROJECT = 'transport';
/** The server's body limit (MAX_MESSAGE_BYTES): a 50 MiB image as base64, with room for the JSON. */
const BODY_LIMIT = 72 * 1024 * 1024;
/** The largest image the contract takes. */
const IMAGE_LIMIT = 50 * 1024 * 1024;
/** A model whose Generate waits until the test ends it (`endLatency`), or the emulator closes. */
const SLOW = { provider: 'openai', modelId: 'dall-e-3' };

let emulator: Emulator;
const started: HttpServer[] = [];

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [KEY], latencyMs: { 'openai/dall-e-3': 600_000 } });
});
afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.stop()));
  await emulator?.close();
});

async function start(env: Record<string, string> = {}): Promise<HttpServer> {
  const server = await startHttpServer({
    GENIMIX_API_KEY: KEY,
    GENIMIX_PROJECT_ID: PROJECT,
    GENIMIX_BASE_URL: emulator.url,
    ...env,
  });
  started.push(server);
  return server;
}

describe('stateless: any request may reach any process', () => {
  it('one client whose requests alternate between two processes: initialize, tools/list, generate_image, get_image and resources/read all work', async () => {
    const [a, b] = [await start(), await start()];
    const ports = [a.port, b.port];
    // What each JSON-RPC request was and which process served it. Each request goes to the
    // process the previous one did not; notifications and the SSE GET follow their request.
    const routed: Array<{ what: string; port: number; status: number }> = [];
    let turn = -1;
    const roundRobin: FetchLike = async (input, init) => {
      const message = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      if (message?.id !== undefined) turn++;
      const port = ports[Math.max(turn, 0) % 2]!;
      const url = new URL(String(input));
      url.port = String(port);
      const response = await fetch(url, init);
      if (message?.id !== undefined) {
        const what = message.method === 'tools/call' ? `tools/call ${message.params.name}` : message.method;
        routed.push({ what, port, status: response.status });
      }
      return response;
    };
    const mcp = await connectHttpClient(a.url, { fetch: roundRobin });
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        'delete_image',
        'generate_image',
        'get_image',
        'list_models',
        'upload_image',
      ]);
      const generated = await mcp.call('generate_image', { prompt: 'A lighthouse at dawn', imageId: 'rr' });
      expect(generated.isError, textOf(generated)).toBeFalsy();
      expect(detailsOf(generated)).toMatchObject({ status: 'ready', projectId: PROJECT, imageId: 'rr' });
      const fetched = await mcp.call('get_image', { imageId: 'rr' });
      expect(fetched.isError, textOf(fetched)).toBeFalsy();
      expect(imageOf(fetched)).toEqual(imageOf(generated));
      const full = await readResource(mcp.client, resourceLinkOf(fetched).uri);
      const stored = await emulator.store.get(PROJECT, 'rr');
      expect(Buffer.compare(full, Buffer.from(stored!.bytes))).toBe(0);
    } finally {
      await mcp.close();
    }
    expect(routed.map((r) => r.what)).toEqual([
      'initialize',
      'tools/list',
      'tools/call generate_image',
      'tools/call get_image',
      'resources/read',
    ]);
    // Every request reached the process its predecessor did not: no session, no affinity.
    expect(routed.map((r) => r.port)).toEqual([a.port, b.port, a.port, b.port, a.port]);
    expect(routed.every((r) => r.status === 200)).toBe(true);
  });

  it('GET /healthz answers 200 without a token where /mcp requires one', async () => {
    const server = await start({ GENIMIX_MCP_TOKENS: 'health-check-token-0123456789' });
    const health = await rawRequest(server.port, { path: '/healthz', headers: { host: `127.0.0.1:${server.port}` } });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    const mcp = await rawRequest(server.port, {
      method: 'POST',
      headers: { host: `127.0.0.1:${server.port}`, ...MCP_POST_HEADERS },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(mcp.status).toBe(401);
  });
});

/**
 * A valid PNG of exactly `size` bytes that does not compress: random pixels stored without
 * compression (sharp), padded to the byte with a private ancillary chunk, which decoders skip.
 */
async function incompressiblePng(size: number): Promise<{ png: Buffer; width: number; height: number }> {
  const width = 4096;
  // Each row is 3 bytes a pixel plus a filter byte; libpng's chunking and deflate's stored blocks
  // add under 0.2 %: 4200 rows stay under 50 MiB, and the padding makes up the rest.
  const height = 4200;
  const pixels = randomBytes(width * height * 3);
  const encoded = await sharp(pixels, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 0, adaptiveFiltering: false })
    .toBuffer();
  const iend = encoded.length - 12;
  expect(encoded.subarray(iend + 4, iend + 8).toString('latin1')).toBe('IEND');
  const padLength = size - encoded.length - 12;
  expect(padLength).toBeGreaterThan(0);
  // 'paDd': ancillary (lower-case first letter), private, reserved bit clear, safe to copy.
  const typeAndData = Buffer.concat([Buffer.from('paDd', 'latin1'), randomBytes(padLength)]);
  const chunk = Buffer.alloc(4 + typeAndData.length + 4);
  chunk.writeUInt32BE(padLength, 0);
  typeAndData.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(typeAndData), 4 + typeAndData.length);
  const png = Buffer.concat([encoded.subarray(0, iend), chunk, encoded.subarray(iend)]);
  return { png, width, height };
}

/**
 * POSTs to /mcp a body sent in chunks without Content-Length, `total` bytes at most, over a raw
 * socket that reads the answer while it writes (node:http's client drops an answer that comes
 * with a failed write: a server that refuses a body mid-way closes while the client still sends).
 * Stops writing once the answer starts to arrive. Resolves when the server ends the connection,
 * with its answer and the body bytes handed to the socket (the kernel's buffers hold up to
 * {@link loopbackBufferBytes} of them unread).
 */
function postChunked(port: number, total: number): Promise<{ status: number; body: string; sent: number }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let sent = 0;
    let ended = false;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const finish = () => {
      if (ended) return;
      ended = true;
      socket.destroy();
      const answer = Buffer.concat(received);
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer.subarray(0, 20).toString('latin1'));
      if (!status)
        return reject(
          new Error(`no HTTP answer after ${sent} bytes: ${JSON.stringify(answer.toString('latin1', 0, 200))}`),
        );
      resolve({ status: Number(status[1]), body: dechunk(answer.subarray(answer.indexOf('\r\n\r\n') + 4)), sent });
    };
    socket.on('end', finish);
    socket.on('close', finish);
    // A write after the server closed fails; the answer may still be in, read above.
    socket.on('error', () => {});
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${Object.entries(MCP_POST_HEADERS)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('')}Transfer-Encoding: chunked\r\n\r\n`,
    );
    const size = 1024 * 1024;
    const chunk = Buffer.concat([
      Buffer.from(`${size.toString(16)}\r\n`),
      Buffer.alloc(size, 0x20),
      Buffer.from('\r\n'),
    ]);
    const pump = () => {
      while (!ended && received.length === 0 && sent < total) {
        sent += size;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      if (!ended && received.length === 0) socket.write('0\r\n\r\n');
    };
    pump();
  });
}

/** The body of a chunked HTTP answer, decoded as UTF-8 (a body sent whole is returned as it is). */
function dechunk(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = eol < 0 ? Number.NaN : Number.parseInt(raw.subarray(at, eol).toString('latin1'), 16);
    if (Number.isNaN(size)) return parts.length > 0 ? Buffer.concat(parts).toString('utf8') : raw.toString('utf8');
    if (size === 0) return Buffer.concat(parts).toString('utf8');
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

describe('bodies: up to the upload limit, and no larger', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await start();
  });

  it('a 50 MiB PNG (random pixels) uploaded with upload_image as base64 is stored byte for byte', async () => {
    const { png, width, height } = await incompressiblePng(IMAGE_LIMIT);
    expect(png.length).toBe(IMAGE_LIMIT);
    expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width, height });
    const mcp = await connectHttpClient(server.url);
    try {
      const result = await mcp.call('upload_image', { data: png.toString('base64'), imageId: 'fifty-mib' });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(detailsOf(result)).toMatchObject({ imageId: 'fifty-mib', mimeType: 'image/png', size: IMAGE_LIMIT });
    } finally {
      await mcp.close();
    }
    const stored = await emulator.store.get(PROJECT, 'fifty-mib');
    expect(stored?.size).toBe(IMAGE_LIMIT);
    expect(Buffer.compare(Buffer.from(stored!.bytes), png)).toBe(0);
  }, 90_000);

  it('a declared Content-Length over the limit gets 413 with a JSON-RPC error naming the limit, before any body is sent', async () => {
    const declared = BODY_LIMIT + 1;
    // Headers only: the answer must come without the server reading (or waiting for) a byte.
    const answer = await rawRequest(server.port, {
      method: 'POST',
      headers: { ...MCP_POST_HEADERS, 'content-length': String(declared) },
    });
    expect(answer.status).toBe(413);
    const [message] = messagesOf(answer.body);
    expect(message).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number) } });
    expect(message.error.message).toContain(`${BODY_LIMIT} bytes`);
  });

  it('a chunked body without Content-Length that grows over the limit gets 413 with a JSON-RPC error naming the limit', async () => {
    // More than the socket buffers can hold past the limit, so a server that read it all shows.
    const buffers = loopbackBufferBytes();
    const answer = await postChunked(server.port, BODY_LIMIT + 2 * buffers + 32 * 1024 * 1024);
    expect(answer.status).toBe(413);
    const [message] = messagesOf(answer.body);
    expect(message).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: expect.any(Number) } });
    expect(message.error.message).toContain(`${BODY_LIMIT} bytes`);
    // Refused once the limit was passed, not after reading whatever the client would send.
    // Up to the buffers' worth may sit unread in the kernel, plus a chunk in each stream's buffer.
    expect(answer.sent).toBeLessThan(BODY_LIMIT + buffers + 4 * 1024 * 1024);
  }, 60_000);

  it('bodies held at once are bounded: a client holding back the last byte of large bodies (POSTs, or chunked PUTs the SDK would read before its 405) gets 503 past the bound, and the server serves again once one is done', async () => {
    // Four bodies near the limit fit in what the server holds at once (MAX_HELD_BODY_BYTES); more
    // would let a few connections exhaust its memory while they keep their last byte back.
    const size = BODY_LIMIT - 1024 * 1024;
    const body = paddedToolsList(size);
    const uploads = Array.from({ length: 6 }, (_, i) => heldBack(server.port, body, i % 2 === 0 ? 'POST' : 'PUT'));
    try {
      const refused = [await nextAnswer(uploads)];
      refused.push(await nextAnswer(uploads));
      for (const answer of refused) {
        expect(answer.head).toMatch(/^HTTP\/1\.1 503 /);
        expect(answer.head).toMatch(/\r\nretry-after: \d+\r\n/i);
        expect(messagesOf(answer.body)[0].error.message).toContain('send the request again');
      }
      const held = uploads.filter((u) => !u.answered);
      expect(held).toHaveLength(4);
      // One completes: answered (a PUT with 405), and its share is the server's again for the next.
      const done = await held[0]!.finish();
      expect(done.head).toMatch(/^HTTP\/1\.1 (200|405) /);
      const next = heldBack(server.port, body, 'POST');
      uploads.push(next);
      const served = await next.finish();
      expect(served.head).toMatch(/^HTTP\/1\.1 200 /);
      expect(messagesOf(served.body)[0].result.tools.length).toBeGreaterThan(0);
    } finally {
      for (const upload of uploads) upload.destroy();
    }
  }, 90_000);
});

/** A tools/list request padded with spaces (JSON whitespace) to `size` bytes. */
function paddedToolsList(size: number): Buffer {
  const body = Buffer.alloc(size, 0x20);
  body.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }));
  return body;
}

/** A raw HTTP answer: its status line and headers, and its body (chunked transfer decoded). */
interface RawAnswer {
  head: string;
  body: string;
}

/**
 * A request to /mcp sending all of `body` but its last byte, until `finish()` or an answer: a POST
 * with Content-Length, or a PUT with the body as one chunk (no length known before it is read).
 */
interface HeldBack {
  /** Set once an answer has come (then the rest of the body is not sent). */
  answered: RawAnswer | undefined;
  /** Resolves with the answer once one has come. */
  answer: Promise<RawAnswer>;
  /** Sends the last byte and resolves with the answer. */
  finish(): Promise<RawAnswer>;
  destroy(): void;
}

function heldBack(port: number, body: Buffer, method: 'POST' | 'PUT'): HeldBack {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let raw = Buffer.alloc(0);
  let settle: (answer: RawAnswer) => void = () => {};
  const held: HeldBack = {
    answered: undefined,
    answer: new Promise((resolve) => (settle = resolve)),
    finish: () => {
      socket.write(body.subarray(body.length - 1));
      if (method === 'PUT') socket.write('\r\n0\r\n\r\n');
      return held.answer;
    },
    destroy: () => socket.destroy(),
  };
  socket.on('data', (chunk: Buffer) => {
    raw = Buffer.concat([raw, chunk]);
    const text = raw.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0 || held.answered) return;
    const head = text.slice(0, end);
    const rest = text.slice(end + 4);
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (length ? Buffer.byteLength(rest, 'latin1') < Number(length[1]) : !rest.endsWith('\r\n0\r\n\r\n')) return;
    held.answered = { head, body: length ? rest : dechunk(raw.subarray(end + 4)) };
    settle(held.answered);
  });
  socket.write(
    [
      `${method} /mcp HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      ...Object.entries(MCP_POST_HEADERS).map(([name, value]) => `${name}: ${value}`),
      ...(method === 'POST'
        ? [`Content-Length: ${body.length}`, '']
        : ['Transfer-Encoding: chunked', '', body.length.toString(16)]),
      '',
    ].join('\r\n'),
  );
  // Written in pieces, and no more once answered: a refused client stops, as a real one would.
  const piece = 1024 * 1024;
  let at = 0;
  const pump = () => {
    while (at < body.length - 1 && !held.answered && !socket.destroyed) {
      const end = Math.min(at + piece, body.length - 1);
      const more = socket.write(body.subarray(at, end));
      at = end;
      if (!more) return void socket.once('drain', pump);
    }
  };
  pump();
  return held;
}

/** The answer of the first of `uploads` not yet answered to get one. */
function nextAnswer(uploads: HeldBack[]): Promise<RawAnswer> {
  const waiting = uploads.filter((u) => !u.answered);
  return Promise.race(waiting.map((u) => u.answer));
}

/** True when a new TCP connection to 127.0.0.1:`port` is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A connection with `GET /healthz` half sent (no blank line yet): a request in progress, so the
 * drain does not close it as idle. `finish()` sends the rest and resolves with the raw answer.
 */
async function halfSentHealthCheck(port: number): Promise<{ finish(): Promise<string> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
  let answer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (answer += chunk));
  return {
    finish: () =>
      new Promise((resolve, reject) => {
        const check = () => {
          // The whole chunked body is in once its last chunk (0) has come.
          if (answer.includes('\r\n0\r\n\r\n')) {
            socket.destroy();
            resolve(answer);
          }
        };
        socket.on('data', check);
        socket.once('error', reject);
        socket.write('Connection: close\r\n\r\n');
      }),
  };
}

describe('SIGTERM drains', () => {
  const generateRequests = (imageId: string) =>
    emulator.requests.list().filter((r) => r.route === 'generate' && r.imageId === imageId);

  it('a generate_image in flight completes with its image; new connections are refused; /healthz says draining; exit 0', async () => {
    const server = await start();
    const mcp = await connectHttpClient(server.url);
    // Opened before the signal, as a load balancer's health check on a kept-alive connection.
    const health = await halfSentHealthCheck(server.port);
    const call = mcp.call('generate_image', { prompt: 'A slow sunrise', imageId: 'drain-ok', ...SLOW });
    const waiting = await emulator.generations.whenWaiting({ imageId: 'drain-ok' });

    server.child.kill('SIGTERM');
    await server.waitForStderr(/SIGTERM: draining 1 request/);
    expect(await accepts(server.port)).toBe(false);
    const answer = await health.finish();
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toContain('"status":"draining"');

    // The generation ends after the signal; the call still gets its image.
    waiting.endLatency();
    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(detailsOf(result)).toMatchObject({ status: 'ready', imageId: 'drain-ok' });
    expect(imageOf(result).length).toBeGreaterThan(0);
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('drained; exiting.');
    expect(generateRequests('drain-ok').map((r) => r.status)).toEqual([200]);
    await mcp.close();
  });

  it('with a short GENIMIX_MCP_DRAIN_MS, a call waiting on a longer generation answers "pending" (not an error) before exit, and the Generate was sent once', async () => {
    const server = await start({ GENIMIX_MCP_DRAIN_MS: '3000' });
    const mcp = await connectHttpClient(server.url);
    const call = mcp.call('generate_image', { prompt: 'A very slow sunrise', imageId: 'drain-pending', ...SLOW });
    await emulator.generations.whenWaiting({ imageId: 'drain-pending' });

    server.child.kill('SIGTERM');
    const result = await call;
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(detailsOf(result)).toMatchObject({ status: 'pending', imageId: 'drain-pending', ...SLOW });
    expect(textOf(result)).toContain('get_image');
    expect(await server.exited).toBe(0);
    expect(generateRequests('drain-pending')).toHaveLength(1);
    await mcp.close();
  });

  it('a generation whose call answered "pending" at the deadline gets the rest of the drain time: it finishes and is stored before exit', async () => {
    // The calls answer 2 s before the drain's end; the generation may use the rest.
    const server = await start({ GENIMIX_MCP_DRAIN_MS: '4000' });
    const mcp = await connectHttpClient(server.url);
    const call = mcp.call('generate_image', { prompt: 'A sunrise just in time', imageId: 'drain-rest', ...SLOW });
    const waiting = await emulator.generations.whenWaiting({ imageId: 'drain-rest' });

    server.child.kill('SIGTERM');
    const result = await call;
    expect(detailsOf(result)).toMatchObject({ status: 'pending', imageId: 'drain-rest' });
    // The process is still there, waiting for Genimix: which finishes now.
    await server.waitForStderr(/waiting for 1 generation\(s\) still running/);
    waiting.endLatency();
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toContain('drained; exiting.');
    expect(generateRequests('drain-rest').map((r) => r.status)).toEqual([200]);
    expect(await emulator.store.has(PROJECT, 'drain-rest')).toBe(true);
    await mcp.close();
  });
});
