import type { Transport, TransportRequest, TransportResponse } from '@genimix/core';
import { type IExecuteFunctions, type IHttpRequestOptions, sleep } from 'n8n-workflow';
import { withCancelSignal } from '../helpers/cancel';
import { bodyTimeoutError, mapHelperError } from './errors';
import { type FullResponse, toTransportResponse } from './response';

/** The credential type whose `authenticate` n8n applies to every request. */
export const CREDENTIAL_TYPE = 'genimixApi';

/**
 * The core client's transport inside a running node: `httpRequestWithAuthentication`, so that
 * n8n's proxy settings, credential handling (the `x-api-key` header) and request logging apply.
 */
export function httpRequestTransport(ctx: IExecuteFunctions): Transport {
  return {
    async request(req: TransportRequest): Promise<TransportResponse> {
      // n8n adds the key from the credential; the core's copy of the header is dropped.
      const headers: Record<string, string> = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => name !== 'x-api-key'),
      );
      // A server that answers an upload before its body is in (503 with Retry-After, 401, 413)
      // closes a "Connection: close" request at once, and the rest of the body then meets a reset
      // socket: the answer is lost to EPIPE and looks like a broken connection. On a keep-alive
      // request it reads the rest away, and the answer arrives.
      if (req.body !== undefined) headers.connection = 'keep-alive';
      const options: IHttpRequestOptions = {
        method: req.method,
        url: req.url,
        headers,
        // A stream, so that the core's size cap (50 MiB for an image) stops a huge or endless
        // body as it arrives instead of after n8n has buffered all of it (n8n#18764).
        encoding: 'stream',
        json: false,
        returnFullResponse: true,
        // Statuses are the core's to map into typed errors.
        ignoreHttpStatusErrors: true,
        // The key is for the base URL's origin only (genimix-api.md, "The API key"). n8n's
        // redirect handling strips only standard auth headers, not x-api-key: follow none, and
        // let the core report a 3xx.
        disableFollowRedirect: true,
        sendCredentialsOnCrossOriginRedirect: false,
        ...(req.body === undefined ? {} : { body: requestBody(req.body) }),
        ...(req.timeoutMs === undefined ? {} : { timeout: req.timeoutMs }),
        ...(req.signal === undefined ? {} : { abortSignal: req.signal }),
      };
      try {
        // n8n replaces `abortSignal` with the context's cancel signal: give it the call's.
        const self = req.signal === undefined ? ctx : withCancelSignal(ctx, req.signal);
        const response = (await ctx.helpers.httpRequestWithAuthentication.call(
          self,
          CREDENTIAL_TYPE,
          options,
        )) as FullResponse;
        return toTransportResponse(
          response,
          req.timeoutMs === undefined
            ? undefined
            : {
                timeoutMs: req.timeoutMs,
                sleep: (ms, signal) => sleep(ms, signal),
                error: () => bodyTimeoutError(req),
              },
        );
      } catch (error) {
        throw mapHelperError(error, req);
      }
    },
  };
}

/**
 * The body as n8n's helpers take it: a Buffer for bytes; a Node stream (n8n's binary stream,
 * which the core passes on as a Node stream) as it is, so that axios pipes it, with the
 * `Content-Length` the core set. Any other iterable would be dropped as an empty body by n8n's
 * request conversion, so it is refused instead.
 */
function requestBody(body: Uint8Array | AsyncIterable<Uint8Array>): IHttpRequestOptions['body'] {
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof (body as { pipe?: unknown }).pipe !== 'function') {
    throw new TypeError('The Genimix node can send bytes or a Node stream as a request body, not another iterable.');
  }
  return body as unknown as IHttpRequestOptions['body'];
}
