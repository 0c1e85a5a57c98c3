/**
 * test:registry's n8n flow in queue mode, as the README's "Queue mode" paragraph tells users:
 * - the main instance (`n8n start`, `EXECUTIONS_MODE=queue`) with the README's variables installs
 *   `n8n-nodes-genimix` by itself from https://registry.npmjs.org (the npmjs.org stand-in);
 * - a worker (`n8n worker`) with a user folder and npm cache of its own (another machine, as far
 *   as files go) and the main instance's variables alone installs nothing: n8n 2.41.1 reconciles
 *   `N8N_COMMUNITY_PACKAGES` on the main instance only;
 * - a worker with the README's worker variables (the main's plus `N8N_REINSTALL_MISSING_PACKAGES`)
 *   installs the package the database lists, by itself, through the stand-in;
 * then the example workflow, started by a POST to the main instance's webhook, goes through Redis
 * to that worker, which runs `n8n-nodes-genimix.genimix` against the emulator.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Checks } from '../n8n/checks.js';
import { readJson } from '../n8n/install.js';
import type { Toolbox } from '../n8n/instance.js';
import { secs, step } from '../n8n/processes.js';
import { checkRoundTrip, EXAMPLE_WORKFLOW } from '../n8n/round-trip.js';
import { runScenario, type Scenario } from '../n8n/scenario.js';
import { webhookPathOf } from '../n8n/workflows.js';
import type { FlowContext } from './flow.js';
import { NPMJS_HOST, startNpmjsStandIn } from './npmjs-stand-in.js';

const PACKAGE = 'n8n-nodes-genimix';
const WORKFLOW_ID = 'GenimixRoundTrip';
const INSTALLED = new RegExp(`Installed community package '${PACKAGE}[^']*' from env`);
const MISSING = /n8n detected that some packages are missing/;
const REINSTALLED = /Packages reinstalled successfully/;

/** The README's variables for the main instance and, on top of them, for each worker. */
export interface QueueVariables {
  main: Record<string, string>;
  worker: Record<string, string>;
}

/**
 * Runs the queue-mode part of the flow with `tools` (PostgreSQL, Redis, n8n) in `ctx.dir/queue`;
 * adds its checks to `c` and returns report lines. Throws when n8n or a worker fails to start.
 */
