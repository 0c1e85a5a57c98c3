import type { Transport } from '../transport.js';

/** Waits `ms` milliseconds; rejects as soon as `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Receives the client's debug lines (method, path, status, attempt, duration, request id). */
export interface GenimixLogger {
  debug(message: string): void;
}

/** A file opened for upload: its bytes as a stream, and its size in bytes. */
export interface OpenedFile {
  stream: AsyncIterable<Uint8Array>;
  size: number;
}

/**
 * What the core takes from its runtime where the host gives nothing. The "#runtime" import
 * (package.json "imports") resolves by export condition to one of four modules:
 * - `runtime/none.ts` for a bundle built with the `genimix-host` condition (the n8n node): no
 *   undici, timers or `process`; the host passes its transport and sleep;
 * - `runtime/web.ts` for `workerd`, `worker`, `browser` and any runtime without a known
 *   condition: fetch and `setTimeout`;
 * - `runtime/bun-deno.ts` for `bun` and `deno`: their fetch, Node's timers, env and files;
 * - `runtime/node.ts` for `node`: undici (fetch where it is not installed), timers, env and files.
 */
export interface Runtime {
  defaultTransport(): Transport;
  defaultSleep: Sleep;
  /** The logger `GENIMIX_LOG=debug` asks for, or undefined. */
  defaultLogger(): GenimixLogger | undefined;
  /** Opens a local file for reading as a stream. */
  openFile(path: string): Promise<OpenedFile>;
}
