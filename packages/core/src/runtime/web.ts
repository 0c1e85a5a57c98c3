import { GenimixAbortError, GenimixValidationError } from '../errors.js';
import type { Transport } from '../transport.js';
import { sharedFetchTransport } from './shared-fetch.js';
import type { GenimixLogger, OpenedFile, Sleep } from './types.js';

/**
 * The transport of clients built without one in Cloudflare Workers, browsers and other runtimes
 * with web APIs and no Node: the platform's fetch.
 */
export function defaultTransport(): Transport {
  return sharedFetchTransport();
}

/** A `setTimeout` that an AbortSignal cancels at once, with {@link GenimixAbortError}. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    const cancelled = () =>
      new GenimixAbortError('The call was cancelled while waiting to retry.', { cause: signal?.reason });
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** No environment to read: logging is the `logger` option. */
export function defaultLogger(): GenimixLogger | undefined {
  return undefined;
}

/**
 * No file system in a browser or a Worker: pass the bytes, a Blob or a stream as `data`.
 * @throws {GenimixValidationError} always, field `path`
 */
export async function openFile(): Promise<OpenedFile> {
  throw new GenimixValidationError(
    'path',
    'Uploading from a file path needs Node, Bun or Deno: here, pass the image as data (bytes, a Blob or a stream) instead.',
  );
}
