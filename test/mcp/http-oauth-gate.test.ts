import type { AuthInfo } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../mcp-server/src/config.js';
import { oauthGate, readOAuthSettings } from '../../mcp-server/src/http/oauth.js';
import { type LocalIssuer, startLocalIssuer, type TokenClaims } from '../helpers/oauth-issuer.js';

// The gate's public interface, with real HTTP to a local issuer that signs its own tokens.

const RESOURCE = new URL('http://127.0.0.1:3999/mcp');
const METADATA_URL = 'http://127.0.0.1:3999/.well-known/oauth-protected-resource/mcp';
const AUDIENCE = 'https://mcp.example.com/mcp';

function mcpRequest(token?: string, scheme = 'Bearer'): Request {
  return new Request(RESOURCE, {
    method: 'POST',
    headers: token === undefined ? {} : { authorization: `${scheme} ${token}` },
  });
}

/** The whole response as text (status, headers, body), to look for the token in. */
async function responseText(response: Response): Promise<string> {
  const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  return `${response.status}\n${headers}\n\n${await response.clone().text()}`;
}

/** A fetch that counts the requests the gate makes to the issuer, reached or not. */
function countingFetch(): typeof fetch & { calls: string[] } {
  const calls: string[] = [];
  const counted = (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    calls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  }) as typeof fetch & { calls: string[] };
  counted.calls = calls;
  return counted;
}

async function expectRefused(response: AuthInfo | Response, description: RegExp, token?: string): Promise<Response> {
  expect(response).toBeInstanceOf(Response);
  const refused = response as Response;
  expect(refused.status).toBe(401);
  const challenge = refused.headers.get('www-authenticate') ?? '';
  expect(challenge).toMatch(/^Bearer error="invalid_token"/);
  expect(challenge).toContain(`resource_metadata="${METADATA_URL}"`);
  expect(challenge).toMatch(description);
  const body = (await refused.clone().json()) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_token');
  expect(body.error_description).toMatch(description);
  if (token) {
    const text = await responseText(refused);
    // Neither the token nor any of its parts (header, claims, signature) comes back.
    for (const part of [token, ...token.split('.').filter((p) => p.length >= 8)]) expect(text).not.toContain(part);
  }
  return refused;
}

describe('readOAuthSettings', () => {
  it('reads both variables, or none', () => {
    expect(readOAuthSettings({})).toBeUndefined();
    expect(
      readOAuthSettings({ GENIMIX_MCP_OAUTH_ISSUER: ' https://auth.example.com/ ', GENIMIX_MCP_OAUTH_AUDIENCE: 'api' }),
    ).toEqual({ issuer: 'https://auth.example.com/', audience: 'api' });
    for (const issuer of ['http://localhost:8080', 'http://127.0.0.1:9000/realms/x', 'http://[::1]:8080']) {
      expect(readOAuthSettings({ GENIMIX_MCP_OAUTH_ISSUER: issuer, GENIMIX_MCP_OAUTH_AUDIENCE: 'api' })?.issuer).toBe(
        issuer,
      );
    }
  });

  it('refuses one without the other, naming the missing variable', () => {
    expect(() => readOAuthSettings({ GENIMIX_MCP_OAUTH_ISSUER: 'https://auth.example.com' })).toThrow(
      /^GENIMIX_MCP_OAUTH_AUDIENCE is not set: OAuth needs both/,
    );
    expect(() => readOAuthSettings({ GENIMIX_MCP_OAUTH_AUDIENCE: 'api' })).toThrow(
      /^GENIMIX_MCP_OAUTH_ISSUER is not set: OAuth needs both/,
    );
  });

  it('refuses an issuer that is not an HTTPS URL (but loopback), with credentials, a query or a fragment', () => {
    const read = (issuer: string) => () =>
      readOAuthSettings({ GENIMIX_MCP_OAUTH_ISSUER: issuer, GENIMIX_MCP_OAUTH_AUDIENCE: 'api' });
    expect(read('auth.example.com')).toThrow(ConfigError);
    expect(read('auth.example.com')).toThrow(/^GENIMIX_MCP_OAUTH_ISSUER is not a URL/);
    expect(read('http://auth.example.com')).toThrow(
      /^GENIMIX_MCP_OAUTH_ISSUER must be an https:\/\/ URL \(plain http:\/\/ only on localhost, 127\.0\.0\.1 or \[::1\]\); got http:\/\/auth\.example\.com/,
    );
    expect(read('http://10.0.0.5:8080')).toThrow(/must be an https:\/\/ URL/);
    expect(read('ftp://auth.example.com')).toThrow(/must be an https:\/\/ URL/);
    expect(read('https://auth.example.com/?tenant=1')).toThrow(/must not have a query or a fragment/);
    expect(read('https://auth.example.com/#x')).toThrow(/must not have a query or a fragment/);
    const withPassword = read('https://admin:s3cret-pass@auth.example.com');
    expect(withPassword).toThrow(/must not carry credentials/);
    expect(withPassword).not.toThrow(/s3cret-pass/);
  });

  it('refuses an audience with spaces', () => {
    expect(() =>
      readOAuthSettings({ GENIMIX_MCP_OAUTH_ISSUER: 'https://auth.example.com', GENIMIX_MCP_OAUTH_AUDIENCE: 'a b' }),
    ).toThrow(/^GENIMIX_MCP_OAUTH_AUDIENCE must be one audience/);
  });

  it('oauthGate refuses a plain-HTTP issuer off this machine', () => {
    expect(() => oauthGate({ issuer: 'http://auth.example.com', audience: AUDIENCE, resourceUrl: RESOURCE })).toThrow(
      /^GENIMIX_MCP_OAUTH_ISSUER must be an https:\/\/ URL/,
    );
  });
});

