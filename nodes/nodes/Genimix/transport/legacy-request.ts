import type { Transport, TransportRequest, TransportResponse } from '@genimix/core';
import type { ICredentialTestFunctions } from 'n8n-workflow';
import { mapHelperError } from './errors';
import { type FullResponse, toTransportResponse } from './response';

/**
 * The core client's transport in a credential test, where n8n offers only its `request`
 * helper and applies no credential: the core's own `x-api-key` header stays.
 */
export function legacyRequestTransport(ctx: ICredentialTestFunctions): Transport {
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      try {
        const response = (await ctx.helpers.request({
          method: req.method,
          uri: req.url,
          headers: req.headers,
          encoding: null,
          json: false,
          resolveWithFullResponse: true,
          simple: false,
          followRedirect: false,
          ...(req.timeoutMs === undefined ? {} : { timeout: req.timeoutMs }),
        })) as FullResponse;
        return toTransportResponse(response);
      } catch (error) {
        throw mapHelperError(error, req);
      }
    },
  };
}
