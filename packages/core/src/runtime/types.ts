import type { Transport } from '../transport.js';

/** Waits `ms` milliseconds; rejects as soon as `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Receives the client's debug lines (method, path, status, attempt, duration, request id). */
export interface GenimixLogger {
  debug(message: string): void;
}

/**
 * What the core takes from its runtime where the host gives nothing: the "#runtime" import
 * resolves to `runtime/node.ts` under Node and to `runtime/none.ts` elsewhere (package.json
 * "imports"), so that a bundle for a host such as n8n carries no undici, timers or `process`.
 */
/** A file opened for upload: its bytes as a stream, and its size in bytes. */
export interface OpenedFile {
  stream: AsyncIterable<Uint8Array>;
  size: number;
}

export interface Runtime {
  defaultTransport(): Transport;
  defaultSleep: Sleep;
  /** The logger `GENIMIX_LOG=debug` asks for, or undefined. */
  defaultLogger(): GenimixLogger | undefined;
  /** Opens a local file for reading as a stream. */
  openFile(path: string): Promise<OpenedFile>;
}
