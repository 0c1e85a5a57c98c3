/**
 * One `genimix-mcp --http` process for bench/mcp-http-scale.ts: started on a given port of
 * 127.0.0.1, ready once `GET /healthz` answers, stopped with the signal the bench chooses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { isAlive, ROOT, supervise } from './lib.js';

/** The built server's command line (`pnpm build` makes it). */
export const MCP_CLI = path.join(ROOT, 'mcp-server', 'dist', 'cli.js');

/** How a stopped process ended. */
export interface Ending {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit, in ms. */
  ms: number;
}

/** A running `genimix-mcp --http`. */
export interface McpHttpProcess {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Sends `signal` and resolves when the process has exited (SIGKILL after `graceMs`, default 60 s). */
  stop(signal: 'SIGTERM' | 'SIGKILL', graceMs?: number): Promise<Ending>;
  /** The last 8 KiB of its stderr, for a report. */
  stderrTail(): string;
}

/**
 * Starts `node mcp-server/dist/cli.js --http --port <port>` with `env` added to this process's
 * environment; resolves once `GET /healthz` answers 200.
 *
 * @throws {Error} with the server's stderr when it exits first or is not healthy within 20 s
 */
export async function startMcpHttpProcess(port: number, env: Record<string, string>): Promise<McpHttpProcess> {
  const child = spawn(process.execPath, [MCP_CLI, '--http', '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const supervised = supervise(child);
  try {
    await waitHealthy(port, child, 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `genimix-mcp --http on port ${port}: ${(error as Error).message}\nits stderr:\n${supervised.stderr()}`,
    );
  }
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    pid: child.pid!,
    async stop(signal, graceMs = 60_000) {
      const started = performance.now();
      await supervised.stop(signal, graceMs);
      return { code: child.exitCode, signal: child.signalCode, ms: performance.now() - started };
    },
    stderrTail: supervised.stderr,
  };
}

/** Asks `GET /healthz` every 50 ms until it answers 200 (the server prints no machine-readable "ready"). */
async function waitHealthy(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isAlive(child))
      throw new Error(`exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was healthy`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      if (response.ok) return;
      last = `GET /healthz answered ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not healthy within ${timeoutMs} ms (${last})`);
}
