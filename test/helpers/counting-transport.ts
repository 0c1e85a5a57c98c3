import type { Transport, TransportRequest } from '@genimix/core';
import { createUndiciTransport } from '@genimix/core/undici';

/** An undici transport that records every request it is asked to send. */
export function countingTransport(): Transport & { requests: TransportRequest[] } {
  const inner = createUndiciTransport();
  const requests: TransportRequest[] = [];
  return {
    requests,
    request(req) {
      requests.push(req);
      return inner.request(req);
    },
    close: () => inner.close!(),
  };
}
