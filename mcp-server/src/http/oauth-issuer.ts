import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
} from 'jose';
import { logError } from '../log.js';
import { isLoopbackHost } from './loopback.js';

/** What the JWKS is called in messages. */
const KEYS = 'keys (JWKS)';

/** How long a request to the issuer (its metadata or its keys) may take, in ms. */
const ISSUER_TIMEOUT_MS = 5_000;

/**
 * The OAuth issuer cannot be asked for its keys right now: unreachable, answering an error, or
 * describing itself wrongly. Its message says why and never holds a token.
 */
export class IssuerUnavailableError extends Error {
  override name = 'IssuerUnavailableError';
  /**
   * @param message what went wrong, for the 503's `error_description` and the log
   * @param retryAfterSeconds when the issuer will be asked again, in whole seconds
   */
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** Whether `url` names this machine (see {@link isLoopbackHost}), where plain HTTP is no exposure. */
export function isLoopbackUrl(url: URL): boolean {
  return isLoopbackHost(url.hostname);
}

/** Options of {@link issuerKeys}. */
export interface IssuerKeysOptions {
  /** The issuer identifier, exactly as its metadata's `issuer` and its tokens' `iss` spell it. */
  issuer: string;
  /**
   * After a failed request to the issuer, how long to answer from the failure (or from the keys
   * last fetched) before asking it again, in ms.
   */
  retryAfterMs: number;
  /** The fetch used for the issuer's metadata and keys (default: the global one). */
  fetch?: typeof fetch;
}

/** The issuer's signing keys, found by discovery; see {@link issuerKeys}. */
export interface IssuerKeys {
  /**
   * The key for a token's header, for jose's `jwtVerify`.
   * @throws {IssuerUnavailableError} when the issuer cannot be asked and no key fetched before fits
   * @throws jose's `JWKSNoMatchingKey` (and other jose errors) when the token names no key the issuer publishes
   */
  getKey: JWTVerifyGetKey;
}

/**
 * The signing keys of an OAuth 2.1 / OpenID issuer, found on first use: its metadata from
 * `/.well-known/oauth-authorization-server` (RFC 8414), else `/.well-known/openid-configuration`
 * (OpenID Connect Discovery), whose `issuer` must be `options.issuer` exactly; then its JWKS from
 * the metadata's `jwks_uri`, cached and refetched by jose (every 10 minutes, and at most every
 * 30 s when a token names a key it does not know, which is how a rotated key is found).
 *
 * A down issuer neither wedges the server nor gets hammered: a failed request is not repeated
 * for `retryAfterMs` (requests meanwhile fail at once with {@link IssuerUnavailableError}), and
 * while the JWKS cannot be refreshed the keys last fetched still verify tokens.
 *
 * The metadata and the JWKS must be HTTPS, except on a loopback issuer (tests, a local issuer).
 */
export function issuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const fetchImpl = options.fetch ?? fetch;
  // Read at each call, not captured: the clock is the same one jose's cache and cooldown use.
  const now = () => Date.now();
  const issuerUrl = new URL(options.issuer);
  let failedAt = Number.NEGATIVE_INFINITY;
  let lastFailure = '';
  let discovery: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;

  const unavailable = (): IssuerUnavailableError =>
    new IssuerUnavailableError(lastFailure, Math.max(1, Math.ceil((failedAt + options.retryAfterMs - now()) / 1000)));

  /** Notes a failure (logged: the operator's only sign of it) and throws it. */
  const fail = (message: string): never => {
    failedAt = now();
    lastFailure = message;
    logError(
      `${message} Tokens that need its keys are answered 503; it is asked again in ${options.retryAfterMs / 1000} s.`,
    );
    throw unavailable();
  };

