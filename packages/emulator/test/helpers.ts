import { createHook } from 'node:async_hooks';
import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import { expect, onTestFinished } from 'vitest';
import { createEmulator, type Emulator, type EmulatorOptions } from '../src/index.js';

/** The key a default emulator accepts. */
export const KEY = 'dev-key';

/** Starts an emulator on a free loopback port, closed when the current test finishes. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await createEmulator({ port: 0, ...options });
  onTestFinished(() => emulator.close());
  return emulator;
}

/** Options of {@link call}. */
export interface CallOptions {
  /** The x-api-key to send; `null` sends none. Default {@link KEY}. */
  key?: string | null;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  /** Aborts the request: the connection is closed, as a client that gives up closes it. */
  signal?: AbortSignal;
}

/** A plain fetch against the emulator: `path` is appended to its URL verbatim. */
export function call(emulator: Emulator, method: string, path: string, options: CallOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  const key = options.key === undefined ? KEY : options.key;
  if (key !== null) headers['x-api-key'] = key;
  return fetch(emulator.url + path, { method, headers, body: options.body, signal: options.signal });
}

/** A generate request with a JSON body. */
export function generate(
  emulator: Emulator,
  projectId: string,
  imageId: string,
  body: unknown,
  options: CallOptions = {},
): Promise<Response> {
  return call(emulator, 'PUT', `/v1/${projectId}/generate/${imageId}`, {
    ...options,
    headers: { 'Content-Type': 'application/json', ...options.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Generates under demo/`imageId`, expects 200, and returns the stored PNG's bytes as a client GETs them. */
export async function generatedBytes(emulator: Emulator, imageId: string, body: object): Promise<Buffer> {
  const response = await generate(emulator, 'demo', imageId, body);
  expect(response.status).toBe(200);
  const image = await call(emulator, 'GET', `/v1/demo/image/${imageId}`);
  expect(image.status).toBe(200);
  expect(image.headers.get('content-type')).toBe('image/png');
  return Buffer.from(await image.arrayBuffer());
}

/** An upload of `bytes` with the given Content-Type (none when `contentType` is undefined). */
export function upload(
  emulator: Emulator,
  projectId: string,
  imageId: string,
  bytes: Uint8Array,
  contentType: string | undefined,
  options: CallOptions = {},
): Promise<Response> {
  return call(emulator, 'PUT', `/v1/${projectId}/image/${imageId}`, {
    ...options,
    headers: { ...(contentType === undefined ? {} : { 'Content-Type': contentType }), ...options.headers },
    body: bytes,
  });
}

/** Expects the contract's error body and returns its message. */
export async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json()) as { success: unknown; message: unknown };
  if (body.success !== false || typeof body.message !== 'string' || body.message.length === 0) {
    throw new Error(`not an error body: ${JSON.stringify(body)}`);
  }
  return body.message;
}

/** A small real image of the given format (16×16, a colour per seed). */
export async function sampleImage(format: 'png' | 'jpeg' | 'webp' | 'gif', seed = 0): Promise<Buffer> {
  return sharp({ create: { width: 16, height: 16, channels: 3, background: { r: (seed * 53) % 256, g: 120, b: 200 } } })
    .toFormat(format)
    .toBuffer();
}

/** Counts of the handle kinds an emulator could leave open: servers, sockets, timers. */
export function openHandles(): { TCPServerWrap: number; TCPSocketWrap: number; Timeout: number } {
  const counts = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo())
    if (Object.hasOwn(counts, kind)) counts[kind as keyof typeof counts] += 1;
  return counts;
}

/**
 * Counts the live timers of `minMs` or more, from now until the current test finishes: an
 * emulator's long waits, exactly, where a count of every timer (openHandles) also sees the test
 * runner's own short ones come and go.
 */
export function longTimers(minMs = 24 * 60 * 60 * 1000): { count: () => number } {
  // Node's Timeout objects: `_destroyed` turns true the moment one fires or is cleared (the
  // async hook's own destroy callback comes a turn of the event loop later).
  const timers: Array<{ _idleTimeout: number; _destroyed: boolean }> = [];
  const hook = createHook({
    init(_asyncId, type, _trigger, resource) {
      const timer = resource as { _idleTimeout: number; _destroyed: boolean };
      if (type === 'Timeout' && timer._idleTimeout >= minMs) timers.push(timer);
    },
  }).enable();
  onTestFinished(() => {
    hook.disable();
  });
  return { count: () => timers.filter((t) => !t._destroyed).length };
}

export const PROMPT = 'A futuristic city skyline at sunset';
export const MODEL = { provider: 'google', modelId: 'imagen-3.0-generate-002' } as const;

/**
 * A request with the path sent exactly as given, for paths fetch would rewrite (it resolves
 * "..", "%2E%2E" included, before sending).
 */
export function rawRequest(
  emulator: Emulator,
  method: string,
  path: string,
  headers: Record<string, string> = { 'x-api-key': KEY },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(emulator.url, { method, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
