import { isIP } from 'node:net';
import { checkApiKey, checkProjectId, GenimixError } from '@genimix/core';
import { ConfigError } from '../config.js';
import { type AuthGate, bearerTokensGate } from './auth.js';
import { isLoopbackHost } from './loopback.js';
import { oauthGate, readOAuthSettings } from './oauth.js';

/** How `genimix-mcp --http` serves: where, for whom, and with what protection. */
export interface HttpSettings {
  /** `--host`: the address to listen on (default `127.0.0.1`). */
  host: string;
  /** `--port`: the TCP port (default 3000; 0 picks a free one, printed at start). */
  port: number;
  /**
   * `GENIMIX_MCP_PUBLIC_URL`: the URL clients reach the MCP endpoint at (behind a reverse proxy,
   * its `https://` address), e.g. `https://mcp.example.com/mcp`. Default: `http://<host>:<port>/mcp`.
   * OAuth names it as the protected resource; its host name is always an allowed Host.
   */
  publicUrl: URL | undefined;
  /**
   * Host names (no port) a request's `Host` header may name: `localhost`, `127.0.0.1` and `[::1]`,
   * the public URL's host, and `GENIMIX_MCP_ALLOWED_HOSTS` (comma-separated). Anything else is
   * answered 403: a DNS-rebinding page names its own host.
   */
  allowedHosts: string[];
  /**
   * Host names a browser's `Origin` may name: the localhost ones, the public URL's, and
   * `GENIMIX_MCP_ALLOWED_ORIGINS`. Requests without an Origin (every non-browser client) pass.
   */
  allowedOrigins: string[];
  /** `GENIMIX_MCP_TOKENS` or the OAuth settings; `undefined` only on a loopback address. */
  auth: AuthSettings | undefined;
  /** `GENIMIX_CLIENT_KEYS=allow`: a request may bring its own Genimix key and project in headers. */
  clientKeys: boolean;
  /**
   * `GENIMIX_MCP_DRAIN_MS`: after SIGTERM, how long calls in flight may go on before the process
   * exits, in ms (default 25,000: inside the 30 s most orchestrators wait before SIGKILL).
   */
  drainMs: number;
}

/** The protection of the endpoint, as configured. */
export type AuthSettings = { kind: 'tokens'; tokens: string[] } | { kind: 'oauth'; issuer: string; audience: string };

/** The shortest bearer token accepted: a guessable token would protect nothing. */
export const MIN_TOKEN_CHARS = 16;

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Reads `--http` mode's settings from the flags and the environment.
 * @throws {ConfigError} naming the flag or variable to fix: a bad port or URL, a short token,
 *   two auth modes at once, or a non-loopback address without auth
 */
