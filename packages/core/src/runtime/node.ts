import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { GenimixAbortError, GenimixValidationError } from '../errors.js';
import type { Transport } from '../transport.js';
import type { GenimixLogger, OpenedFile, Sleep } from './types.js';

let shared: Transport | undefined;
let loading: Promise<Transport> | undefined;

/**
 * undici, loaded on the first request rather than when the core is imported: parsing it is most
 * of the start-up time of a small program such as the MCP server, which may never send one. One
 * transport for the whole process, however many callers ask at once.
 */
function undiciTransport(): Promise<Transport> {
  if (!loading) {
    loading = import('../transports/undici.js').then(({ createUndiciTransport }) => createUndiciTransport());
    // A failed load (a broken install) is tried again by the next request rather than remembered.
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

/**
 * The transport of clients built without one, under Node: one undici keep-alive pool shared by
 * all of them, so that many clients do not each hold their own sockets. undici itself is loaded
 * by the first request.
 */
export function defaultTransport(): Transport {
  shared ??= {
    request: async (request) => (await undiciTransport()).request(request),
    close: async () => {
      if (loading) await (await loading).close?.();
    },
  };
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

/**
 * Opens a regular file as a stream, with its size (so that the upload can send Content-Length).
 * @throws {GenimixValidationError} field `path`: missing, not a regular file (a FIFO or device
 *   would block), or unreadable
 */
export async function openFile(path: string): Promise<OpenedFile> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile())
      throw new GenimixValidationError(
        'path',
        `path ${JSON.stringify(path)} is not a regular file: give the path of an image file.`,
      );
    size = info.size;
  } catch (error) {
    if (error instanceof GenimixValidationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new GenimixValidationError(
      'path',
      `path ${JSON.stringify(path)} cannot be read (${code ?? String(error)}): give the path of an existing image file.`,
    );
  }
  return { stream: createReadStream(path), size };
}