describe('oauthGate with a local issuer', () => {
  let issuer: LocalIssuer;
  const claims = (extra: Partial<TokenClaims> = {}): TokenClaims => ({ aud: AUDIENCE, ...extra });
  const gateFor = (i: LocalIssuer, extra: { fetch?: typeof fetch } = {}) =>
    oauthGate({ issuer: i.url, audience: AUDIENCE, resourceUrl: RESOURCE, ...extra });

  beforeAll(async () => {
    issuer = await startLocalIssuer();
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('accepts a valid token: the caller, scopes, expiry and resource, after one lazy discovery', async () => {
    const before = { metadata: issuer.metadataFetches, jwks: issuer.jwksFetches };
    const gate = gateFor(issuer);
    // Nothing is fetched until a token needs checking.
    expect(issuer.metadataFetches).toBe(before.metadata);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await issuer.issue(claims({ exp, client_id: 'claude-desktop', scope: 'mcp:tools images:read' }));
    const info = (await gate.authenticate(mcpRequest(token))) as AuthInfo;
    expect(info).not.toBeInstanceOf(Response);
    expect(info).toMatchObject({
      token,
      clientId: 'claude-desktop',
      scopes: ['mcp:tools', 'images:read'],
      expiresAt: exp,
      resourceMetadataUrl: METADATA_URL,
      extra: { issuer: issuer.url, subject: 'user-1' },
    });
    expect(info.resource?.href).toBe(AUDIENCE);
    expect(issuer.metadataFetches - before.metadata).toBe(1);
    expect(issuer.jwksFetches - before.jwks).toBe(1);

    // Cached: more tokens, no more requests to the issuer.
    for (const sub of ['user-2', 'user-3']) {
      const other = (await gate.authenticate(mcpRequest(await issuer.issue(claims({ sub }))))) as AuthInfo;
      expect(other.clientId).toBe(sub);
    }
    expect(issuer.metadataFetches - before.metadata).toBe(1);
    expect(issuer.jwksFetches - before.jwks).toBe(1);
  });

  it('reads azp and scp as issuers spell them, and an audience among several', async () => {
    const gate = gateFor(issuer);
    const token = await issuer.issue({ aud: ['other-api', AUDIENCE], azp: 'web-client', scp: ['a', 'b'] });
    expect(await gate.authenticate(mcpRequest(token))).toMatchObject({ clientId: 'web-client', scopes: ['a', 'b'] });
  });

  it('refuses a request without a token with a challenge that names the resource metadata', async () => {
    const gate = gateFor(issuer);
    await expectRefused(await gate.authenticate(mcpRequest()), /Missing Authorization header/);
    await expectRefused(await gate.authenticate(mcpRequest('abc', 'Basic')), /expected 'Bearer TOKEN'/);
  });

  it('refuses bad tokens with a reason and never sends the token back', async () => {
    const gate = gateFor(issuer);
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, string, RegExp]> = [
      [
        'wrong audience',
        await issuer.issue(claims({ aud: 'https://other.example.com/mcp' })),
        /not issued for this server/,
      ],
      ['expired', await issuer.issue(claims({ iat: now - 7200, exp: now - 3600 })), /has expired/],
      ['not yet valid', await issuer.issue(claims({ nbf: now + 3600 })), /not valid yet/],
      [
        'wrong issuer',
        await issuer.issue(claims({ iss: 'https://evil.example.com' })),
        /not issued by the configured issuer/,
      ],
      ['no expiry', await issuer.issue(claims({ exp: undefined })), /no valid expiry|"exp" claim/],
      ['foreign key posing as the real one', await issuer.issueWithForeignKey(claims()), /signature does not verify/],
      [
        'foreign key of its own',
        await issuer.issueWithForeignKey(claims(), 'attacker-key'),
        /key the issuer does not publish/,
      ],
      ['alg none', issuer.unsigned(claims()), /algorithm this server does not accept/],
      [
        'HS256 with the public key as secret',
        await issuer.forgeWithPublicKey(claims()),
        /algorithm this server does not accept/,
      ],
      ['garbage', 'not-a-jwt-at-all-0123456789', /not a well-formed signed JWT/],
      ['three garbage parts', 'aaaaaaaaaa.bbbbbbbbbb.cccccccccc', /not a well-formed signed JWT/],
    ];
    for (const [name, token, description] of cases) {
      const response = await gate.authenticate(mcpRequest(token));
      await expect.soft(expectRefused(response, description, token), name).resolves.toBeInstanceOf(Response);
    }
  });

  it('serves the protected-resource metadata at the root and the path-aware well-known paths', async () => {
    const gate = gateFor(issuer);
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource/mcp/',
    ]) {
      const response = gate.serveMetadata?.(new Request(new URL(path, RESOURCE)));
      expect(response?.status, path).toBe(200);
      expect(response?.headers.get('access-control-allow-origin')).toBe('*');
      expect(await response?.json()).toEqual({
        resource: RESOURCE.href,
        authorization_servers: [issuer.url],
        resource_name: 'Genimix MCP server',
      });
    }
    const post = gate.serveMetadata?.(new Request(new URL(METADATA_URL), { method: 'POST', body: '{}' }));
    expect(post?.status).toBe(405);
    for (const path of ['/mcp', '/.well-known/oauth-authorization-server', '/.well-known/oauth-protected-resource/x']) {
      expect(gate.serveMetadata?.(new Request(new URL(path, RESOURCE))), path).toBeUndefined();
    }
  });

  it('names the issuer and audience in its description', () => {
    expect(gateFor(issuer).description).toBe(
      `OAuth access tokens from ${issuer.url} for audience ${AUDIENCE} (GENIMIX_MCP_OAUTH_ISSUER)`,
    );
  });
});

