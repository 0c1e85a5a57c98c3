import type { Transport } from '../transport.js';
import { createFetchTransport } from '../transports/fetch.js';

let shared: Transport | undefined;

/**
 * The fetch transport of clients built without one, where fetch is the default: one for the
 * whole process (it holds no state; the runtime pools the connections).
 */
export function sharedFetchTransport(): Transport {
  shared ??= createFetchTransport();
  return shared;
}