export function readHttpSettings(
  flags: { host?: string | undefined; port?: string | undefined },
  env: NodeJS.ProcessEnv,
): HttpSettings {
  // An IPv6 address may come in brackets, as URLs write it: listen() wants it bare.
  const host = flags.host?.trim().replace(/^\[(.+)\]$/, '$1') || '127.0.0.1';
  const port = readPort(flags.port);
  const publicUrl = readPublicUrl(env.GENIMIX_MCP_PUBLIC_URL);
  const auth = readAuth(env);
  const publicHost = publicUrl ? hostnameOf(publicUrl) : undefined;
  const extraHosts = hostList(env.GENIMIX_MCP_ALLOWED_HOSTS, 'GENIMIX_MCP_ALLOWED_HOSTS');
  if (!auth) {
    // Anyone who can reach the endpoint could spend the project's tokens and read its images.
    const exposure = exposureWithoutAuth(host, publicHost, extraHosts);
    if (exposure)
      throw new ConfigError(
        `${exposure.reach}, and the endpoint would be open to all of them: set GENIMIX_MCP_TOKENS (bearer tokens) or GENIMIX_MCP_OAUTH_ISSUER and GENIMIX_MCP_OAUTH_AUDIENCE (OAuth), or ${exposure.otherwise}.`,
      );
    // The variable clients read, set where the server's was meant (the README exports both).
    if (env.GENIMIX_MCP_TOKEN?.trim())
      throw new ConfigError(
        'GENIMIX_MCP_TOKEN is set, but the server reads its tokens from GENIMIX_MCP_TOKENS (comma-separated): set GENIMIX_MCP_TOKENS="$GENIMIX_MCP_TOKEN", or unset GENIMIX_MCP_TOKEN to serve this machine without auth.',
      );
  }
  const clientKeys = readClientKeys(env.GENIMIX_CLIENT_KEYS);
  const listenHost = isIP(host) === 6 ? `[${host}]` : host.toLowerCase();
  const wildcard = host === '0.0.0.0' || host === '::';
  const allowedHosts = unique([
    ...LOOPBACK_HOSTS,
    ...(wildcard ? [] : [listenHost]),
    ...(publicHost ? [publicHost] : []),
    ...extraHosts,
  ]);
  const allowedOrigins = unique([
    ...LOOPBACK_HOSTS,
    ...(publicHost ? [publicHost] : []),
    ...hostList(env.GENIMIX_MCP_ALLOWED_ORIGINS, 'GENIMIX_MCP_ALLOWED_ORIGINS'),
  ]);
  return {
    host,
    port,
    publicUrl,
    allowedHosts,
    allowedOrigins,
    auth,
    clientKeys,
    drainMs: readDrainMs(env.GENIMIX_MCP_DRAIN_MS),
  };
}

/**
 * Builds the gate of the configured auth mode, or none (loopback only).
 * @param resourceUrl the public URL of `/mcp`, which OAuth names as the protected resource
 * @throws {ConfigError} naming GENIMIX_MCP_OAUTH_ISSUER when the issuer is not an HTTPS (or loopback) URL
 */
export async function createAuthGate(settings: HttpSettings, resourceUrl: URL): Promise<AuthGate | undefined> {
  const auth = settings.auth;
  if (!auth) return undefined;
  if (auth.kind === 'tokens') return bearerTokensGate(auth.tokens);
  return oauthGate({ issuer: auth.issuer, audience: auth.audience, resourceUrl });
}

/** The request headers of per-user keys, and their checks. */
export const CLIENT_KEY_HEADER = 'x-genimix-api-key';
export const CLIENT_PROJECT_HEADER = 'x-genimix-project-id';

/**
 * The Genimix key and project a request brings, checked; `undefined` for those it does not bring.
 * @throws {GenimixError} subclass naming the header when a value is malformed
 */
export function readClientKey(headers: Headers): { apiKey?: string; projectId?: string } {
  const apiKey = headers.get(CLIENT_KEY_HEADER) ?? undefined;
  const projectId = headers.get(CLIENT_PROJECT_HEADER)?.trim() || undefined;
  if (apiKey !== undefined) checkApiKey(apiKey, 'X-Genimix-Api-Key');
  if (projectId !== undefined) checkProjectId('X-Genimix-Project-Id', projectId, apiKey ?? '', 'X-Genimix-Api-Key');
  return { ...(apiKey === undefined ? {} : { apiKey }), ...(projectId === undefined ? {} : { projectId }) };
}

function readPort(raw: string | undefined): number {
  if (raw === undefined) return 3000;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65535)
    throw new ConfigError(
      `--port must be a TCP port from 0 to 65535 (0 picks a free one); got ${JSON.stringify(raw.slice(0, 20))}.`,
    );
  return port;
}

function readPublicUrl(raw: string | undefined): URL | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(
      `GENIMIX_MCP_PUBLIC_URL is not a URL: give the address clients use, e.g. https://mcp.example.com/mcp.`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(
      'GENIMIX_MCP_PUBLIC_URL must be an http:// or https:// URL, e.g. https://mcp.example.com/mcp.',
    );
  if (url.username || url.password || url.search || url.hash)
    throw new ConfigError(
      'GENIMIX_MCP_PUBLIC_URL must be a plain URL without credentials, query or fragment, e.g. https://mcp.example.com/mcp.',
    );
  return url;
}

