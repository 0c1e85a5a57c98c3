/**
 * Load: 1,000 requests of each operation, at most 50 in flight, through @genimix/core and through
 * raw `undici.request` against the same emulator in the same run (issue 4, point 7).
 *
 *   npx tsx bench/load.ts [--requests 1000] [--concurrency 50] [--rounds 7] [--generate-rounds 2] [--warmup 1000]
 *
 * Fairness: the emulator runs in its own process (`--no-log`, images in memory). Both sides warm
 * up first (1,000 requests per operation and side by default, so that the JIT has settled); then
 * each operation runs `--rounds` times per side (Generate `--generate-rounds`: the emulator
 * renders every image, some 25 s per run), the order alternating (client first, then raw first,
 * and the starting side alternating per operation too); a round runs both sides back to back,
 * and the ratio is the median of the rounds' ratios: a burst of load from other processes on the
 * shared 2-core machine then hits both runs of a round alike, or moves one round only. No GC
 * is forced between runs: a full GC before every 1,000-request run (some 0.1 s of work) made both
 * sides pay 20–40 µs more per request, the more allocating client the more, which no long-running
 * process sees; GC runs as it comes, and its cost is in both sides' figures.
 *
 * Raw side: one undici `Agent` with the client's default settings (transports/undici.ts:
 * keep-alive, keepAliveTimeout 10 s, keepAliveMaxTimeout 60 s), the same headers, every body
 * read (JSON parsed, image bytes taken whole), the status checked.
 *
 * Exit code 1 when any client/raw throughput ratio is below 0.8 or any request failed.
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { GenimixClient } from '@genimix/core';
import {
  describeCore,
  type EmulatorProcess,
  fixed,
  loadUndici,
  median,
  quantile,
  runBench,
  sleep,
  startEmulator,
  table,
} from './lib.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '7' },
    'generate-rounds': { type: 'string', default: '2' },
    warmup: { type: 'string', default: '1000' },
  },
});
const N = wholeArg('requests', 1);
const CONCURRENCY = wholeArg('concurrency', 1);
const ROUNDS = wholeArg('rounds', 1);
const GENERATE_ROUNDS = wholeArg('generate-rounds', 1);
const WARMUP = wholeArg('warmup', 0);
const MIN_RATIO = 0.8;
const API_KEY = 'bench-key';
const PROJECT = 'bench';
const MODEL = { provider: 'google', modelId: 'imagen-3.0-generate-002' } as const;
/** The smallest valid PNG (1×1), as test/helpers/images.ts has it. */
const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

function wholeArg(name: 'requests' | 'concurrency' | 'rounds' | 'generate-rounds' | 'warmup', min: number): number {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
  return value;
}

const OPERATIONS = ['generate', 'upload', 'get', 'delete'] as const;
type Operation = (typeof OPERATIONS)[number];
const SIDES = ['client', 'raw'] as const;
type Side = (typeof SIDES)[number];
/** Sends one request of an operation for image `id` (the prompt varies with `i`, the same on both sides). */
type Send = (id: string, i: number) => Promise<void>;

const { undici, path: undiciPath, version: undiciVersion } = loadUndici();
let emulator: EmulatorProcess | undefined;
let agent: InstanceType<typeof undici.Agent> | undefined;

interface Run {
  wallMs: number;
  /** This process's CPU time (user + system) over the run, in ms: the cost on the client's side. */
  cpuMs: number;
  latencies: Float64Array;
  errors: number;
  firstError: unknown;
}

