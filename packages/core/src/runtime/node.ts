import type { Transport } from '../transport.js';
import { defaultLogger } from './node-builtins.js';
import { sharedFetchTransport } from './shared-fetch.js';

export { defaultLogger, defaultSleep, openFile } from './node-builtins.js';

let shared: Transport | undefined;
let loading: Promise<Transport> | undefined;

/**
 * undici, loaded on the first request rather than when the core is imported: parsing it is most
 * of the start-up time of a small program such as the MCP server, which may never send one. One
 * transport for the whole process, however many callers ask at once. Where undici is not
 * installed (an install that left it out, a bundle without it), Node's own fetch carries the
 * requests instead.
 */
function undiciTransport(): Promise<Transport> {
  if (!loading) {
    loading = import('../transports/undici.js').then(
      ({ createUndiciTransport }) => createUndiciTransport(),
      (error: unknown) => {
        if (!isMissingUndici(error)) throw error;
        // stderr only, and only when asked: stdout may be a protocol channel (MCP on stdio).
        defaultLogger()?.debug('undici is not installed: requests go through fetch');
        return sharedFetchTransport();
      },
    );
    // Any other failed load (a broken install) is tried again by the next request rather than remembered.
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

/** True when the import failed because the `undici` package cannot be found. */
function isMissingUndici(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    /['"]undici['"]/.test(message)
  );
}

/**
 * The transport of clients built without one, under Node: one undici keep-alive pool shared by
 * all of them, so that many clients do not each hold their own sockets. undici itself is loaded
 * by the first request; without it, Node's fetch is used.
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
