import { setTimeout as wait } from 'node:timers/promises';
import { GenimixAbortError } from '../errors.js';
import type { Transport } from '../transport.js';
import { createUndiciTransport } from '../transports/undici.js';
import type { GenimixLogger, Sleep } from './types.js';

let shared: Transport | undefined;

/**
 * The transport of clients built without one, under Node: one undici keep-alive pool shared by
 * all of them, so that many clients do not each hold their own sockets.
 */
export function defaultTransport(): Transport {
  shared ??= createUndiciTransport();
  return shared;
}

/** A timer that an AbortSignal cancels at once, with {@link GenimixAbortError}. */
export const defaultSleep: Sleep = async (ms, signal) => {
  try {
    await wait(ms, undefined, signal ? { signal } : {});
  } catch (error) {
    throw new GenimixAbortError('The call was cancelled while waiting to retry.', { cause: signal?.reason ?? error });
  }
};

/** A stderr logger when `GENIMIX_LOG=debug`: stdout may be a protocol channel (MCP on stdio). */
export function defaultLogger(): GenimixLogger | undefined {
  if (process.env.GENIMIX_LOG?.toLowerCase() !== 'debug') return undefined;
  return { debug: (message) => process.stderr.write(`[genimix] ${message}\n`) };
}