describe('oauthGate across issuers', () => {
  const issuers: LocalIssuer[] = [];
  const start = async (...args: Parameters<typeof startLocalIssuer>) => {
    const i = await startLocalIssuer(...args);
    issuers.push(i);
    return i;
  };
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(issuers.splice(0).map((i) => i.close()));
  });

  it.each(['RS256', 'PS256', 'ES256', 'EdDSA'] as const)('verifies %s tokens', async (alg) => {
    const issuer = await start({ alg });
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE });
    expect(await gate.authenticate(mcpRequest(await issuer.issue({ aud: AUDIENCE })))).toMatchObject({
      clientId: 'user-1',
    });
  });

  it('finds an OpenID-only issuer with a path, and an audience that is not a URL', async () => {
    const issuer = await start({ discovery: 'oidc', path: '/realms/genimix' });
    const gate = oauthGate({ issuer: issuer.url, audience: 'genimix-mcp', resourceUrl: RESOURCE });
    const info = await gate.authenticate(mcpRequest(await issuer.issue({ aud: 'genimix-mcp' })));
    expect(info).toMatchObject({ clientId: 'user-1' });
    expect((info as AuthInfo).resource).toBeUndefined();
    expect(issuer.requests).toEqual([
      '/.well-known/oauth-authorization-server/realms/genimix',
      '/.well-known/openid-configuration/realms/genimix',
      '/realms/genimix/.well-known/openid-configuration',
      '/jwks',
    ]);
  });

  it('answers 503 naming the variable when the metadata names another issuer', async () => {
    const issuer = await start({ metadataIssuer: 'https://elsewhere.example.com' });
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE });
    const response = (await gate.authenticate(mcpRequest(await issuer.issue({ aud: AUDIENCE })))) as Response;
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error_description: string }).error_description).toMatch(
      /names the issuer "https:\/\/elsewhere\.example\.com", not "http:\/\/127\.0\.0\.1:\d+": set GENIMIX_MCP_OAUTH_ISSUER to the issuer exactly/,
    );
  });

  it('verifies a token signed by a rotated key once jose refetches the JWKS, and drops the removed key', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const issuer = await start();
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE });
    const old = await issuer.issue({ aud: AUDIENCE });
    expect(await gate.authenticate(mcpRequest(old))).toMatchObject({ clientId: 'user-1' });
    expect(issuer.jwksFetches).toBe(1);

    await issuer.rotate();
    const rotated = await issuer.issue({ aud: AUDIENCE, sub: 'after-rotation' });
    // Within jose's 30 s cooldown an unknown kid does not make it fetch again (no hammering by bad tokens).
    await expectRefused(await gate.authenticate(mcpRequest(rotated)), /key the issuer does not publish/);
    expect(issuer.jwksFetches).toBe(1);

    vi.setSystemTime(Date.now() + 31_000);
    expect(await gate.authenticate(mcpRequest(rotated))).toMatchObject({ clientId: 'after-rotation' });
    expect(issuer.jwksFetches).toBe(2);
    // The old key is no longer published: its tokens no longer verify.
    await expectRefused(await gate.authenticate(mcpRequest(old)), /key the issuer does not publish/);
  });

  it('verifies a token without kid against each published key of its algorithm (an issuer mid-rotation)', async () => {
    const issuer = await start();
    await issuer.rotate(true);
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE });
    // Two ES256 keys are published and the token names neither: jose leaves trying each to the caller.
    const token = await issuer.issueWithoutKid({ aud: AUDIENCE, sub: 'no-kid' });
    expect(await gate.authenticate(mcpRequest(token))).toMatchObject({ clientId: 'no-kid' });
    const foreign = await issuer.issueWithoutKid({ aud: AUDIENCE }, true);
    await expectRefused(await gate.authenticate(mcpRequest(foreign)), /signature does not verify/);
    // The claims are still checked once a key verifies the signature.
    const elsewhere = await issuer.issueWithoutKid({ aud: 'https://another-server.example.test/mcp' });
    await expectRefused(await gate.authenticate(mcpRequest(elsewhere)), /not issued for this server/);
  });

  it('answers 503 while the issuer is down, asks it at most once per retry delay, and recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const issuer = await start();
    const counted = countingFetch();
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE, fetch: counted });
    const token = await issuer.issue({ aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 3600 });
    await issuer.stop();

    const down = (await gate.authenticate(mcpRequest(token))) as Response;
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('10');
    expect(await responseText(down)).not.toContain(token);
    expect(await down.json()).toEqual({
      error: 'temporarily_unavailable',
      error_description: `The OAuth issuer ${issuer.url} could not be asked for its metadata: ${issuer.url}/.well-known/oauth-authorization-server is unreachable.`,
    });
    expect(counted.calls).toHaveLength(1);

    // Not hammered: within the delay, requests are answered from the failure without asking.
    await issuer.restart();
    for (let i = 0; i < 5; i++) expect(((await gate.authenticate(mcpRequest(token))) as Response).status).toBe(503);
    vi.setSystemTime(Date.now() + 4_000);
    const later = (await gate.authenticate(mcpRequest(token))) as Response;
    expect(later.headers.get('retry-after')).toBe('6');
    expect(counted.calls).toHaveLength(1);

    // Not wedged: after the delay it asks again, and the issuer, back, answers.
    vi.setSystemTime(Date.now() + 6_000);
    expect(await gate.authenticate(mcpRequest(token))).toMatchObject({ clientId: 'user-1' });
    expect(counted.calls).toEqual([
      `${issuer.url}/.well-known/oauth-authorization-server`,
      `${issuer.url}/.well-known/oauth-authorization-server`,
      issuer.jwksUrl,
    ]);
  });

  it('keeps verifying with the keys it has while the issuer cannot refresh them', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const issuer = await start();
    const counted = countingFetch();
    const gate = oauthGate({ issuer: issuer.url, audience: AUDIENCE, resourceUrl: RESOURCE, fetch: counted });
    expect(await gate.authenticate(mcpRequest(await issuer.issue({ aud: AUDIENCE })))).toMatchObject({
      clientId: 'user-1',
    });
    expect(counted.calls).toHaveLength(2);

    // Past jose's 10-minute cache the JWKS is due for a refresh, and the issuer answers 500.
    issuer.failWith = 500;
    vi.setSystemTime(Date.now() + 11 * 60_000);
    for (let i = 0; i < 3; i++) {
      expect(await gate.authenticate(mcpRequest(await issuer.issue({ aud: AUDIENCE })))).toMatchObject({
        clientId: 'user-1',
      });
    }
    // One attempt, then none within the retry delay.
    expect(counted.calls.slice(2)).toEqual([issuer.jwksUrl]);

    // A token naming a key it does not have cannot be judged without the issuer: 503, not 401.
    await issuer.rotate();
    const unknown = (await gate.authenticate(mcpRequest(await issuer.issue({ aud: AUDIENCE })))) as Response;
    expect(unknown.status).toBe(503);
    expect(((await unknown.json()) as { error_description: string }).error_description).toMatch(
      /could not be asked for its keys \(JWKS\): .*\/jwks answered HTTP 500/,
    );
  });
});