  /** Every request to the issuer passes here: it records failures and holds back retries. */
  const guardedFetch = async (url: string, init: RequestInit, what: 'metadata' | typeof KEYS): Promise<Response> => {
    if (now() - failedAt < options.retryAfterMs) throw unavailable();
    const failed = (reason: string) =>
      fail(`The OAuth issuer ${options.issuer} could not be asked for its ${what}: ${reason}.`);
    const signal = init.signal ?? AbortSignal.timeout(ISSUER_TIMEOUT_MS);
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(url, { ...init, signal });
      text = response.status === 200 ? await response.text() : '';
      if (response.status !== 200) await response.body?.cancel();
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      return failed(
        name === 'TimeoutError' || name === 'AbortError'
          ? `no answer from ${url} within ${ISSUER_TIMEOUT_MS / 1000} s`
          : `${url} is unreachable`,
      );
    }
    if (response.status >= 500 || response.status === 429) return failed(`${url} answered HTTP ${response.status}`);
    if (what === KEYS && (response.status !== 200 || !isJwkSet(text)))
      // A JWKS that is not one would otherwise surface as a token error (401): it is the issuer's.
      return failed(
        `${url} answered ${response.status === 200 ? 'something that is not a JSON Web Key Set' : `HTTP ${response.status}`}`,
      );
    return new Response(response.status === 200 ? text : null, { status: response.status, headers: response.headers });
  };

  const discover = async (): Promise<ReturnType<typeof createRemoteJWKSet>> => {
    const { jwksUri, problem } = await findJwksUri(options.issuer, issuerUrl, (url) =>
      guardedFetch(url, { headers: { accept: 'application/json' }, redirect: 'manual' }, 'metadata'),
    );
    if (!jwksUri) return fail(problem);
    return createRemoteJWKSet(jwksUri, {
      timeoutDuration: ISSUER_TIMEOUT_MS,
      [customFetch]: (url, init) => guardedFetch(url, init, KEYS),
    });
  };

  return {
    async getKey(header: JWSHeaderParameters, token: FlattenedJWSInput) {
      if (!remote) {
        if (now() - failedAt < options.retryAfterMs) throw unavailable();
        discovery ??= discover().finally(() => {
          discovery = undefined;
        });
        remote = await discovery;
      }
      try {
        return await remote(header, token);
      } catch (error) {
        const stale: JSONWebKeySet | undefined = remote.jwks();
        if (!(error instanceof IssuerUnavailableError) || !stale) throw error;
        // The keys last fetched still verify the tokens they signed while the issuer is away; a
        // token naming another key may be signed by a new one, which only the issuer can tell.
        try {
          return await createLocalJWKSet(stale)(header, token);
        } catch {
          throw error;
        }
      }
    },
  };
}

/** The `jwks_uri` of the issuer's metadata, or why there is none (a message naming the URLs tried). */
async function findJwksUri(
  issuer: string,
  issuerUrl: URL,
  get: (url: string) => Promise<Response>,
): Promise<{ jwksUri?: URL; problem: string }> {
  const tried: string[] = [];
  for (const url of metadataUrls(issuerUrl)) {
    tried.push(url);
    const response = await get(url);
    if (!response.ok) {
      await response.body?.cancel();
      continue;
    }
    let metadata: unknown;
    try {
      metadata = await response.json();
    } catch {
      return { problem: `The OAuth issuer's metadata at ${url} is not JSON.` };
    }
    const record = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>) : {};
    if (record.issuer !== issuer) {
      return {
        problem: `The OAuth issuer's metadata at ${url} names the issuer ${JSON.stringify(record.issuer)}, not ${JSON.stringify(issuer)}: set GENIMIX_MCP_OAUTH_ISSUER to the issuer exactly as its metadata spells it.`,
      };
    }
    if (typeof record.jwks_uri !== 'string' || !URL.canParse(record.jwks_uri)) {
      return {
        problem: `The OAuth issuer's metadata at ${url} names no jwks_uri: its access tokens cannot be verified here.`,
      };
    }
    const jwksUri = new URL(record.jwks_uri);
    if (jwksUri.protocol !== 'https:' && !(jwksUri.protocol === 'http:' && isLoopbackUrl(jwksUri))) {
      return {
        problem: `The OAuth issuer's jwks_uri ${jwksUri.href} is not HTTPS: its keys would travel unprotected.`,
      };
    }
    return { jwksUri, problem: '' };
  }
  return {
    problem: `The OAuth issuer ${issuer} publishes no metadata (tried ${tried.join(', ')}): is GENIMIX_MCP_OAUTH_ISSUER its issuer identifier?`,
  };
}

/**
 * Where an issuer's metadata may be, in the order the MCP authorization spec tries them: RFC 8414
 * puts the well-known segment before the issuer's path, OpenID Connect Discovery after it (and
 * some providers serve it before too).
 */
function metadataUrls(issuer: URL): string[] {
  const path = issuer.pathname.replace(/\/$/, '');
  const at = (p: string) => new URL(p, issuer.origin).href;
  if (!path) return [at('/.well-known/oauth-authorization-server'), at('/.well-known/openid-configuration')];
  return [
    at(`/.well-known/oauth-authorization-server${path}`),
    at(`/.well-known/openid-configuration${path}`),
    at(`${path}/.well-known/openid-configuration`),
  ];
}

function isJwkSet(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && Array.isArray((value as { keys?: unknown }).keys);
  } catch {
    return false;
  }
}
