import type { IncomingMessage } from 'node:http';

/** A host name or IP address (IPv6 in brackets), with an optional port: what a Host header holds. */
const HOST_SYNTAX = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/;

/** A request target in absolute form (`http://host/path`), as clients configured with a proxy send it. */
const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** Why a request is refused before any other check, as an HTTP status and a message. */
export interface RequestLineProblem {
  status: 400 | 403;
  message: string;
}

/**
 * Checks what names the host a request is for (RFC 9112 §3.2), before the Host allow-list: one
 * `Host` header of `host[:port]` syntax (400 otherwise; a value such as `evil@localhost` would
 * otherwise pass as `localhost`, or make building the request's URL fail), and for a target in
 * absolute form (`POST http://127.0.0.1:3000/mcp`, which a server must accept) a host that
 * the Host check admits too (403 otherwise). An accepted absolute-form target is rewritten in
 * `req.url` to its path and query, the form the rest of the server reads.
 * @param checkHost the Host check (see `createHostOriginCheck`)
 * @returns the refusal, or `undefined` to go on
 */
export function checkRequestLine(
  req: IncomingMessage,
  checkHost: (host: string) => RequestLineProblem | undefined,
): RequestLineProblem | undefined {
  const hosts = req.headersDistinct.host ?? [];
  if (hosts.length > 1) return { status: 400, message: 'Bad Request: the request has more than one Host header.' };
  const [host] = hosts;
  if (host !== undefined && !HOST_SYNTAX.test(host))
    return {
      status: 400,
      message: 'Bad Request: the Host header must be a host name or address, with an optional port.',
    };

  const target = req.url ?? '/';
  if (!ABSOLUTE_FORM.test(target)) return undefined;
  const url = URL.canParse(target) ? new URL(target) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password)
    return { status: 400, message: 'Bad Request: the request target is not an http:// URL of this server.' };
  const refusal = checkHost(url.host);
  if (refusal) return refusal;
  req.url = url.pathname + url.search;
  return undefined;
}
