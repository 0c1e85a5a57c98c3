import { createHash, timingSafeEqual } from 'node:crypto';
import { type AuthInfo, OAuthError, OAuthErrorCode, requireBearerAuth } from '@modelcontextprotocol/server';

/**
 * What protects the HTTP endpoint: static bearer tokens ({@link bearerTokensGate}) or OAuth 2.1
 * access tokens (`oauth.ts`). Every request to `/mcp` passes {@link AuthGate.authenticate} first.
 */
export interface AuthGate {
  /**
   * The verified caller, or the response that refuses the request: 401 with a
   * `WWW-Authenticate: Bearer …` challenge for a missing or bad token, 403 for missing scopes.
   * Never throws.
   */
  authenticate(request: Request): Promise<AuthInfo | Response>;
  /**
   * The discovery documents this gate serves without authentication (OAuth's
   * `/.well-known/oauth-protected-resource`), or `undefined` when `request` asks for none.
   */
  serveMetadata?(request: Request): Response | undefined;
  /** What protects the endpoint, for the start-up log line; never a secret. */
  readonly description: string;
}

/**
 * Static bearer tokens (`GENIMIX_MCP_TOKENS`): a request must carry `Authorization: Bearer <t>`
 * with one of `tokens`.
 *
 * Security: each presented token is compared with every configured one as SHA-256 digests
 * with `timingSafeEqual`, and all comparisons run whatever matched, so the time taken says
 * nothing about how much of a token was right, nor which token it was.
 * @param tokens the accepted tokens, at least one, each at least 16 characters (checked by the caller)
 */
export function bearerTokensGate(tokens: readonly string[]): AuthGate {
  const digests = tokens.map(digest);
  const gate = requireBearerAuth({
    verifier: {
      async verifyAccessToken(token: string): Promise<AuthInfo> {
        const presented = digest(token);
        let index = -1;
        digests.forEach((d, i) => {
          if (timingSafeEqual(d, presented) && index < 0) index = i;
        });
        if (index < 0)
          throw new OAuthError(OAuthErrorCode.InvalidToken, 'The bearer token is not one this server accepts.');
        // Static tokens do not expire, but the SDK refuses a token without an expiry: the
        // verification holds for the request it was made for, so an hour is plenty.
        return { token, clientId: `token-${index + 1}`, scopes: [], expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      },
    },
  });
  return {
    authenticate: gate,
    description: `${tokens.length} bearer token${tokens.length === 1 ? '' : 's'} (GENIMIX_MCP_TOKENS)`,
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
