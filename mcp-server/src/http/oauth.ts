import {
  type AuthInfo,
  type AuthMetadataOptions,
  bearerAuthChallengeResponse,
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  OAuthError,
  OAuthErrorCode,
  type OAuthMetadata,
  type OAuthTokenVerifier,
  oauthMetadataResponse,
  verifyBearerToken,
} from '@modelcontextprotocol/server';
import { errors, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, jwtVerify } from 'jose';
import { ConfigError } from '../config.js';
import type { AuthGate } from './auth.js';
import { IssuerUnavailableError, isLoopbackUrl, issuerKeys } from './oauth-issuer.js';

/** The OAuth resource-server settings: `GENIMIX_MCP_OAUTH_ISSUER` and `GENIMIX_MCP_OAUTH_AUDIENCE`. */
export interface OAuthSettings {
  /** The issuer identifier (a URL, HTTPS unless loopback), exactly as its tokens' `iss` spell it. */
  issuer: string;
  /** The value the tokens' `aud` must hold: what the issuer puts in tokens meant for this server. */
  audience: string;
}

/**
 * The JWS algorithms accepted: asymmetric ones only. `none` is never accepted by jose's
 * `jwtVerify`, and HMAC (`HS*`) would let anyone holding the issuer's public key forge tokens.
 */
export const OAUTH_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Default of {@link OAuthGateOptions.retryAfterMs}: how long a down issuer is left alone, in ms. */
export const DEFAULT_ISSUER_RETRY_MS = 10_000;

/** Clock skew allowed between the issuer and this server on `nbf` and `iat`, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Reads and checks `GENIMIX_MCP_OAUTH_ISSUER` and `GENIMIX_MCP_OAUTH_AUDIENCE`.
 * @returns the settings, or `undefined` when neither is set
 * @throws {ConfigError} naming the variable and the fix: one set without the other, an issuer
 *   that is not an HTTPS URL (plain HTTP only on a loopback address), with credentials, a query
 *   or a fragment, an audience with spaces
 */
export function readOAuthSettings(env: NodeJS.ProcessEnv = process.env): OAuthSettings | undefined {
  const issuer = env.GENIMIX_MCP_OAUTH_ISSUER?.trim();
  const audience = env.GENIMIX_MCP_OAUTH_AUDIENCE?.trim();
  if (!issuer && !audience) return undefined;
  if (!issuer || !audience)
    throw new ConfigError(
      `${issuer ? 'GENIMIX_MCP_OAUTH_AUDIENCE' : 'GENIMIX_MCP_OAUTH_ISSUER'} is not set: OAuth needs both the issuer (GENIMIX_MCP_OAUTH_ISSUER, e.g. https://auth.example.com/realms/genimix) and the audience its tokens name for this server (GENIMIX_MCP_OAUTH_AUDIENCE).`,
    );
  checkIssuer(issuer);
  if (/\s/.test(audience) || audience.length > 2048)
    throw new ConfigError(
      "GENIMIX_MCP_OAUTH_AUDIENCE must be one audience ('aud') value without spaces, at most 2048 characters: the identifier the issuer puts in tokens for this server, often its public URL (GENIMIX_MCP_PUBLIC_URL).",
    );
  return { issuer, audience };
}

/**
 * Checks an issuer identifier as RFC 8414 defines it, for a resource server that fetches its keys.
 * @throws {ConfigError} naming GENIMIX_MCP_OAUTH_ISSUER; never echoes a value that may hold credentials
 */
function checkIssuer(issuer: string): void {
  if (!URL.canParse(issuer))
    throw new ConfigError(
      'GENIMIX_MCP_OAUTH_ISSUER is not a URL: give the issuer\'s identifier, e.g. https://auth.example.com/realms/genimix (its metadata\'s "issuer").',
    );
  const url = new URL(issuer);
  if (url.username || url.password)
    throw new ConfigError(
      'GENIMIX_MCP_OAUTH_ISSUER must not carry credentials (user:password@): give the issuer identifier alone.',
    );
  if (url.search || url.hash)
    throw new ConfigError(
      `GENIMIX_MCP_OAUTH_ISSUER must not have a query or a fragment (RFC 8414): give the issuer identifier, e.g. ${url.origin}${url.pathname}.`,
    );
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url)))
    throw new ConfigError(
      `GENIMIX_MCP_OAUTH_ISSUER must be an https:// URL (plain http:// only on localhost, 127.0.0.1 or [::1]); got ${url.protocol}//${url.host}: the issuer's keys decide who gets in, and must not travel unprotected.`,
    );
}