/** `n` tasks with at most `concurrency` in flight: a pool of workers taking the next index. */
async function runPool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<Run> {
  const latencies = new Float64Array(n);
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const started = performance.now();
      try {
        await task(i);
      } catch (error) {
        errors++;
        firstError ??= error;
      }
      latencies[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  const used = process.cpuUsage(cpu);
  return {
    wallMs: performance.now() - started,
    cpuMs: (used.user + used.system) / 1000,
    latencies,
    errors,
    firstError,
  };
}

const throughput = (run: Run) => run.latencies.length / (run.wallMs / 1000);

/** The 1-minute load average and what it says about the figures (the bench itself adds about 2). */
function machineLoad(when: string): string {
  const load = loadavg()[0]!;
  const cpus = availableParallelism();
  return `machine ${when}: load average ${fixed(load, 2)} on ${cpus} CPUs`;
}

async function main(): Promise<number> {
  const idle = loadavg()[0]!;
  console.log(machineLoad('before start'));
  if (idle >= 1)
    console.log(
      '  WARNING: other processes are using the CPUs: throughput figures and ratios are noisy, CPU µs/req less so.',
    );
  emulator = await startEmulator(['--api-key', API_KEY, '--no-log']);
  const base = emulator.url;
  console.log(`emulator: pid ${emulator.pid}, ${emulator.banner}`);
  console.log(`core:     ${describeCore()}`);
  console.log(
    `client:   pid ${process.pid}, Node ${process.version}, undici ${undiciVersion} (${undiciPath}, the core's copy)`,
  );
  console.log(
    `${N} requests per operation and side, at most ${CONCURRENCY} in flight, ${ROUNDS} rounds (Generate ${GENERATE_ROUNDS}), ${WARMUP} warm-up requests per operation and side (Generate ${Math.min(WARMUP, 50)})`,
  );

  const client = new GenimixClient({ apiKey: API_KEY, projectId: PROJECT, baseUrl: base });
  // The client's default transport: new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 }).
  agent = new undici.Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
  const dispatcher = agent;
  const url = (kind: 'generate' | 'image', id: string) => `${base}/v1/${PROJECT}/${kind}/${encodeURIComponent(id)}`;
  const headers = (extra: Record<string, string>) => ({
    'user-agent': 'genimix-bench-raw',
    ...extra,
    'x-api-key': API_KEY,
  });
  const prompt = (i: number) => `A red fox in the snow, number ${i}`;

  /** A raw request: status checked, body read whole (the client reads every body whole too). */
  const raw = async (
    method: 'GET' | 'PUT' | 'DELETE',
    target: string,
    head: Record<string, string>,
    body?: string | Buffer,
    as: 'json' | 'bytes' = 'json',
  ) => {
    const response = await undici.request(target, {
      method,
      headers: head,
      dispatcher,
      ...(body === undefined ? {} : { body }),
    });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new Error(`${method} ${target}: ${response.statusCode} ${text.slice(0, 200)}`);
    }
    if (as === 'json') await response.body.json();
    else if ((await response.body.arrayBuffer()).byteLength === 0) throw new Error(`${method} ${target}: empty body`);
  };

  const senders: Record<Side, Record<Operation, Send>> = {
    client: {
      generate: async (id, i) => void (await client.generateImage({ imageId: id, ...MODEL, prompt: prompt(i) })),
      upload: async (id) => void (await client.uploadImage({ imageId: id, data: TINY_PNG })),
      get: async (id) => void (await client.getImage({ imageId: id })),
      delete: async (id) => void (await client.deleteImage({ imageId: id })),
    },
    raw: {
      generate: (id, i) =>
        raw(
          'PUT',
          url('generate', id),
          headers({ accept: 'application/json', 'content-type': 'application/json' }),
          JSON.stringify({ ...MODEL, prompt: prompt(i) }),
        ),
      upload: (id) =>
        raw(
          'PUT',
          url('image', id),
          headers({
            accept: 'application/json',
            'content-type': 'image/png',
            'content-length': String(TINY_PNG.length),
          }),
          TINY_PNG,
        ),
      get: (id) =>
        raw('GET', url('image', id), headers({ accept: 'image/*, application/json;q=0.5' }), undefined, 'bytes'),
      delete: (id) => raw('DELETE', url('image', id), headers({ accept: 'application/json' })),
    },
  };

  /** Images that Get and Delete work on must exist: `prefix-0 … prefix-(n-1)`, made outside any measured window. */
  const seed = async (prefix: string, n: number) => {
    const run = await runPool(n, CONCURRENCY, (i) => senders.raw.upload(`${prefix}-${i}`, i));
    if (run.errors) throw new Error(`seeding ${prefix}: ${String(run.firstError)}`);
  };
  /** The ids a run of `op` uses: unique per request; Get reads the same side and round's uploads. */
  const idsOf = (op: Operation, side: Side, tag: string) =>
    op === 'get' ? `upload-${side}-${tag}` : `${op}-${side}-${tag}`;

  const measured = async (op: Operation, side: Side, tag: string, n: number): Promise<Run> => {
    const prefix = idsOf(op, side, tag);
    if (op === 'delete') await seed(prefix, n);
    await sleep(100);
    const send = senders[side][op];
    return runPool(n, CONCURRENCY, (i) => send(`${prefix}-${i}`, i));
  };

  // Warm-up: every operation on both sides, nothing kept. Generate renders a 1024×1024 PNG in the
  // emulator (some 35 ms of CPU), so it warms up on fewer requests.
  const warmupStarted = performance.now();
  for (const op of OPERATIONS) {
    for (const side of SIDES) {
      const run = await measured(op, side, 'warmup', op === 'generate' ? Math.min(WARMUP, 50) : WARMUP);
      if (run.errors) throw new Error(`warm-up ${side} ${op}: ${String(run.firstError)}`);
    }
  }
  console.log(`warm-up done in ${fixed((performance.now() - warmupStarted) / 1000)} s`);

  // Each round runs both sides back to back (the first side alternating), so that the two runs of a
  // round see the same machine; the ratio is the median of the rounds' ratios, which a burst of
  // load from other processes moves far less than a best or a mean of each side would.
  const runs: Record<Operation, Record<Side, Run[]>> = Object.fromEntries(
    OPERATIONS.map((op) => [op, { client: [], raw: [] }]),
  ) as never;
  for (const [opIndex, op] of OPERATIONS.entries()) {
    const rounds = op === 'generate' ? GENERATE_ROUNDS : ROUNDS;
    for (let round = 0; round < rounds; round++) {
      const order: readonly Side[] = (round + opIndex) % 2 === 0 ? ['client', 'raw'] : ['raw', 'client'];
      for (const side of order) runs[op][side].push(await measured(op, side, `r${round}`, N));
    }
    const pairs = runs[op].client.map(
      (c, r) =>
        `${fixed(throughput(c), 0)}/${fixed(throughput(runs[op].raw[r]!), 0)}=${fixed(throughput(c) / throughput(runs[op].raw[r]!), 2)}`,
    );
    console.log(`${op.padEnd(8)} rounds (client/raw req/s = ratio): ${pairs.join('  ')}`);
  }

  const rows: string[][] = [];
  const problems: string[] = [];
  for (const op of OPERATIONS) {
    const ratio = median(runs[op].client.map((c, r) => throughput(c) / throughput(runs[op].raw[r]!)));
    if (!(ratio >= MIN_RATIO)) problems.push(`${op}: client/raw throughput ratio ${fixed(ratio, 2)} < ${MIN_RATIO}`);
    for (const side of SIDES) {
      const all = runs[op][side];
      const errors = all.reduce((sum, r) => sum + r.errors, 0);
      if (errors) {
        const first = all.find((r) => r.errors)!.firstError;
        problems.push(
          `${side} ${op}: ${errors} failed request(s), first: ${first instanceof Error ? first.message : String(first)}`,
        );
      }
      // Latencies of every round together; CPU over every round.
      const sorted = new Float64Array(all.reduce((sum, r) => sum + r.latencies.length, 0));
      let offset = 0;
      for (const r of all) {
        sorted.set(r.latencies, offset);
        offset += r.latencies.length;
      }
      sorted.sort();
      rows.push([
        side === 'client' ? op : '',
        side,
        fixed(median(all.map(throughput)), 0),
        fixed(quantile(sorted, 0.5), 2),
        fixed(quantile(sorted, 0.99), 2),
        fixed((all.reduce((sum, r) => sum + r.cpuMs, 0) * 1000) / sorted.length, 0),
        String(errors),
        side === 'client' ? fixed(ratio, 2) : '',
        side === 'client' ? (ratio >= MIN_RATIO ? 'PASS' : 'FAIL') : '',
      ]);
    }
  }
  console.log('');
  console.log(
    `${ROUNDS} rounds (Generate ${GENERATE_ROUNDS}) of ${N} requests per side; req/s: median of the rounds; p50/p99: over every request of every round, body read included; CPU µs/req: this process's CPU time (user + system) per request, emulator excluded; ratio: median of the rounds' client req/s ÷ raw req/s, at least ${MIN_RATIO}`,
  );
  console.log(
    table(['operation', 'side', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors', 'ratio', 'result'], rows),
  );
  console.log('');
  console.log(machineLoad('at the end (this bench included)'));
  for (const problem of problems) console.log(`FAIL: ${problem}`);
  console.log(problems.length === 0 ? 'PASS' : 'FAIL');
  return problems.length === 0 ? 0 : 1;
}

runBench(main, async () => {
  await agent?.close();
  await emulator?.stop();
});
