import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpServer, startFails, startHttpServer } from '../helpers/http-server.js';
import { startLocalIssuer } from '../helpers/oauth-issuer.js';

// genimix-mcp --http under hostile or odd requests, through the built bin (needs `pnpm build`):
// raw sockets for what an HTTP client would not send, real signals for the drain.

const API_KEY = 'sk_test_hostile_0123456789';
const TOKEN = 'tok_hostile_0123456789abcdef';
const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

let emulator: Emulator;
const started: HttpServer[] = [];

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
});

afterAll(async () => {
  await Promise.allSettled(started.map((server) => server.stop()));
  await emulator?.close();
});

/** The environment every server here starts with: a key the emulator takes. */
function serverEnv(env: Record<string, string>): Record<string, string> {
  return { GENIMIX_API_KEY: API_KEY, GENIMIX_PROJECT_ID: 'hostile', GENIMIX_BASE_URL: emulator.url, ...env };
}

/** The built bin in --http mode, once its start line names the endpoint. */
async function startServer(env: Record<string, string>, args: string[] = []): Promise<HttpServer> {
  const server = await startHttpServer(serverEnv(env), { args });
  started.push(server);
  return server;
}

/** Runs the bin expecting it to fail at start: its exit code and stderr. */
function failedStart(env: Record<string, string>, args: string[]) {
  return startFails(serverEnv(env), { args });
}

/**
 * Sends `request` as is on a new connection and reads the whole response (by its Content-Length,
 * its last chunk, or the server's close), then closes the connection.
 */
function rawExchange(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const done = () => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end));
      if (length ? text.length - end - 4 >= Number(length[1]) : text.endsWith('\r\n0\r\n\r\n')) done();
    });
    socket.on('error', reject);
    socket.on('close', done);
    socket.write(request);
  });
}

/** A POST of tools/list to /mcp as raw text, with `lines` (header lines). */
function rawPost(target: string, lines: string[]): string {
  return [
    `POST ${target} HTTP/1.1`,
    ...lines,
    'Content-Type: application/json',
    'Accept: application/json, text/event-stream',
    `Content-Length: ${Buffer.byteLength(LIST_TOOLS)}`,
    'Connection: close',
    '',
    LIST_TOOLS,
  ].join('\r\n');
}

describe('genimix-mcp --http, request targets and Host headers', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await startServer({ GENIMIX_MCP_TOKENS: TOKEN });
  });

  it('serves a request whose target is in absolute form, and checks the host it names', async () => {
    // RFC 9112 §3.2.2: a server must accept the absolute form (what a client configured with a proxy sends).
    const request = (target: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: target,
            headers: {
              authorization: `Bearer ${TOKEN}`,
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
            },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(LIST_TOOLS);
      });

    const own = await request(`http://127.0.0.1:${server.port}/mcp`);
    expect(own.status).toBe(200);
    expect(own.body).toContain('generate_image');
    // The target's host is the one the request is for: a name not accepted is refused as a Host would be.
    const other = await request(`http://evil.example:${server.port}/mcp`);
    expect(other.status).toBe(403);
    expect(other.body).not.toContain('generate_image');
    // Logged for the operator, as a refused Host header is (and awaited, so that the next test's
    // view of stderr starts after it).
    await server.waitForStderr(/refused a request for Host "evil\.example:\d+"/);
    expect(server.stderr()).not.toMatch(/Failed to parse URL|Internal/);
  });

  it.each([
    ['with user info', ['Host: evil.example@localhost']],
    ['with a path', ['Host: localhost/.evil.example']],
    ['with a fragment', ['Host: localhost#.evil.example']],
    ['with a backslash', ['Host: localhost\\.evil.example']],
    ['given twice', ['Host: localhost', 'Host: evil.example']],
  ])('answers 400 to a Host header %s, before auth, without logging it', async (_name, lines) => {
    const before = server.stderr();
    const { status, text } = await rawExchange(
      server.port,
      rawPost('/mcp', [...lines, `Authorization: Bearer ${TOKEN}`]),
    );
    expect(status).toBe(400);
    expect(text).toMatch(/Host/);
    expect(text).not.toContain('generate_image');
    expect(server.stderr()).toBe(before);
  });

  it.each([
    ['without a token (401)', [], 401],
    ['with a Host not accepted (403)', [`Authorization: Bearer ${TOKEN}`], 403],
    ['declaring more than the limit (413)', [`Authorization: Bearer ${TOKEN}`], 413],
  ])('closes the connection of a refused request %s instead of reading its body', async (name, lines, status) => {
    // A client refused before its body is read could otherwise stream gigabytes into the
    // server, which reads and discards them to keep the connection alive.
    const declared = status === 413 ? 1024 * 1024 * 1024 : 256 * 1024 * 1024;
    const host = status === 403 ? 'evil.example' : `127.0.0.1:${server.port}`;
    const socket = net.connect(server.port, '127.0.0.1');
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    // Not once(): it would reject with the write error (EPIPE) that the server's close causes.
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      [
        'POST /mcp HTTP/1.1',
        `Host: ${host}`,
        ...lines,
        'Content-Type: application/json',
        `Content-Length: ${declared}`,
        '',
        '',
      ].join('\r\n'),
    );
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let written = 0;
    // Write until the server closes, or until far more than socket buffers hold.
    while (!socket.destroyed && written < 64 * 1024 * 1024) {
      written += chunk.length;
      if (!socket.write(chunk)) await Promise.race([once(socket, 'drain').catch(() => {}), closed]);
    }
    const stillOpen = !socket.destroyed;
    socket.destroy();
    await closed;
    expect(stillOpen, `${name}: the server kept reading ${written} bytes`).toBe(false);
    if (head) expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    // The server is fine, and serves the next client.
    const next = await rawExchange(
      server.port,
      rawPost('/mcp', [`Host: 127.0.0.1:${server.port}`, `Authorization: Bearer ${TOKEN}`]),
    );
    expect(next.status).toBe(200);
  });

  it.each([
    ['25,000 array elements', `{"a":[0${',0'.repeat(25_000)}]}`],
    ['arrays nested 25,000 deep', `{"a":${'['.repeat(25_000)}${']'.repeat(25_000)}}`],
  ])('refuses a message of %s before parsing it, and serves the next', async (_name, args) => {
    // Each member or element costs the SDK's schema checks some microseconds with the event loop
    // blocked: 2 million of them held the process for a minute, for every client. (Bodies under
    // 64 KiB, so that the refusal keeps the connection and the client reads it.)
    const call = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_models","arguments":${args}}}`;
    const headers = {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const refused = await fetch(server.url, { method: 'POST', headers, body: call });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/more than 20000 members and elements/);
    const next = await fetch(server.url, { method: 'POST', headers, body: LIST_TOOLS });
    expect(next.status).toBe(200);
    expect(await next.text()).toContain('generate_image');
  });
});

