/**
 * `pnpm bench:n8n`: 100 Generate items through the node in a real n8n (regular mode, `n8n execute`,
 * the scripts/n8n library) against the emulator with 1 s of model latency per generation, at
 * Options → Concurrency 1, 5 and 20, beside a sequential baseline in the same run: 100 generations
 * one after another straight from @genimix/core's client to the same emulator.
 *
 *   pnpm bench:n8n [-- --items 100 --latency 1000 --concurrency 1,5,20]
 *
 * Each n8n figure is the Generate node's own execution time (n8n's `executionTime` in the run data:
 * no n8n start-up, no trigger); the execution's whole time is shown beside it. Ratios: each time
 * against the baseline's, and concurrency 1's time against each.
 *
 * Exit code 1 when a run fails (an item not generated, an error, a request the emulator refused), or
 * when the highest concurrency is less than 10× faster than concurrency 1 (issue 8, must-show 3).
 */
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GenimixClient } from '@genimix/core';
import { peakInFlight, startStandIn } from '../scripts/n8n/emulator.js';
import { durationOf, outputsOf, runsOf, type Workflow } from '../scripts/n8n/execution.js';
import { N8nInstance } from '../scripts/n8n/instance.js';
import { secs, step } from '../scripts/n8n/processes.js';
import { runSession, type SessionResult } from '../scripts/n8n/session.js';
import { prepareToolbox } from '../scripts/n8n/toolbox.js';
import { adaptWorkflow, batchStart, genimixNode } from '../scripts/n8n/workflows.js';

const { values: args } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: {
    items: { type: 'string', default: '100' },
    latency: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '1,5,20' },
  },
});
const ITEMS = whole(args.items, 'items', 1);
const LATENCY_MS = whole(args.latency, 'latency', 0);
const LEVELS = args.concurrency.split(',').map((v) => whole(v, 'concurrency', 1));
const REQUIRED_SPEEDUP = 10;
const API_KEY = 'bench-key';
const PROJECT = 'bench';
const MODEL = 'google/imagen-3.0-generate-002';
const CREDENTIAL = { id: 'GenimixBenchCred', name: 'Genimix (bench emulator)' };