function readAuth(env: NodeJS.ProcessEnv): AuthSettings | undefined {
  const rawTokens = env.GENIMIX_MCP_TOKENS?.trim();
  const issuer = env.GENIMIX_MCP_OAUTH_ISSUER?.trim();
  const audience = env.GENIMIX_MCP_OAUTH_AUDIENCE?.trim();
  if (rawTokens && (issuer || audience))
    throw new ConfigError(
      'GENIMIX_MCP_TOKENS and GENIMIX_MCP_OAUTH_ISSUER are both set: choose one way to authenticate clients and unset the other.',
    );
  if (rawTokens) {
    const tokens = rawTokens
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    tokens.forEach((token, i) => {
      // The message names the token by position: it must not print the token.
      if (token.length < MIN_TOKEN_CHARS || /[^\x21-\x7e]/.test(token))
        throw new ConfigError(
          `GENIMIX_MCP_TOKENS: token #${i + 1} must be at least ${MIN_TOKEN_CHARS} visible ASCII characters without spaces (e.g. from \`openssl rand -hex 32\`).`,
        );
    });
    return { kind: 'tokens', tokens };
  }
  const oauth = readOAuthSettings(env);
  return oauth ? { kind: 'oauth', ...oauth } : undefined;
}

function readClientKeys(raw: string | undefined): boolean {
  const value = raw?.trim().toLowerCase();
  if (!value) return false;
  if (value === 'allow') return true;
  throw new ConfigError(
    `GENIMIX_CLIENT_KEYS must be "allow" (each request may bring its own X-Genimix-Api-Key) or unset; got ${JSON.stringify(raw?.slice(0, 20))}.`,
  );
}

function readDrainMs(raw: string | undefined): number {
  const value = raw?.trim();
  if (!value) return 25_000;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms > 600_000)
    throw new ConfigError(
      `GENIMIX_MCP_DRAIN_MS must be a whole number of milliseconds from 0 to 600000; got ${JSON.stringify(value.slice(0, 20))}.`,
    );
  return ms;
}

function hostList(raw: string | undefined, name: string): string[] {
  return (raw ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean)
    .map((h) => {
      const bracketed = isIP(h) === 6 ? `[${h}]` : h;
      if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(bracketed))
        throw new ConfigError(
          `${name}: ${JSON.stringify(h.slice(0, 60))} is not a host name; list names only, without scheme or port (e.g. mcp.example.com).`,
        );
      return bracketed;
    });
}

/**
 * How other machines would reach an endpoint without auth, and the other fix; `undefined` when
 * only this machine can. A server on loopback is reachable from elsewhere too when a reverse proxy
 * forwards to it, which a public URL or an allowed host of another machine tells.
 */
function exposureWithoutAuth(
  host: string,
  publicHost: string | undefined,
  extraHosts: readonly string[],
): { reach: string; otherwise: string } | undefined {
  if (!isLoopbackHost(host))
    return { reach: `--host ${host} is reachable from other machines`, otherwise: 'listen on 127.0.0.1' };
  const proxied = 'other machines reach this server through a proxy there';
  if (publicHost && !isLoopbackHost(publicHost))
    return {
      reach: `GENIMIX_MCP_PUBLIC_URL names ${publicHost}: ${proxied}`,
      otherwise: 'unset GENIMIX_MCP_PUBLIC_URL to serve this machine alone',
    };
  const remote = extraHosts.find((h) => !isLoopbackHost(h));
  if (remote)
    return {
      reach: `GENIMIX_MCP_ALLOWED_HOSTS names ${remote}: ${proxied}`,
      otherwise: "list only this machine's names in GENIMIX_MCP_ALLOWED_HOSTS",
    };
  return undefined;
}

function hostnameOf(url: URL): string {
  return url.hostname.toLowerCase();
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** A malformed client header, as a message: the core's message names the header. */
export function clientKeyProblem(error: unknown): string {
  return error instanceof GenimixError ? error.message : String(error);
}
