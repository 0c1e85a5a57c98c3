import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../../scripts/mcp-client.js';
import {
  connectHttpClient,
  type HttpServer,
  messagesOf,
  postToolsList,
  rawRequest,
  startFails,
  startHttpServer,
} from '../helpers/http-server.js';
import { echoedForms } from '../helpers/secret-forms.js';

/**
 * Safe by default: loopback only unless told otherwise and then only with auth; Host and Origin
 * checked on every request (DNS rebinding, foreign pages); bearer tokens that never show.
 * No test here reaches Genimix: the base URL is a port nothing listens on.
 */
const BASE_ENV = {
  GENIMIX_API_KEY: 'sk_test_http_security_0123456789',
  GENIMIX_PROJECT_ID: 'security',
  GENIMIX_BASE_URL: 'http://127.0.0.1:9',
};
const TOKEN_A = 'tok-A_0123456789abcdef0123456789';
const TOKEN_B = 'tok-B_fedcba9876543210fedcba9876';

const started: HttpServer[] = [];
afterAll(() => Promise.allSettled(started.map((s) => s.stop())));

async function start(env: Record<string, string> = {}, args: string[] = []): Promise<HttpServer> {
  const server = await startHttpServer({ ...BASE_ENV, ...env }, { args });
  started.push(server);
  return server;
}

/** True when a TCP connection to `host`:`port` is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** This machine's addresses other than 127.0.0.1: where a server bound to 0.0.0.0 is reachable too. */
function otherAddresses(): string[] {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .filter((i) => i && i.family === 'IPv4' && !i.internal)
    .map((i) => i!.address);
  // On Linux all of 127/8 reaches a 0.0.0.0 socket, and none of it but 127.0.0.1 a 127.0.0.1 one.
  return [...external, ...(process.platform === 'linux' ? ['127.0.0.2'] : [])];
}

