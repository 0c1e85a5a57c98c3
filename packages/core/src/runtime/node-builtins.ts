/**
 * What Node's built-ins give the core: timers, `process.env` and the file system. Bun and Deno
 * implement the same modules, so their runtimes take these too.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as wait } from 'node:timers/promises';
import { GenimixAbortError, GenimixValidationError } from '../errors.js';
import type { GenimixLogger, OpenedFile, Sleep } from './types.js';

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
