import { GenimixValidationError } from '../errors.js';
import type { Transport } from '../transport.js';
import type { GenimixLogger, OpenedFile, Sleep } from './types.js';

/**
 * Outside Node there is no default transport (a bundle for a host such as n8n must not carry
 * undici): the host passes its own.
 *
 * @throws {GenimixValidationError} always, field `transport`
 */
export function defaultTransport(): Transport {
  throw new GenimixValidationError(
    'transport',
    'No default transport in this runtime: pass a transport to GenimixClient (see the Transport interface).',
  );
}

/**
 * Outside Node the host passes its own wait (n8n: `sleep` from n8n-workflow), since timers may be
 * off limits there.
 *
 * @throws {GenimixValidationError} always, field `sleep`
 */
export const defaultSleep: Sleep = async () => {
  throw new GenimixValidationError(
    'sleep',
    'No default sleep in this runtime: pass sleep to GenimixClient to allow retries.',
  );
};

/** No environment to read: logging is the host's `logger` option. */
export function defaultLogger(): GenimixLogger | undefined {
  return undefined;
}

/**
 * No file system outside Node: pass the bytes or a stream as `data`.
 * @throws {GenimixValidationError} always, field `path`
 */
export async function openFile(): Promise<OpenedFile> {
  throw new GenimixValidationError(
    'path',
    'Uploading from a file path needs Node: pass the image as data (bytes or a stream) instead.',
  );
}
