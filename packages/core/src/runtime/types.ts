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
export interface Runtime {
  defaultTransport(): Transport;
  defaultSleep: Sleep;
  /** The logger `GENIMIX_LOG=debug` asks for, or undefined. */
  defaultLogger(): GenimixLogger | undefined;
}
