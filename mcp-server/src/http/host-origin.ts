import type { IncomingMessage } from 'node:http';
import { validateHostHeader, validateOriginHeader } from '@modelcontextprotocol/server';
import { logError } from '../log.js';

/** How many distinct refused Hosts and Origins are logged: enough to spot a misconfiguration, too few to flood a log. */
const LOGGED_REFUSALS = 100;

const HOST_FIX =
  'This server answers for its own names and those of GENIMIX_MCP_PUBLIC_URL and GENIMIX_MCP_ALLOWED_HOSTS: behind a reverse proxy, set GENIMIX_MCP_PUBLIC_URL to the URL clients use, or have the proxy pass the Host header on (nginx: proxy_set_header Host $host).';

const ORIGIN_FIX =
  "A browser page may call this server only from its own names, localhost or GENIMIX_MCP_ALLOWED_ORIGINS: its operator can add the page's host there.";

/** Why a request's Host or Origin is refused: status 403 and a message naming the setting that admits it. */
export interface HostOriginRefusal {
  status: 403;
  message: string;
}

/**
 * The checks against DNS rebinding (a page on evil.example resolving to this address still names
 * evil.example in Host) and other sites' pages (Origin), the SDK's, with refusals that name the
 * fix. Each distinct refused value is logged once on stderr (the first {@link LOGGED_REFUSALS}),
 * for the operator who forgot a proxy's Host header; the client gets the same message.
 */
export function createHostOriginCheck(
  allowedHosts: string[],
  allowedOrigins: string[],
): {
  /** Checks a `Host` value (a header's, or an absolute-form target's `host[:port]`). */
  host(value: string | undefined): HostOriginRefusal | undefined;
  /** Checks the request's `Host` header, then its `Origin`. */
  request(req: IncomingMessage): HostOriginRefusal | undefined;
} {
  const logged = new Set<string>();
  const refuse = (what: 'Host' | 'Origin', value: string | undefined, message: string, fix: string) => {
    const key = `${what} ${value}`;
    if (logged.size < LOGGED_REFUSALS && !logged.has(key)) {
      logged.add(key);
      // JSON-quoted and cut: the value is the client's, and must not forge log lines.
      logError(`http: refused a request for ${what} ${JSON.stringify(String(value).slice(0, 200))}. ${fix}`);
    }
    return { status: 403 as const, message: `${message}. ${fix}` };
  };
  const host = (value: string | undefined) => {
    const verdict = validateHostHeader(value, allowedHosts);
    return verdict.ok ? undefined : refuse('Host', value, verdict.message, HOST_FIX);
  };
  return {
    host,
    request(req) {
      const hostRefusal = host(req.headers.host);
      if (hostRefusal) return hostRefusal;
      const verdict = validateOriginHeader(req.headers.origin, allowedOrigins);
      return verdict.ok ? undefined : refuse('Origin', req.headers.origin, verdict.message, ORIGIN_FIX);
    },
  };
}
