import { GenimixValidationError } from '../errors.js';
import type { Transport } from '../transport.js';

/**
 * Outside Node there is no default transport (a bundle for a host such as n8n must not carry
 * undici): the host passes its own.
 *
 * @throws {GenimixValidationError} always, field `transport`
 */
export function defaultTransport(): Transport {
  throw new GenimixValidationError('transport', 'No default transport in this runtime: pass a transport to GenimixClient (see the Transport interface).');
}