/** Options of {@link oauthGate}. */
export interface OAuthGateOptions extends OAuthSettings {
  /**
   * The public URL of the MCP endpoint (e.g. `https://mcp.example.com/mcp`): the `resource` of
   * the protected-resource metadata, which clients check against the URL they use.
   */
  resourceUrl: URL;
  /** The fetch used for the issuer's metadata and keys (default: the global one). */
  fetch?: typeof fetch;
  /**
   * After a failed request to the issuer, how long before it is asked again, in ms (default
   * {@link DEFAULT_ISSUER_RETRY_MS}). Meanwhile requests that need it are answered 503 at once.
   */
  retryAfterMs?: number;
}

/**
 * OAuth 2.1 resource server: a request to `/mcp` must carry `Authorization: Bearer <JWT>`, an
 * access token signed by `issuer` with one of its published keys (found by RFC 8414 / OpenID
 * discovery on first use, see `issuerKeys`) in one of {@link OAUTH_ALGORITHMS}, whose `iss` is
 * `issuer`, whose `aud` holds `audience`, with an `exp` in the future and any `nbf` in the past
 * (30 s of clock skew allowed on `nbf` and `iat`).
 *
 * Answers:
 * - a missing or bad token: 401 with `WWW-Authenticate: Bearer error="invalid_token",
 *   error_description="…", resource_metadata="<metadata URL>"`; the description says what was
 *   wrong (expired, wrong audience, unknown key…) and never quotes the token;
 * - an issuer that cannot be asked for its keys (down, answering errors, or misdescribing
 *   itself) while the token needs them: 503 `temporarily_unavailable` with `Retry-After`, not a
 *   401, for the token may well be good and a 401 would send the client to sign in again.
 *
 * It serves the RFC 9728 protected-resource metadata (`resource` = `resourceUrl`,
 * `authorization_servers` = [`issuer`]) at `/.well-known/oauth-protected-resource` and at its
 * path-aware form (`/.well-known/oauth-protected-resource/mcp`), which the challenge names.
 *
 * What it does not do: require scopes (the verified ones are passed on as `AuthInfo.scopes`),
 * nor tie a caller to a Genimix key: every caller with a valid token uses the server's key.
 * @throws {ConfigError} naming GENIMIX_MCP_OAUTH_ISSUER when the issuer is not an HTTPS (or loopback) URL
 */
