import { createEmulator, type Emulator } from '@genimix/emulator';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, startFails, startHttpServer } from '../helpers/http-server.js';
import { type LocalIssuer, startLocalIssuer } from '../helpers/oauth-issuer.js';

// The built bin in --http mode with GENIMIX_MCP_OAUTH_ISSUER pointing at a local issuer,
// driven by the SDK's real client over Streamable HTTP. Needs `pnpm build`.

const API_KEY = 'sk_test_oauth_0123456789';
const AUDIENCE = 'https://genimix-mcp.example.test/mcp';

let issuer: LocalIssuer;
// The server needs an API to point at; list_models answers from its catalog without calling it.
let emulator: Emulator;
let server: HttpServer;
let mcpUrl: URL;

/** The environment every server here starts with: the emulator, and OAuth with the local issuer. */
function serverEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    GENIMIX_API_KEY: API_KEY,
    GENIMIX_PROJECT_ID: 'oauth',
    GENIMIX_BASE_URL: emulator.url,
    GENIMIX_MCP_OAUTH_ISSUER: issuer.url,
    GENIMIX_MCP_OAUTH_AUDIENCE: AUDIENCE,
    ...env,
  };
}

beforeAll(async () => {
  issuer = await startLocalIssuer();
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  server = await startHttpServer(serverEnv());
  mcpUrl = new URL(server.url);
});

afterAll(async () => {
  await server?.stop();
  await emulator?.close();
  await issuer?.close();
});

async function connect(token: string): Promise<Client> {
  const client = new Client({ name: 'genimix-oauth-test', version: '0.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

/** A JSON-RPC request to /mcp as a client sends it, with `headers` added. */
function postMcp(headers: Record<string, string> = {}): Promise<Response> {
  return fetch(mcpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
  });
}

describe('genimix-mcp --http with OAuth', () => {
  it('logs what protects it, never a token', () => {
    expect(server.stderr()).toContain(`auth: OAuth access tokens from ${issuer.url} for audience ${AUDIENCE}`);
  });

  it('serves a client with a valid token: tools listed, list_models called', async () => {
    const token = await issuer.issue({ aud: AUDIENCE, client_id: 'e2e-client', scope: 'mcp' });
    const client = await connect(token);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_models');
      const result = await client.callTool({ name: 'list_models', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain('dall-e-3');
    } finally {
      await client.close();
    }
    expect(server.stderr()).not.toContain(token);
  });

  it('refuses a request without a token with a challenge whose metadata names the issuer', async () => {
    const response = await postMcp();
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer error="invalid_token"/);
    const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    expect(metadataUrl).toBe(new URL('/.well-known/oauth-protected-resource/mcp', mcpUrl).href);

    // Fetched without a token, as a client discovering where to sign in does.
    for (const url of [metadataUrl!, new URL('/.well-known/oauth-protected-resource', mcpUrl).href]) {
      const metadata = await fetch(url);
      expect(metadata.status, url).toBe(200);
      expect(await metadata.json()).toMatchObject({ resource: mcpUrl.href, authorization_servers: [issuer.url] });
    }

    // The SDK's client, given no token, is refused too.
    const client = new Client({ name: 'genimix-oauth-test', version: '0.0.0' });
    await expect(client.connect(new StreamableHTTPClientTransport(mcpUrl))).rejects.toThrow();
  });

  it('refuses a token for another audience, without sending it back or logging it', async () => {
    const token = await issuer.issue({ aud: 'https://another-server.example.test/mcp' });
    const response = await postMcp({ authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate') ?? '';
    expect(challenge).toContain('not issued for this server');
    expect(challenge).toContain('resource_metadata="');
    const body = await response.text();
    for (const part of [token, ...token.split('.')]) {
      expect(body).not.toContain(part);
      expect(challenge).not.toContain(part);
    }
    await expect(connect(token)).rejects.toThrow();
    expect(server.stderr()).not.toContain(token);
  });
});

describe('genimix-mcp --http with bad OAuth settings', () => {
  it.each([
    [{ GENIMIX_MCP_OAUTH_ISSUER: 'http://auth.example.com' }, /GENIMIX_MCP_OAUTH_ISSUER must be an https:\/\/ URL/],
    [
      { GENIMIX_MCP_OAUTH_ISSUER: 'https://auth.example.com', GENIMIX_MCP_OAUTH_AUDIENCE: '' },
      /GENIMIX_MCP_OAUTH_AUDIENCE is not set/,
    ],
  ])('exits before listening, naming the variable (%o)', async (oauthEnv, message) => {
    const { code, stderr: output } = await startFails(serverEnv(oauthEnv));
    expect(code).not.toBe(0);
    expect(output).toMatch(message);
    expect(output).not.toContain('Streamable HTTP on');
  });
});
