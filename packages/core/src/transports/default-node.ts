import type { Transport } from '../transport.js';
import { createUndiciTransport } from './undici.js';

let shared: Transport | undefined;

/**
 * The transport of clients built without one, under Node: one undici keep-alive pool shared by
 * all of them, so that many clients do not each hold their own sockets.
 */
export function defaultTransport(): Transport {
  shared ??= createUndiciTransport();
  return shared;
}
