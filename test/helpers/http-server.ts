/**
 * `genimix-mcp --http` as the tests see it: the built bin spawned on a free port, its URL read
 * from its start-up line on stderr, real MCP clients over Streamable HTTP, and raw `node:http`
 * requests for what `fetch` will not send (a forged Host header, a body cut short).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { Client, type FetchLike, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SERVER_BIN, type ToolResult } from '../../scripts/mcp-client.js';

/** A running `genimix-mcp --http`. */
export interface HttpServer {
  /** The MCP endpoint as the start-up line names it, e.g. `http://127.0.0.1:41234/mcp`. */
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves when stderr matches `pattern`; rejects if the process exits first. */
  waitForStderr(pattern: RegExp): Promise<void>;
  /** The exit code (or `null` when a signal ended it); settles once the process has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then waits for the exit; does nothing once exited. Resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** How to spawn the server: `args` after `--http --port 0`, its working folder. */
export interface SpawnOptions {
  args?: readonly string[];
  cwd?: string;
}

/** The start-up line's URL: `... over Streamable HTTP on http://127.0.0.1:41234/mcp; ...`. */
const URL_LINE = /Streamable HTTP on (http:\/\/\S+\/mcp);/;

function spawnBin(env: Record<string, string>, options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, [SERVER_BIN, '--http', '--port', '0', ...(options.args ?? [])], {
    // Nothing of the test runner's environment (a GENIMIX_* variable, a HOME) reaches the server
    // unless the test passes it.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

/**
 * Spawns `node mcp-server/dist/cli.js --http --port 0` with `env` (plus PATH only) and resolves
 * once its start-up line names its URL.
 * @throws when the process exits before it serves, with its stderr in the message
 */
export async function startHttpServer(env: Record<string, string>, options: SpawnOptions = {}): Promise<HttpServer> {
  const child = spawnBin(env, options);
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    for (const watcher of watchers) watcher();
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const watcher of watchers) watcher();
  });
  const waitForStderr = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(stderr)) {
          watchers.delete(check);
          resolve();
        } else if (hasExited) {
          watchers.delete(check);
          reject(new Error(`genimix-mcp exited before its stderr matched ${pattern}:\n${stderr}`));
        }
      };
      watchers.add(check);
      check();
    });
  await waitForStderr(URL_LINE);
  const url = URL_LINE.exec(stderr)![1]!;
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stderr: () => stderr,
    waitForStderr,
    exited,
    async stop() {
      if (!hasExited) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Spawns the server expecting it not to start: its exit code and output. */
export async function startFails(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const child = spawnBin(env, options);
  let stderr = '';
  let stdout = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const onStderr = () => {
    // A server that starts after all would keep the test waiting for ever: stop it.
    if (URL_LINE.test(stderr)) child.kill('SIGKILL');
  };
  child.stderr!.on('data', onStderr);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stderr, stdout };
}

/** An MCP client connected over Streamable HTTP. */
export interface HttpClient {
  client: Client;
  call(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}

/**
 * Connects the SDK's real `Client` to `url` with `StreamableHTTPClientTransport`, sending
 * `headers` on every request; `fetch` replaces the transport's fetch (to route or record).
 */
export async function connectHttpClient(
  url: string,
  options: { headers?: Record<string, string>; fetch?: FetchLike } = {},
): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const client = new Client({ name: 'genimix-http-test', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
    close: () => client.close(),
  };
}

/** A raw HTTP answer. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request with `node:http` to 127.0.0.1:`port`, which sends the headers as given (`fetch`
 * would replace a forged `Host`). The body is sent whole when given.
 */
export function rawRequest(
  port: number,
  request: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: request.method ?? 'GET',
        path: request.path ?? '/mcp',
        headers: request.headers ?? {},
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(request.body);
  });
}

/** The headers a Streamable HTTP client sends with a JSON-RPC POST. */
export const MCP_POST_HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/** A `tools/list` request, whole, as a stateless server takes it (no `initialize` needed). */
export const TOOLS_LIST = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

/**
 * POSTs `tools/list` to /mcp with node:http and `headers` (over {@link MCP_POST_HEADERS}; the
 * Host is `127.0.0.1:<port>` unless `headers.host` forges another).
 */
export function postToolsList(port: number, headers: Record<string, string> = {}): Promise<RawResponse> {
  return rawRequest(port, {
    method: 'POST',
    headers: { host: `127.0.0.1:${port}`, ...MCP_POST_HEADERS, ...headers },
    body: TOOLS_LIST,
  });
}

/** The JSON-RPC messages of a response body: plain JSON, or the `data:` lines of an SSE stream. */
export function messagesOf(body: string): any[] {
  const trimmed = body.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return [JSON.parse(trimmed)].flat();
  return trimmed
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trim())
    .filter(Boolean)
    .map((data) => JSON.parse(data));
}