export function oauthGate(options: OAuthGateOptions): AuthGate {
  const { issuer, audience, resourceUrl } = options;
  checkIssuer(issuer);
  const keys = issuerKeys({
    issuer,
    retryAfterMs: options.retryAfterMs ?? DEFAULT_ISSUER_RETRY_MS,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const resource = URL.canParse(audience) ? new URL(audience) : undefined;

  const verifier: OAuthTokenVerifier = {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      let payload: JWTPayload;
      try {
        payload = await verifyJwt(token, keys.getKey, {
          issuer,
          audience,
          algorithms: [...OAUTH_ALGORITHMS],
          requiredClaims: ['exp'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
        });
      } catch (error) {
        if (error instanceof errors.JOSEError) throw new OAuthError(OAuthErrorCode.InvalidToken, rejection(error));
        throw error;
      }
      return {
        token,
        clientId: firstString(payload.client_id, payload.azp, payload.sub) ?? 'unknown',
        scopes: scopesOf(payload),
        ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp } : {}),
        ...(resource ? { resource } : {}),
        extra: { issuer, ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}) },
      };
    },
  };

  const resourceMetadataUrl = getOAuthProtectedResourceMetadataUrl(resourceUrl);
  const metadataOptions: AuthMetadataOptions = {
    // The protected-resource document reads only the issuer; the issuer's own metadata is not
    // served here (clients fetch it from the issuer).
    oauthMetadata: { issuer } as OAuthMetadata,
    resourceServerUrl: resourceUrl,
    resourceName: 'Genimix MCP server',
    // checkIssuer allows plain HTTP on loopback addresses the SDK's own check does not list ([::1], 127.0.0.2).
    dangerouslyAllowInsecureIssuerUrl: isLoopbackUrl(new URL(issuer)),
  };
  buildOAuthProtectedResourceMetadata(metadataOptions);
  const documentPaths = new Set(['/.well-known/oauth-protected-resource', new URL(resourceMetadataUrl).pathname]);

  return {
    async authenticate(request: Request): Promise<AuthInfo | Response> {
      // As the SDK's requireBearerAuth: the first of several comma-joined Authorization headers.
      const [authorization] = (request.headers.get('authorization') ?? '').split(',');
      try {
        return await verifyBearerToken(authorization?.trim() || undefined, { verifier, resourceMetadataUrl });
      } catch (error) {
        if (error instanceof IssuerUnavailableError) return unavailable(error);
        return bearerAuthChallengeResponse(error, { resourceMetadataUrl });
      }
    },
    serveMetadata(request: Request): Response | undefined {
      const path = new URL(request.url).pathname.replace(/(.)\/$/, '$1');
      if (!documentPaths.has(path)) return undefined;
      // One document at both paths; the SDK's responder serves it (CORS, HEAD, 405) at the path-aware one.
      return oauthMetadataResponse(
        new Request(resourceMetadataUrl, { method: request.method, headers: request.headers }),
        metadataOptions,
      );
    },
    description: `OAuth access tokens from ${issuer} for audience ${audience} (GENIMIX_MCP_OAUTH_ISSUER)`,
  };
}

/**
 * jose's `jwtVerify` with the issuer's keys, also for a token whose header names no key (no
 * `kid`) while the issuer publishes several of its algorithm, as during a key rotation: jose
 * then throws `JWKSMultipleMatchingKeys` and leaves trying each key to the caller.
 * @returns the verified claims
 * @throws jose's errors, as `jwtVerify`; `JWSSignatureVerificationFailed` when no published key verifies
 */
async function verifyJwt(token: string, getKey: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (failure) {
        if (!(failure instanceof errors.JWSSignatureVerificationFailed)) throw failure;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** 503 for a request whose token cannot be checked now; the client should retry, not sign in again. */
function unavailable(error: IssuerUnavailableError): Response {
  const body = new OAuthError(OAuthErrorCode.TemporarilyUnavailable, error.message).toResponseObject();
  return Response.json(body, { status: 503, headers: { 'Retry-After': String(error.retryAfterSeconds) } });
}

/** Why jose refused a token, in words that name the check and never the token's content. */
function rejection(error: errors.JOSEError): string {
  if (error instanceof errors.JWTExpired) return 'The access token has expired.';
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'aud':
        return 'The access token was not issued for this server (its audience is not the configured one).';
      case 'iss':
        return 'The access token was not issued by the configured issuer.';
      case 'nbf':
        return 'The access token is not valid yet (nbf).';
      case 'exp':
        return 'The access token has no valid expiry (exp).';
      default:
        return `The access token's "${error.claim}" claim is not valid.`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return 'The access token is signed with an algorithm this server does not accept (asymmetric ones only).';
  if (error instanceof errors.JWKSNoMatchingKey)
    return 'The access token is signed with a key the issuer does not publish.';
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The access token's signature does not verify.";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid)
    return 'The access token is not a well-formed signed JWT.';
  return 'The access token is not valid.';
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v.length > 0);
}

/** The token's scopes: RFC 9068's space-separated `scope`, or the `scp` some issuers use (a list or a string). */
function scopesOf(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(' ') : [];
  return list.filter((s): s is string => typeof s === 'string' && s.length > 0);
}
