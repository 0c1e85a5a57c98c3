import { GenimixValidationError } from '../errors.js';
import type { Transport } from '../transport.js';
import type { GenimixLogger, OpenedFile, Sleep } from './types.js';

/**
 * The runtime of a bundle built for a host with the `genimix-host` export condition (the n8n
 * node, whose code may use no timers, `globalThis` or `process`): nothing of its own. This one
 * has no default transport: the host passes its own HTTP stack.
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
 * The host passes its own wait (n8n: `sleep` from n8n-workflow), since timers may be off limits
 * there.
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
 * No file system in a host's bundle: pass the bytes or a stream as `data`.
 * @throws {GenimixValidationError} always, field `path`
 */
export async function openFile(): Promise<OpenedFile> {
  throw new GenimixValidationError(
    'path',
    'Uploading from a file path needs Node: pass the image as data (bytes or a stream) instead.',
  );
}
