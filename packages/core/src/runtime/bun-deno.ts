import type { Transport } from '../transport.js';
import { sharedFetchTransport } from './shared-fetch.js';

export { defaultLogger, defaultSleep, openFile } from './node-builtins.js';

/**
 * The transport of clients built without one, under Bun and Deno: their own fetch, native code
 * in both. undici would run on their emulation of Node's sockets, and Bun answers
 * `import('undici')` with a fetch-based stand-in of its own whatever is installed. Timers,
 * `GENIMIX_LOG` and uploads from a `path` work as under Node: both implement the modules used.
 */
export function defaultTransport(): Transport {
  return sharedFetchTransport();
}
