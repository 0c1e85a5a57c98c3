import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_BIN } from '../../scripts/mcp-client.js';
import { startLocalIssuer } from '../helpers/oauth-issuer.js';

// genimix-mcp --http under hostile or odd requests, through the built bin (needs `pnpm build`):
// raw sockets for what an HTTP client would not send, real signals for the drain.

const API_KEY = 'sk_test_hostile_0123456789';
const TOKEN = 'tok_hostile_0123456789abcdef';
const LIST_TOOLS = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });

interface RunningServer {
  child: ChildProcess;
  url: URL;
  port: number;
  stderr(): string;
}

let emulator: Emulator;
const started: ChildProcess[] = [];

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
});

afterAll(async () => {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
  await emulator?.close();
});

function spawnServer(env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [SERVER_BIN, '--http', '--port', '0', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      GENIMIX_API_KEY: API_KEY,
      GENIMIX_PROJECT_ID: 'hostile',
      GENIMIX_BASE_URL: emulator.url,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  return child;
}

/** The built bin in --http mode, once its start line names the endpoint. */
async function startServer(env: Record<string, string>, args: string[] = []): Promise<RunningServer> {
  const child = spawnServer(env, args);
  let stderr = '';
  const url = await new Promise<URL>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const found = /Streamable HTTP on (http:\/\/\S+\/mcp);/.exec(stderr);
      if (found?.[1]) resolve(new URL(found[1]));
    });
    child.once('exit', (code) => reject(new Error(`genimix-mcp exited (${code}) before listening:\n${stderr}`)));
  });
  return { child, url, port: Number(url.port), stderr: () => stderr };
}

/**
 * Sends `request` as is on a new connection and reads until the server closes it. Ask for
 * `Connection: close` in `request` so that it does.
 */
function rawExchange(port: number, request: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.write(request);
  });
}

/** A POST of tools/list to /mcp as raw text, with `lines` (header lines) and `Connection: close`. */
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
  let server: RunningServer;
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
});