function whole(value: string, name: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min} (got ${value})`);
  return n;
}

/** Manual trigger → Code (ITEMS items) → Generate at the given concurrency, no download. */
function batchWorkflow(concurrency: number): Workflow {
  const start = batchStart(ITEMS, '{ i }');
  return {
    id: `GenimixBenchC${concurrency}`,
    name: `Genimix bench: ${ITEMS} generations at concurrency ${concurrency}`,
    nodes: [
      ...start.nodes,
      genimixNode('Generate Image', 400, {
        operation: 'generate',
        model: MODEL,
        prompt: `={{ 'A lighthouse, study ' + $json.i }}`,
        imageId: `={{ 'c${concurrency}-' + $json.i }}`,
        download: false,
        options: { concurrency },
      }),
    ],
    connections: { ...start.connections, Items: { main: [[{ node: 'Generate Image', type: 'main', index: 0 }]] } },
    settings: { executionOrder: 'v1' },
  };
}

async function main(tmp: string): Promise<SessionResult> {
  console.log(
    `n8n batch bench: ${ITEMS} Generate items, ${LATENCY_MS} ms model latency, concurrency ${LEVELS.join(', ')}`,
  );
  const tools = await prepareToolbox(tmp);
  const standIn = await step(
    'Genimix emulator started',
    () => startStandIn(API_KEY, PROJECT, { latencyMs: { [MODEL]: LATENCY_MS } }),
    (s) => `${s.url}, ${MODEL} takes ${LATENCY_MS} ms`,
  );
  const problems: string[] = [];
  let runFailed = false;

  // The baseline: the core client, one generation after another, same emulator, same latency.
  const [provider, modelId] = MODEL.split('/') as [string, string];
  const client = new GenimixClient({ apiKey: API_KEY, projectId: PROJECT, baseUrl: standIn.url });
  const baselineFrom = standIn.requests.length;
  const baselineMs = await step(
    `baseline: ${ITEMS} sequential generations with @genimix/core`,
    async () => {
      const t0 = performance.now();
      for (let i = 0; i < ITEMS; i++)
        await client.generateImage({ imageId: `base-${i}`, provider, modelId, prompt: `A lighthouse, study ${i}` });
      return performance.now() - t0;
    },
    (ms) => secs(ms),
  );

  const baselineRequests = standIn.requests.slice(baselineFrom);
  const baselineAnswerMs = baselineRequests.reduce((sum, r) => sum + r.durationMs, 0) / baselineRequests.length;

  const workflows = LEVELS.map((c) => adaptWorkflow(batchWorkflow(c), CREDENTIAL, false));
  const instance = await N8nInstance.create('bench', path.join(tmp, 'bench'), tools);
  await step('n8n import:credentials', () =>
    instance.importCredentials([
      { ...CREDENTIAL, type: 'genimixApi', data: { apiKey: API_KEY, projectId: PROJECT, baseUrl: standIn.url } },
    ]),
  );
  await step(
    'n8n import:workflow',
    () => instance.importWorkflows(workflows),
    () => workflows.map((w) => w.id).join(', '),
  );

  const results: Array<{ concurrency: number; nodeMs: number; executionMs: number; peak: number; answerMs: number }> =
    [];
  for (const [index, workflow] of workflows.entries()) {
    const concurrency = LEVELS[index]!;
    const before = standIn.requests.length;
    const run = await step(
      `n8n execute at concurrency ${concurrency}`,
      () => instance.execute(workflow.id),
      (r) => `exit ${r.exitCode}, ${r.execution?.status ?? 'no execution printed'}`,
    );
    const generate = runsOf(run.execution, 'Generate Image')[0];
    const [items = [], errors = []] = outputsOf(run.execution, 'Generate Image');
    const expected = Array.from({ length: ITEMS }, (_, i) => `c${concurrency}-${i}`).join(',');
    const requests = standIn.requests.slice(before).filter((r) => r.method === 'PUT' && r.path.includes('/generate/'));
    const failedRequests = requests.filter((r) => r.aborted || r.status !== 200);
    if (run.exitCode !== 0 || run.execution?.status !== 'success') runFailed = true;
    if (run.exitCode !== 0 || run.execution?.status !== 'success')
      problems.push(
        `concurrency ${concurrency}: the run did not succeed (exit ${run.exitCode}, status ${run.execution?.status})`,
      );
    if (items.map((it) => it.json.imageId).join(',') !== expected)
      problems.push(`concurrency ${concurrency}: ${items.length} items out, not the ${ITEMS} expected in input order`);
    if (errors.length) problems.push(`concurrency ${concurrency}: ${errors.length} items on an error output`);
    if (requests.length !== ITEMS || failedRequests.length)
      problems.push(
        `concurrency ${concurrency}: the emulator saw ${requests.length} Generates, ${failedRequests.length} of them failed`,
      );
    const peak = peakInFlight(standIn, before, (r) => r.method === 'PUT' && r.path.includes('/generate/'));
    if (peak > concurrency) problems.push(`concurrency ${concurrency}: ${peak} Generates were in flight at once`);
    const answerMs = requests.reduce((sum, r) => sum + r.durationMs, 0) / requests.length;
    results.push({
      concurrency,
      nodeMs: generate?.executionTime ?? NaN,
      executionMs: durationOf(run.execution),
      peak,
      answerMs,
    });
  }

  const slowest = results.find((r) => r.concurrency === Math.min(...LEVELS));
  const header = [
    'run',
    'Generate node',
    'whole execution',
    'in flight (peak)',
    'emulator answer (mean)',
    'vs baseline',
    `vs concurrency ${slowest?.concurrency ?? '?'}`,
  ];
  const rows = [
    [`baseline (core, sequential)`, secs(baselineMs), '-', '1', `${baselineAnswerMs.toFixed(0)} ms`, '1.00×', '-'],
    ...results.map((r) => [
      `n8n, concurrency ${r.concurrency}`,
      secs(r.nodeMs),
      secs(r.executionMs),
      String(r.peak),
      `${r.answerMs.toFixed(0)} ms`,
      `${(baselineMs / r.nodeMs).toFixed(2)}×`,
      slowest ? `${(slowest.nodeMs / r.nodeMs).toFixed(2)}×` : '-',
    ]),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  console.log(
    `\n${[header, ...rows].map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n')}`,
  );
  console.log(
    `(times: the Generate node's executionTime; "vs": how many times faster; an emulator answer above ${LATENCY_MS} ms is time`,
  );
  console.log(
    ` its drawing waited for a CPU: this machine has ${availableParallelism()} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})`,
  );

  const fastest = results.find((r) => r.concurrency === Math.max(...LEVELS));
  if (slowest && fastest && slowest !== fastest) {
    const speedup = slowest.nodeMs / fastest.nodeMs;
    const ok = speedup >= REQUIRED_SPEEDUP;
    console.log(
      `${ok ? '✓' : '✗'} concurrency ${fastest.concurrency} is ${speedup.toFixed(1)}× faster than concurrency ${slowest.concurrency} (at least ${REQUIRED_SPEEDUP}× required)`,
    );
    if (!ok)
      problems.push(
        `concurrency ${fastest.concurrency} is only ${speedup.toFixed(1)}× faster than ${slowest.concurrency}`,
      );
  }
  for (const problem of problems) console.log(`✗ ${problem}`);
  // A slow run is told by the table; the children's log helps only when a run failed.
  return { status: problems.length ? 1 : 0, showLog: runFailed };
}

await runSession('n8n batch bench', 'genimix-n8n-bench-', main);