describe('where it listens', () => {
  it('binds 127.0.0.1 by default: the printed URL says so, and the port is closed on every other address of the machine', async () => {
    // The control: a server on 0.0.0.0 is reachable on these addresses, so the probe can see a wrong bind.
    const wildcard = await start({ GENIMIX_MCP_TOKENS: TOKEN_A }, ['--host', '0.0.0.0']);
    expect(wildcard.url).toBe(`http://0.0.0.0:${wildcard.port}/mcp`);
    const reachable: string[] = [];
    for (const address of otherAddresses()) if (await accepts(address, wildcard.port)) reachable.push(address);
    expect(reachable.length, 'no address besides 127.0.0.1 to probe').toBeGreaterThan(0);

    const server = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/mcp`);
    expect(server.stderr()).toContain('auth: none (loopback only)');
    expect(await accepts('127.0.0.1', server.port)).toBe(true);
    for (const address of reachable) expect(await accepts(address, server.port), address).toBe(false);
  });

  it('--host 0.0.0.0 without GENIMIX_MCP_TOKENS refuses to start, naming GENIMIX_MCP_TOKENS', async () => {
    const { code, stderr, stdout } = await startFails(BASE_ENV, { args: ['--host', '0.0.0.0'] });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^genimix-mcp: --host 0\.0\.0\.0 is reachable from other machines/);
    expect(stderr).toContain('GENIMIX_MCP_TOKENS');
    expect(stdout).toBe('');
  });

  it.each([
    [
      'a public URL of another machine (a reverse proxy forwards to it)',
      { GENIMIX_MCP_PUBLIC_URL: 'https://mcp.example.com/mcp' },
      /^genimix-mcp: GENIMIX_MCP_PUBLIC_URL names mcp\.example\.com: other machines reach this server through a proxy there, .*GENIMIX_MCP_TOKENS.*unset GENIMIX_MCP_PUBLIC_URL/,
    ],
    [
      'an allowed host of another machine',
      { GENIMIX_MCP_ALLOWED_HOSTS: 'localhost,mcp.internal.example' },
      /^genimix-mcp: GENIMIX_MCP_ALLOWED_HOSTS names mcp\.internal\.example: .*GENIMIX_MCP_TOKENS/,
    ],
    [
      'GENIMIX_MCP_TOKEN (the clients’ variable) without GENIMIX_MCP_TOKENS',
      { GENIMIX_MCP_TOKEN: TOKEN_A },
      /^genimix-mcp: GENIMIX_MCP_TOKEN is set, but the server reads its tokens from GENIMIX_MCP_TOKENS/,
    ],
  ])('on 127.0.0.1 without auth, refuses to start with %s', async (_name, env, expected) => {
    const { code, stderr, stdout } = await startFails({ ...BASE_ENV, ...env });
    expect(code).toBe(1);
    expect(stderr).toMatch(expected);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).not.toContain(TOKEN_A.slice(6));
    expect(stdout).toBe('');
  });

  it('on 127.0.0.1 without auth, starts with a public URL or allowed hosts of this machine only', async () => {
    const server = await start({
      GENIMIX_MCP_PUBLIC_URL: 'http://localhost:8080/mcp',
      GENIMIX_MCP_ALLOWED_HOSTS: '127.0.0.5,[::1]',
    });
    expect(server.stderr()).toContain('auth: none (loopback only)');
  });

  it('--host 0.0.0.0 with GENIMIX_MCP_TOKENS starts, and /mcp takes only a token', async () => {
    const server = await start({ GENIMIX_MCP_TOKENS: TOKEN_A }, ['--host', '0.0.0.0']);
    expect(server.stderr()).toContain('auth: 1 bearer token (GENIMIX_MCP_TOKENS)');
    expect((await postToolsList(server.port)).status).toBe(401);
    expect((await postToolsList(server.port, { authorization: `Bearer ${TOKEN_A}` })).status).toBe(200);
  });
});

describe('Host and Origin: checked on every request', () => {
  let plain: HttpServer;
  beforeAll(async () => {
    plain = await start();
  });

  it.each([
    ['POST /mcp', (port: number, headers: Record<string, string>) => postToolsList(port, headers)],
    [
      'OPTIONS /mcp (a CORS preflight)',
      (port: number, headers: Record<string, string>) =>
        rawRequest(port, { method: 'OPTIONS', headers: { host: `127.0.0.1:${port}`, ...headers } }),
    ],
  ])('%s: 403 for a foreign Host (DNS rebinding) or a foreign Origin', async (_name, send) => {
    const server = plain;
    const foreign: Array<Record<string, string>> = [
      { host: 'evil.example' },
      { host: `evil.example:${server.port}` },
      { host: `localhost.evil.example:${server.port}` },
      { origin: 'https://evil.example' },
      { origin: `http://evil.example:${server.port}` },
      { origin: 'null' },
    ];
    for (const headers of foreign) {
      const answer = await send(server.port, headers);
      expect(answer.status, JSON.stringify(headers)).toBe(403);
      expect(answer.headers['access-control-allow-origin'], JSON.stringify(headers)).toBeUndefined();
      const [message] = messagesOf(answer.body);
      expect(message.error.message).toMatch(/^Invalid (Host|Origin)/);
      // The refusal names the setting that would admit the request.
      expect(message.error.message).toMatch(
        headers.host ? /GENIMIX_MCP_PUBLIC_URL.*GENIMIX_MCP_ALLOWED_HOSTS/ : /GENIMIX_MCP_ALLOWED_ORIGINS/,
      );
    }
  });

  it('logs each refused Host or Origin once, quoted, with the fix', async () => {
    const server = await start();
    for (let i = 0; i < 3; i++) await postToolsList(server.port, { host: 'proxy.example.com' });
    await postToolsList(server.port, { origin: 'https://page.example' });
    await postToolsList(server.port, { origin: 'https://page.example' });
    const lines = server.stderr().split('\n');
    const refusedHost = lines.filter((l) => l.includes('refused a request for Host'));
    expect(refusedHost).toHaveLength(1);
    expect(refusedHost[0]).toContain('"proxy.example.com"');
    expect(refusedHost[0]).toContain('GENIMIX_MCP_PUBLIC_URL');
    const refusedOrigin = lines.filter((l) => l.includes('refused a request for Origin'));
    expect(refusedOrigin).toEqual([expect.stringContaining('"https://page.example"')]);
    expect(refusedOrigin[0]).toContain('GENIMIX_MCP_ALLOWED_ORIGINS');
  });

  it('GET /healthz answers whatever Host and Origin a probe sends (Kubernetes names the pod IP), with no CORS header', async () => {
    for (const headers of [
      { host: '10.1.2.3:3000' } as Record<string, string>,
      { host: 'evil.example' },
      { host: `127.0.0.1:${plain.port}`, origin: 'https://evil.example' },
    ]) {
      const answer = await rawRequest(plain.port, { path: '/healthz', headers });
      expect(answer.status, JSON.stringify(headers)).toBe(200);
      expect(JSON.parse(answer.body)).toEqual({ status: 'ok', version: expect.any(String) });
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('a localhost page (the MCP Inspector) is allowed, its Origin echoed in Access-Control-Allow-Origin, never *', async () => {
    const server = plain;
    for (const origin of ['http://localhost:6274', `http://127.0.0.1:${server.port}`]) {
      const answer = await postToolsList(server.port, { origin });
      expect(answer.status, origin).toBe(200);
      expect(answer.headers['access-control-allow-origin']).toBe(origin);
      expect(messagesOf(answer.body)[0].result.tools.length).toBeGreaterThan(0);
      const preflight = await rawRequest(server.port, {
        method: 'OPTIONS',
        headers: { host: `127.0.0.1:${server.port}`, origin, 'access-control-request-method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(origin);
    }
    // No Origin (every client that is not a browser page): no CORS header at all.
    const noOrigin = await postToolsList(server.port);
    expect(noOrigin.status).toBe(200);
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('GENIMIX_MCP_ALLOWED_HOSTS and GENIMIX_MCP_PUBLIC_URL add a Host; without them it is refused', async () => {
    // Hosts of other machines come with auth (a proxy there makes the endpoint public).
    const configured = await start({
      GENIMIX_MCP_ALLOWED_HOSTS: 'mcp.internal.example',
      GENIMIX_MCP_PUBLIC_URL: 'https://mcp.example.com/mcp',
      GENIMIX_MCP_TOKENS: TOKEN_A,
    });
    const authorization = `Bearer ${TOKEN_A}`;
    for (const host of ['mcp.internal.example', 'mcp.example.com', `mcp.example.com:${configured.port}`]) {
      expect((await postToolsList(plain.port, { host })).status, `${host} by default`).toBe(403);
      expect((await postToolsList(configured.port, { host, authorization })).status, `${host} when configured`).toBe(
        200,
      );
    }
    // Adding hosts does not open the door to others.
    expect((await postToolsList(configured.port, { host: 'evil.example', authorization })).status).toBe(403);
    // The public URL's host is a browser origin it accepts too.
    const fromPublic = await postToolsList(configured.port, { origin: 'https://mcp.example.com', authorization });
    expect(fromPublic.status).toBe(200);
    expect(fromPublic.headers['access-control-allow-origin']).toBe('https://mcp.example.com');
  });
});

describe('bearer tokens (GENIMIX_MCP_TOKENS)', () => {
  it('401 with WWW-Authenticate: Bearer without a token or with a wrong one; each configured token works with a real client', async () => {
    const server = await start({ GENIMIX_MCP_TOKENS: ` ${TOKEN_A} , ${TOKEN_B} ` });
    expect(server.stderr()).toContain('auth: 2 bearer tokens (GENIMIX_MCP_TOKENS)');
    for (const authorization of [
      undefined,
      '',
      'Bearer ',
      `Bearer ${TOKEN_A.slice(0, -1)}`,
      `Bearer ${TOKEN_A}x`,
      `Bearer ${TOKEN_A.toUpperCase()}`,
      `Bearer ${TOKEN_B.slice(0, 8)}${TOKEN_A.slice(8)}`,
      `Basic ${Buffer.from(`user:${TOKEN_A}`).toString('base64')}`,
      TOKEN_A,
    ]) {
      const answer = await postToolsList(server.port, authorization === undefined ? {} : { authorization });
      expect(answer.status, String(authorization)).toBe(401);
      expect(answer.headers['www-authenticate'], String(authorization)).toMatch(/^Bearer\b/);
      // The refusal never echoes what was presented.
      expect(answer.body).not.toContain(TOKEN_A.slice(6));
    }
    for (const token of [TOKEN_A, TOKEN_B]) {
      const mcp = await connectHttpClient(server.url, { headers: { authorization: `Bearer ${token}` } });
      try {
        const result = await mcp.call('list_models', {});
        expect(result.isError, textOf(result)).toBeFalsy();
      } finally {
        await mcp.close();
      }
    }
    // A real client without the token cannot connect.
    await expect(connectHttpClient(server.url)).rejects.toThrow();
    for (const token of [TOKEN_A, TOKEN_B]) {
      for (const [form, text] of echoedForms(token)) expect(server.stderr(), form).not.toContain(text);
    }
  });
});

describe('start-up errors: one clear line naming what to fix, exit 1, nothing on stdout', () => {
  it('without GENIMIX_API_KEY, names it and the other way: each client bringing its own key', async () => {
    const { code, stderr, stdout } = await startFails({ GENIMIX_PROJECT_ID: 'security' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^genimix-mcp: GENIMIX_API_KEY is not set: .*or set GENIMIX_CLIENT_KEYS=allow/);
    expect(stdout).toBe('');
  });

  it.each([
    ['a short token', { GENIMIX_MCP_TOKENS: 'short-secret-1' }, [], /GENIMIX_MCP_TOKENS: token #1 must be at least 16/],
    [
      'a short second token',
      { GENIMIX_MCP_TOKENS: `${TOKEN_A},short-secret-1` },
      [],
      /GENIMIX_MCP_TOKENS: token #2 must be at least 16/,
    ],
    [
      'a token with a space',
      { GENIMIX_MCP_TOKENS: 'short secret with spaces 1' },
      [],
      /GENIMIX_MCP_TOKENS: token #1 .*without spaces/,
    ],
    ['--port abc', {}, ['--port', 'abc'], /--port must be a TCP port from 0 to 65535.*got "abc"/],
    ['--port 70000', {}, ['--port', '70000'], /--port must be a TCP port from 0 to 65535.*got "70000"/],
    ['GENIMIX_CLIENT_KEYS=yes', { GENIMIX_CLIENT_KEYS: 'yes' }, [], /GENIMIX_CLIENT_KEYS must be "allow".*got "yes"/],
    [
      'both auth modes',
      { GENIMIX_MCP_TOKENS: TOKEN_A, GENIMIX_MCP_OAUTH_ISSUER: 'https://auth.example.com' },
      [],
      /GENIMIX_MCP_TOKENS and GENIMIX_MCP_OAUTH_ISSUER are both set: choose one/,
    ],
  ] as Array<[string, Record<string, string>, string[], RegExp]>)('%s', async (_name, env, args, expected) => {
    const { code, stderr, stdout } = await startFails({ ...BASE_ENV, ...env }, { args });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^genimix-mcp: /);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(expected);
    expect(stdout).toBe('');
    // A token refused at start is not printed, in any form.
    for (const token of (env.GENIMIX_MCP_TOKENS ?? '').split(',')) {
      for (const [form, text] of echoedForms(token.trim()))
        if (text.length >= 8) expect(stderr, form).not.toContain(text);
    }
  });
});