export async function runQueueMode(
  ctx: FlowContext,
  c: Checks,
  tools: Toolbox,
  vars: QueueVariables,
  version: string,
): Promise<string[]> {
  const dir = path.join(ctx.dir, 'queue');
  await mkdir(dir, { recursive: true });
  const npmjs = await step(
    `${NPMJS_HOST} stand-in started`,
    () => startNpmjsStandIn({ registryUrl: ctx.registry.url, logDir: dir }),
    (s) => `${s.proxyUrl} → ${ctx.registry.url}`,
    '    ',
  );
  const tarballUrl = `GET https://${NPMJS_HOST}/${PACKAGE}/-/${PACKAGE}-${version}.tgz`;
  const standInTarballs = () => npmjs.requests.filter((r) => r === tarballUrl).length;
  const verdaccioTarballs = () =>
    ctx.registry.requests().filter((r) => r.method === 'GET' && r.path === `/${PACKAGE}/-/${PACKAGE}-${version}.tgz`)
      .length;
  const manifestIn = (userFolder: string) =>
    path.join(userFolder, '.n8n', 'nodes', 'node_modules', PACKAGE, 'package.json');
  const installedVersion = async (userFolder: string) =>
    (await readJson<{ version?: string }>(manifestIn(userFolder)).catch(() => undefined))?.version;
  /** A worker on "another machine": its own user folder and npm cache. */
  const elsewhere = async (name: string) => {
    const folder = path.join(dir, name);
    await mkdir(path.join(folder, 'npm-cache'), { recursive: true });
    return { N8N_USER_FOLDER: folder, npm_config_cache: path.join(folder, 'npm-cache') };
  };
  const lines: string[] = [];

  const scenario: Scenario = {
    name: 'registry-queue',
    title: `${PACKAGE} from the registry in queue mode`,
    // Workers start in `prepare`, each with its own user folder, after the main instance installed the package.
    n8n: { mode: 'queue', workers: 0, nodePackage: 'installed', env: { ...vars.main, ...npmjs.env } },
    workflows: [EXAMPLE_WORKFLOW],
    async prepare({ instance, workflows }) {
      const main = instance.logOf('main');
      c.ok(
        INSTALLED.test(main),
        `queue mode: the main instance logged "Installed community package '${PACKAGE}' from env"`,
      );
      c.equal(
        await installedVersion(instance.userFolder),
        version,
        "queue mode: the main instance's .n8n/nodes has it",
      );

      // The main instance's variables alone: the worker does not install it.
      const bare = await elsewhere('worker-bare');
      const before = standInTarballs();
      const bareWorker = await step(
        "n8n worker with the main instance's variables alone (own user folder)",
        () => instance.startWorker('bare', bare),
        () => 'ready',
        '    ',
      );
      await bareWorker.stop();
      c.ok(
        MISSING.test(bareWorker.output()) && !existsSync(manifestIn(bare.N8N_USER_FOLDER)),
        'queue mode: a worker started with the main instance\'s variables alone installs nothing ("n8n detected that some packages are missing")',
      );
      c.equal(standInTarballs() - before, 0, `queue mode: that worker fetched no tarball from ${NPMJS_HOST}`);

      // The README's worker variables: it installs the package the database lists.
      const own = await elsewhere('worker-1');
      const standInBefore = standInTarballs();
      const verdaccioBefore = verdaccioTarballs();
      const t0 = performance.now();
      const worker = await step(
        "n8n worker with the README's worker variables (own user folder)",
        () => instance.startWorker('worker-1', { ...vars.worker, ...own }),
        () => 'ready',
        '    ',
      );
      const workerMs = performance.now() - t0;
      c.ok(
        REINSTALLED.test(worker.output()),
        `queue mode: the worker logged "Packages reinstalled successfully"${REINSTALLED.test(worker.output()) ? '' : `; its log: ${grep(worker.output())}`}`,
      );
      c.equal(
        await installedVersion(own.N8N_USER_FOLDER),
        version,
        `queue mode: the worker's own ${path.relative(dir, manifestIn(own.N8N_USER_FOLDER))}: version`,
      );
      c.ok(
        standInTarballs() > standInBefore,
        `queue mode: the worker's npm fetched ${tarballUrl.slice(4)} (through the stand-in)`,
      );
      c.ok(verdaccioTarballs() > verdaccioBefore, "queue mode: Verdaccio's log has the worker's tarball GET");
      await instance.waitForWebhook(webhookPathOf(workflows[0]!)!);
      lines.push(
        `4. queue mode: main installed ${PACKAGE} from ${NPMJS_HOST} (the stand-in); a worker with the main's variables alone installed nothing; one with N8N_REINSTALL_MISSING_PACKAGES=true too installed it into its own user folder (worker start ${secs(workerMs)})`,
      );
    },
    async check(result, checks) {
      const run = result.run(WORKFLOW_ID);
      const exec = run.executionId ?? '?';
      checks.ok(
        new RegExp(`Enqueued execution ${exec} \\(`).test(result.instance.logOf('main')),
        `queue mode: the main instance enqueued execution ${exec}`,
      );
      checks.equal(run.worker, 'worker-1', `queue mode: the worker that installed the package ran execution ${exec}`);
      checks.equal(run.execution?.mode, 'webhook', 'queue mode: execution mode');
      const out = await checkRoundTrip(result, checks, WORKFLOW_ID, 'queue mode');
      const genimix = result.standIn.requests.length;
      checks.ok(genimix >= 4, `queue mode: the emulator answered the worker's node (${genimix} requests)`);
      return out;
    },
  };
  try {
    const inner = await runScenario(scenario, path.join(dir, 'scenario'), tools);
    c.passed += inner.passed;
    c.failures.push(...inner.failures);
  } finally {
    await npmjs.close();
  }
  return lines;
}

function grep(log: string): string {
  return (
    log
      .split('\n')
      .filter((l) => /communit|packages|licen/i.test(l))
      .slice(-5)
      .join(' | ')
      .slice(0, 800) || '(nothing about community packages)'
  );
}
