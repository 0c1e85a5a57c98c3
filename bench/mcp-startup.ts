/**
 * How fast the MCP server starts, against a minimal one-tool server on the same SDK: the time
 * from spawning `node <script>` to the answer of `tools/list` (after `initialize`), over a raw
 * JSON-RPC exchange on stdin/stdout, one process per run, runs alternating between the two.
 *
 *   pnpm bench:startup [--runs N]     (N per server, default 21, at least 11)
 *
 * The Genimix server is the published form: mcp-server's built dist/ packed with pnpm and
 * installed alone with npm into a temporary folder (as test/mcp/packed.test.ts does); the bench
 * builds nothing (`pnpm bench:startup` builds first). The baseline, bench/minimal-mcp-server.mjs,
 * runs from the workspace's node_modules. Prints medians, p90 and bundle/minimal; exits 1 when
 * the bundle's median is above the minimal server's.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { installPackedServer } from '../scripts/packed-mcp-server.js';
import { fixed, makeTempDir, quantile, ROOT, runBench, table } from './lib.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 11) throw new Error('--runs must be a whole number of at least 11');

/** One server to start: a script run by this Node, with an environment. */
interface Contender {
  name: string;
  script: string;
  env: Record<string, string>;
  times: number[];
}

const messages = [
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
  },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
];

/**
 * Spawns the server, sends `initialize`, then (on its answer) `notifications/initialized` and
 * `tools/list`; resolves with the ms from spawn to the `tools/list` answer, and ends the process.
 */
function timeToToolsList(contender: Contender): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, [contender.script], {
      env: { PATH: process.env.PATH ?? '', ...contender.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let buffered = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`${contender.name} exited (${code}) before answering:\n${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const message = JSON.parse(buffered.slice(0, newline)) as { id?: number; error?: unknown };
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (message.error) reject(new Error(`${contender.name}: ${JSON.stringify(message.error)}`));
        if (message.id === 1) child.stdin.write(`${JSON.stringify(messages[1])}\n${JSON.stringify(messages[2])}\n`);
        if (message.id === 2) {
          const elapsed = performance.now() - start;
          child.removeAllListeners('exit');
          child.once('exit', () => resolve(elapsed));
          child.stdin.end();
        }
      }
    });
    child.stdin.write(`${JSON.stringify(messages[0])}\n`);
  });
}

async function main(): Promise<number> {
  const installed = await installPackedServer();
  const outputDir = path.join(makeTempDir('genimix-bench-startup-'), 'out');
  const bundle: Contender = {
    name: '@genimix/mcp-server (packed, installed)',
    script: path.join(installed.packageDir, 'bin', 'genimix-mcp.js'),
    env: {
      GENIMIX_API_KEY: 'sk_bench_0123456789',
      GENIMIX_PROJECT_ID: 'bench',
      GENIMIX_BASE_URL: 'http://127.0.0.1:9',
      GENIMIX_OUTPUT_DIR: outputDir,
    },
    times: [],
  };
  const minimal: Contender = {
    name: 'minimal one-tool server (SDK 2.x)',
    script: path.join(ROOT, 'bench', 'minimal-mcp-server.mjs'),
    env: {},
    times: [],
  };
  try {
    process.stdout.write(
      `spawn → tools/list, ${RUNS} runs each, alternating; Node ${process.version}; tarball ${(installed.tarballBytes / 1024).toFixed(0)} KB\n`,
    );
    // One unmeasured start each: the first reads every file from disk into the page cache.
    await timeToToolsList(bundle);
    await timeToToolsList(minimal);
    for (let run = 0; run < RUNS; run++) {
      const order = run % 2 === 0 ? [bundle, minimal] : [minimal, bundle];
      for (const contender of order) contender.times.push(await timeToToolsList(contender));
    }
  } finally {
    await installed.remove();
  }
  const stats = [bundle, minimal].map((c) => {
    const sorted = [...c.times].sort((a, b) => a - b);
    return { name: c.name, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0]! };
  });
  process.stdout.write(
    `${table(
      ['server', 'median ms', 'p90 ms', 'min ms'],
      stats.map((s) => [s.name, fixed(s.median), fixed(s.p90), fixed(s.min)]),
    )}\n`,
  );
  const ratio = stats[0]!.median / stats[1]!.median;
  process.stdout.write(`bundle/minimal (medians): ${fixed(ratio, 2)}\n`);
  if (ratio > 1) {
    process.stdout.write('FAIL: the bundled server starts slower than the minimal one\n');
    return 1;
  }
  return 0;
}

runBench(main, async () => {});