describe('genimix-mcp --http, drain', () => {
  it('answers a request still being authenticated when SIGTERM arrives, rather than dropping it', async () => {
    const issuer = await startLocalIssuer();
    const audience = 'https://genimix-mcp.example.test/mcp';
    try {
      const server = await startServer({
        GENIMIX_MCP_OAUTH_ISSUER: issuer.url,
        GENIMIX_MCP_OAUTH_AUDIENCE: audience,
        GENIMIX_MCP_DRAIN_MS: '20000',
      });
      const token = await issuer.issue({ aud: audience });
      const hold = issuer.holdKeys();
      const answer = fetch(server.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: LIST_TOOLS,
      }).then(
        async (response) => ({ status: response.status, body: await response.text() }),
        (error: Error) => ({ status: 0, body: String((error.cause as Error | undefined)?.message ?? error) }),
      );
      // The token's check waits on the issuer's keys: the request has arrived, and is in flight.
      await hold.asked;
      const exited = once(server.child, 'exit');
      const draining = new Promise<void>((resolve) => {
        const check = () => (server.stderr().includes('SIGTERM: draining') ? resolve() : undefined);
        server.child.stderr?.on('data', check);
        check();
      });
      server.child.kill('SIGTERM');
      await draining;
      hold.release();
      const { status, body } = await answer;
      expect(status, body).toBe(200);
      expect(body).toContain('generate_image');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(server.stderr()).toContain('SIGTERM: draining 1 request(s) in flight');
    } finally {
      await issuer.close();
    }
  });
  it('lets a 2026 client open no subscriptions/listen stream that would hold the drain open', async () => {
    // The tools and resources never change, so there is nothing to listen to: a stream honoured
    // for "list changed" would stay open until the drain's time is up, and be cut then.
    const server = await startServer({ GENIMIX_MCP_TOKENS: TOKEN, GENIMIX_MCP_DRAIN_MS: '20000' });
    const client = new Client(
      { name: 'genimix-hostile-test', version: '0.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(server.url), {
        requestInit: { headers: { Authorization: `Bearer ${TOKEN}` } },
      }),
    );
    try {
      const subscription = await client.listen({ toolsListChanged: true, resourcesListChanged: true });
      expect(subscription.honoredFilter).toEqual({});
      expect(await subscription.closed).toBe('graceful');

      const exited = once(server.child, 'exit');
      server.child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      expect(server.stderr()).toContain('SIGTERM: draining 0 request(s) in flight');
      expect(server.stderr()).not.toContain('drain time');
    } finally {
      await client.close();
    }
  });
});

describe('genimix-mcp --http, where it listens', () => {
  it('says which flag to change when the port is in use, and exits 1', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const { code, stderr } = await failedStart({}, ['--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`--port ${port}`);
      expect(stderr).toMatch(/in use/);
      expect(stderr).toMatch(/--port 0/);
      expect(stderr).not.toContain('Error: listen');
    } finally {
      taken.close();
    }
  });

  it('says which flag to change when the address is not one of this machine, and exits 1', async () => {
    // 192.0.2.0/24 is reserved for documentation (RFC 5737): no machine has it.
    const { code, stderr } = await failedStart({ GENIMIX_MCP_TOKENS: TOKEN }, ['--host', '192.0.2.1']);
    expect(code).toBe(1);
    expect(stderr).toContain('--host 192.0.2.1');
    expect(stderr).toMatch(/not an address of this machine/);
    expect(stderr).not.toContain(TOKEN);
  });

  it('takes an IPv6 address in brackets, as URLs write it', async () => {
    const server = await startServer({}, ['--host', '[::1]']);
    expect(new URL(server.url).hostname).toBe('[::1]');
    const response = await fetch(new URL('/healthz', server.url));
    expect(response.status).toBe(200);
  });
});
