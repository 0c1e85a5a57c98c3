/**
 * `pnpm test:n8n [-- <scenario> …]`: runs the built Genimix node inside a real n8n, headless, against
 * the local Genimix emulator, scenario by scenario, and checks what the workflows put out.
 *
 * Setup, shared by every scenario (the library in scripts/n8n/):
 * - install.ts: n8n (default 2.41.1, `GENIMIX_N8N_VERSION`) and Node >= 24 for it, installed once
 *   into `${XDG_CACHE_HOME:-~/.cache}/genimix-n8n` (`GENIMIX_N8N_CACHE`): about 5 minutes and 3 GB
 *   the first time;
 * - postgres.ts: a throw-away PostgreSQL (Debian's `postgresql-15`, installed with apt-get when
 *   missing), one database per scenario, each a copy of one that n8n migrated once; redis.ts: a
 *   throw-away Redis (Debian's `redis-server`, likewise), started when the first queue-mode
 *   scenario needs it;
 * - package.ts: the built package (`nodes/package.json` and `nodes/dist`, or `GENIMIX_N8N_NODE_DIR`)
 *   staged as a community package would be, loaded with `N8N_CUSTOM_EXTENSIONS` (`CUSTOM.genimix`);
 * - processes.ts: every child (n8n, workers, PostgreSQL, Redis) in its own process group, its output
 *   in a run log shown on failure, all stopped and the temporary folder removed on failure and on
 *   Ctrl-C too (`GENIMIX_N8N_KEEP_TEMP=1` keeps the folder).
 *
 * Scenarios: every file in scripts/n8n/scenarios/ (in file-name order) default-exports a `Scenario`
 * (scripts/n8n/scenario.ts); a new scenario is a new page there, nothing else to edit:
 *
 * ```ts
 * export default {
 *   name: 'upload-retry-database',              // pnpm test:n8n -- upload-retry-database
 *   title: 'Upload retried after 503 + Retry-After, binaries in the database',
 *   n8n: { mode: 'regular', binaryMode: 'database', env: { … } },   // or mode 'queue' (main + 2 workers)
 *   emulator: { faults: [{ kind: 'status', status: 503, retryAfter: '1', route: 'upload' }], latencyMs: { … } },
 *   workflows: [myWorkflow, 'nodes/examples/x.workflow.json'],      // objects built in code or JSON files
 *   async prepare({ standIn }) { … },            // optional: after the emulator started, before the runs
 *   async check(ctx, c) {                        // c.ok(cond, what) / c.equal(actual, expected, what)
 *     const run = ctx.run('MyWorkflowId');       // { execution, executionId, exitCode, worker }
 *     checkRunSucceeded(c, run, 'upload');
 *     const [success, errors] = outputsOf(run.execution, 'Upload Image');   // items per output index
 *     c.equal(errors.length, 1, 'one item left on the error output');
 *     c.ok(runsOf(run.execution, 'On Error').length === 1, 'the error branch ran');
 *     const bytes = await ctx.readBinary(success[0].binary.data);          // any binary mode
 *     return ['summary lines for the report'];
 *   },
 * } satisfies Scenario;
 * ```
 *
 * - Workflows start with a manual trigger; in regular mode each runs with `n8n execute --id=…
 *   --rawOutput`. In queue mode the harness makes the manual trigger a webhook, publishes the
 *   workflow, starts `n8n start` and the workers, POSTs to the webhook on the main instance and reads
 *   the execution from the database (`CollectedRun.worker` names the worker whose log ran it).
 * - Genimix nodes keep their published type and any `genimixApi` credential: the harness points them
 *   at the staged package and a credential for the scenario's emulator (`ctx.standIn`: its URL,
 *   request log, store snapshots after each PUT, `emulator.faults`, `emulator.store`).
 * - `ctx.standIn.requests` and `ctx.instance` (its database, `readExecution`, services' logs) are
 *   there for checks that need more.
 *
 * Prints ✓/✗ per step and per check, a summary per scenario; exits 1 when any check or setup step
 * failed, after showing the log of every child process.
 */
import path from 'node:path';
import { cacheDir, N8N_VERSION } from './n8n/install.js';
import { secs } from './n8n/processes.js';
import { runScenario, type Scenario } from './n8n/scenario.js';
import { runSession } from './n8n/session.js';
import { prepareToolbox } from './n8n/toolbox.js';
import { loadPages } from './pages.js';

const scenarioDir = path.join(path.dirname(new URL(import.meta.url).pathname), 'n8n', 'scenarios');

/** Every scenario page, in file-name order. */
function loadScenarios(): Promise<Scenario[]> {
  return loadPages<Scenario>(scenarioDir, 'Scenario', (page) => typeof page.check === 'function');
}

async function main(tmp: string): Promise<number> {
  const all = await loadScenarios();
  const wanted = process.argv.slice(2).filter((a) => a !== '--');
  const unknown = wanted.filter((w) => !all.some((s) => s.name === w));
  if (unknown.length)
    throw new Error(
      `no scenario named ${unknown.map((u) => `"${u}"`).join(', ')}; there are: ${all.map((s) => s.name).join(', ')}`,
    );
  const scenarios = wanted.length ? all.filter((s) => wanted.includes(s.name)) : all;

  console.log(
    `n8n end-to-end test of the Genimix node: n8n ${N8N_VERSION}, cache ${cacheDir}; scenarios: ${scenarios.map((s) => s.name).join(', ')}`,
  );
  const tools = await prepareToolbox(tmp);

  const results: Array<{ name: string; passed: number; failed: string[]; error?: string; ms: number }> = [];
  for (const scenario of scenarios) {
    console.log(`\n▸ ${scenario.name}: ${scenario.title}`);
    const t0 = performance.now();
    try {
      const c = await runScenario(scenario, path.join(tmp, scenario.name), tools);
      results.push({ name: scenario.name, passed: c.passed, failed: c.failures, ms: performance.now() - t0 });
    } catch (err) {
      console.log(`    ✗ ${(err as Error).message}`);
      results.push({
        name: scenario.name,
        passed: 0,
        failed: [],
        error: (err as Error).message,
        ms: performance.now() - t0,
      });
    }
  }

  console.log('\nScenarios:');
  for (const r of results) {
    const ok = !r.error && r.failed.length === 0;
    console.log(
      `  ${ok ? '✓' : '✗'} ${r.name}: ${r.error ? `setup failed: ${r.error.split('\n')[0]}` : `${r.passed} checks passed, ${r.failed.length} failed`} (${secs(r.ms)})`,
    );
    for (const failure of r.failed) console.log(`      ✗ ${failure}`);
  }
  return results.every((r) => !r.error && r.failed.length === 0) ? 0 : 1;
}

await runSession('n8n end-to-end test', 'genimix-n8n-e2e-', main);
