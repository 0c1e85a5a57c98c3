import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';

/** A signing algorithm the local issuer can use. */
export type IssuerAlgorithm = 'ES256' | 'RS256' | 'PS256' | 'EdDSA';

/** Options of {@link startLocalIssuer}. */
export interface LocalIssuerOptions {
  /** The signing algorithm of its keys (default ES256). */
  alg?: IssuerAlgorithm;
  /** A path of the issuer identifier, e.g. `/realms/genimix` (default: none, the origin alone). */
  path?: string;
  /**
   * Where it publishes its metadata: `oauth` at RFC 8414's `/.well-known/oauth-authorization-server[path]`
   * (default), `oidc` only at OpenID's `[path]/.well-known/openid-configuration`.
   */
  discovery?: 'oauth' | 'oidc';
  /** The `issuer` its metadata names (default: its own identifier), to play a misconfigured issuer. */
  metadataIssuer?: string;
}

/** Claims of a token the local issuer signs; `iss`, `sub`, `iat` and `exp` get defaults, `undefined` removes one. */
export type TokenClaims = JWTPayload & { aud: string | string[] };

/** A local OAuth issuer on 127.0.0.1; see {@link startLocalIssuer}. */
export interface LocalIssuer {
  /** The issuer identifier, e.g. `http://127.0.0.1:40123` (with `path` when given). */
  readonly url: string;
  /** The URL of its JWKS. */
  readonly jwksUrl: string;
  /** How many times its JWKS was fetched. */
  readonly jwksFetches: number;
  /** How many times its metadata was asked for (at any of the well-known paths, found or not). */
  readonly metadataFetches: number;
  /** Every request's path, in order. */
  readonly requests: readonly string[];
  /** The kid of the current signing key. */
  readonly kid: string;
  /**
   * A token signed with the current key. Defaults: `iss` = {@link url}, `sub` = `user-1`, `iat` =
   * now, `exp` = now + 5 minutes (seconds since the epoch, from `Date.now`).
   */
  issue(claims: TokenClaims): Promise<string>;
  /** A token signed with a key the issuer does not publish, under `kid` (default: the current key's, to pose as it). */
  issueWithForeignKey(claims: TokenClaims, kid?: string): Promise<string>;
  /**
   * A token whose header names no key (no `kid`), as some issuers sign them: with the current key,
   * or with a key the issuer does not publish when `foreign`.
   */
  issueWithoutKid(claims: TokenClaims, foreign?: boolean): Promise<string>;
  /** An HS256 token whose HMAC secret is the issuer's public key (SPKI PEM): the classic algorithm-confusion forgery. */
  forgeWithPublicKey(claims: TokenClaims): Promise<string>;
  /** An unsigned token (`alg: none`). */
  unsigned(claims: TokenClaims): string;
  /** A new signing key with a new kid; the JWKS then publishes the new key, and the old one only if `keepOld`. */
  rotate(keepOld?: boolean): Promise<void>;
  /** While set, every request is answered with this HTTP status (an issuer in trouble). */
  failWith: number | undefined;
  /**
   * Leaves JWKS requests unanswered (a slow issuer) until `release()`: `asked` settles when the
   * first one arrives, so a test can act while a token's check waits on the issuer.
   */
  holdKeys(): { asked: Promise<void>; release(): void };
  /** Stops listening and drops connections: connections are refused, as from a down issuer. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

/**
 * A local OAuth 2.1 authorization server, for the resource-server tests: it serves its metadata
 * and its JWKS over real HTTP on 127.0.0.1 (port 0), signs access tokens with its own key (jose),
 * counts what is fetched from it, rotates keys, and can be stopped and restarted on its port.
 */
export async function startLocalIssuer(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const alg = options.alg ?? 'ES256';
  const path = (options.path ?? '').replace(/\/$/, '');
  let keyNumber = 0;
  const newKey = async (): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const kid = `key-${++keyNumber}`;
    return { kid, privateKey, publicKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
  };
  let current = await newKey();
  let published: SigningKey[] = [current];
  let jwksFetches = 0;
  let metadataFetches = 0;
  const requests: string[] = [];
  const state = { failWith: undefined as number | undefined };
  let held: { arrived: () => void; answers: Array<() => void> } | undefined;

  let origin = '';
  const metadata = (): Record<string, unknown> => {
    const issuer = `${origin}${path}`;
    const common = {
      issuer: options.metadataIssuer ?? issuer,
      authorization_endpoint: `${issuer}/authorize`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${origin}/jwks`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
    };
    return options.discovery === 'oidc'
      ? { ...common, subject_types_supported: ['public'], id_token_signing_alg_values_supported: [alg] }
      : common;
  };
  const metadataPath =
    options.discovery === 'oidc'
      ? `${path}/.well-known/openid-configuration`
      : `/.well-known/oauth-authorization-server${path}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.includes('/.well-known/')) metadataFetches++;
    if (url.pathname === '/jwks') jwksFetches++;
    if (state.failWith !== undefined) return json(state.failWith, { error: 'server_error' });
    if (url.pathname === metadataPath) return json(200, metadata());
    if (url.pathname === '/jwks') {
      const answer = () => json(200, { keys: published.map((k) => k.jwk) });
      if (!held) return answer();
      held.arrived();
      held.answers.push(answer);
      return;
    }
    return json(404, { error: 'not_found' });
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  await listen(0);
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  const url = `${origin}${path}`;

  const payloadOf = (claims: TokenClaims): JWTPayload => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = { iss: url, sub: 'user-1', iat: now, exp: now + 300, ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return payload;
  };
  const sign = (claims: TokenClaims, key: CryptoKey, kid: string) =>
    new SignJWT(payloadOf(claims)).setProtectedHeader({ alg, kid, typ: 'at+jwt' }).sign(key);

  return {
    url,
    jwksUrl: `${origin}/jwks`,
    get jwksFetches() {
      return jwksFetches;
    },
    get metadataFetches() {
      return metadataFetches;
    },
    requests,
    get kid() {
      return current.kid;
    },
    get failWith() {
      return state.failWith;
    },
    set failWith(status: number | undefined) {
      state.failWith = status;
    },
    holdKeys() {
      let arrived = () => {};
      const asked = new Promise<void>((resolve) => (arrived = resolve));
      const hold = { arrived, answers: [] as Array<() => void> };
      held = hold;
      return {
        asked,
        release() {
          if (held === hold) held = undefined;
          for (const answer of hold.answers.splice(0)) answer();
        },
      };
    },
    issue: (claims) => sign(claims, current.privateKey, current.kid),
    async issueWithForeignKey(claims, kid = current.kid) {
      const { privateKey } = await generateKeyPair(alg);
      return sign(claims, privateKey, kid);
    },
    async issueWithoutKid(claims, foreign = false) {
      const key = foreign ? (await generateKeyPair(alg)).privateKey : current.privateKey;
      return new SignJWT(payloadOf(claims)).setProtectedHeader({ alg, typ: 'at+jwt' }).sign(key);
    },
    async forgeWithPublicKey(claims) {
      const secret = new TextEncoder().encode(await exportSPKI(current.publicKey));
      return new SignJWT(payloadOf(claims)).setProtectedHeader({ alg: 'HS256', kid: current.kid }).sign(secret);
    },
    unsigned(claims) {
      const token = new UnsecuredJWT(payloadOf(claims)).encode();
      // jose's unsecured JWT carries no kid; a forger would name the real key's to get past key selection.
      const header = base64url.encode(JSON.stringify({ alg: 'none', kid: current.kid }));
      return `${header}.${token.split('.')[1]}.`;
    },
    async rotate(keepOld = false) {
      current = await newKey();
      published = keepOld ? [...published, current] : [current];
    },
    stop,
    restart: () => listen(port),
    async close() {
      if (server.listening) await stop();
    },
  };
}
