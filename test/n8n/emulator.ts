/** The emulator the node tests talk to, and what it logged. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEmulator, type Emulator, type RequestLogEntry } from '@genimix/emulator';

/** The project's API key in these tests; the assertions check it never shows up in an error. */
export const API_KEY = 'sk_test_n8n_SECRET_0123456789';
/** A key the emulator does not know. It must not show up in errors either. */
export const WRONG_KEY = 'sk_test_n8n_WRONG_9876543210';
/** A key the emulator knows but allows only on project `other`: 403 on the default project. */
export const SCOPED_KEY = 'sk_test_n8n_SCOPED_5555555555';
export const PROJECT = 'n8n';
export const OTHER_PROJECT = 'other';

export interface TestEmulator {
  emulator: Emulator;
  /** Every request the emulator answered, in order. */
  log: RequestLogEntry[];
  /** The credential data for the default project. */
  credentials(overrides?: Record<string, string>): { apiKey: string; projectId: string; baseUrl: string };
  /** What the server answers to a request, read without n8n: status, JSON body, request id. */
  raw(
    method: string,
    path: string,
    options?: { key?: string; json?: unknown },
  ): Promise<{ status: number; body: { message?: string } & Record<string, unknown>; requestId: string | null }>;
  close(): Promise<void>;
}

export async function startEmulator(): Promise<TestEmulator> {
  const log: RequestLogEntry[] = [];
  const emulator = await createEmulator({
    port: 0,
    apiKeys: { [API_KEY]: [PROJECT, OTHER_PROJECT], [SCOPED_KEY]: [OTHER_PROJECT] },
    onRequest: (entry) => log.push(entry),
  });
  return {
    emulator,
    log,
    credentials: (overrides = {}) => ({ apiKey: API_KEY, projectId: PROJECT, baseUrl: emulator.url, ...overrides }),
    async raw(method, path, { key = API_KEY, json } = {}) {
      const response = await fetch(`${emulator.url}${path}`, {
        method,
        headers: { 'x-api-key': key, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      const text = await response.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
      return { status: response.status, body, requestId: response.headers.get('x-request-id') };
    },
    close: () => emulator.close(),
  };
}

/** A loopback URL where nothing listens (a port that was just free): connections are refused. */
export async function refusedUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return `http://127.0.0.1:${port}`;
}

/** Valid image ids per the contract: 1–128 of `A–Z a–z 0–9 . _ -`, not `.` or `..`. */
export const VALID_ID = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$/;

/**
 * A loopback server that accepts each connection and, once the request has started arriving,
 * closes it without a response: a connection that drops (socket hang up / ECONNRESET).
 * (nock's replyWithError leaves n8n's axios request hanging, so this is a real socket.)
 */
export async function droppingServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const net = await import('node:net');
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Two loopback servers on different origins: `from` answers every request with a redirect to the
 * same path on `to`, which records the headers it is sent and answers with a tiny PNG.
 */
export async function crossOriginRedirect(
  status = 302,
): Promise<{ from: string; to: string; seenAtTarget: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seenAtTarget: http.IncomingHttpHeaders[] = [];
  const target = http.createServer((req, res) => {
    seenAtTarget.push(req.headers);
    req.resume();
    res.writeHead(200, { 'content-type': 'image/png' });
    res.end(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  // "localhost" and "127.0.0.1" are different origins, as are different ports.
  const to = `http://localhost:${(target.address() as AddressInfo).port}`;
  const source = http.createServer((req, res) => {
    req.resume();
    res.writeHead(status, { location: `${to}${req.url ?? '/'}` });
    res.end();
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  const from = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
  const closeOne = (server: http.Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { from, to, seenAtTarget, close: async () => void (await Promise.all([closeOne(source), closeOne(target)])) };
}

/**
 * A loopback server that never answers; `onRequest` fires when a request has arrived (to cancel
 * it then, without timers).
 */
export async function silentServer(onRequest: () => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req) => {
    req.resume();
    onRequest();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
