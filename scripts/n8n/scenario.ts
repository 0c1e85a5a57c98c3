/**
 * A scenario: one page that declares what it needs and what it checks; `runScenario` does the rest
 * (emulator, n8n instance, credential, import, runs, collection). See the API in scripts/test-n8n.ts.
 */
import { mkdir } from 'node:fs/promises';
import { Checks } from './checks.js';
import { type StandIn, type StandInOptions, startStandIn } from './emulator.js';
import { type BinaryMeta, durationOf, type Workflow } from './execution.js';
import { type CollectedRun, N8nInstance, type N8nSettings, type Toolbox } from './instance.js';
import { secs, step } from './processes.js';
import {
  adaptWorkflow,
  CREDENTIAL_TYPE,
  isServed,
  loadWorkflow,
  MANUAL_TRIGGER,
  type WorkflowSource,
  webhookPathOf,
} from './workflows.js';

export const API_KEY = 'n8n-test-key';
export const PROJECT_ID = 'n8n-test';
/** The credential every Genimix node of a scenario uses (imported before `prepare`; a page may import it again to point it elsewhere). */
export const CREDENTIAL = { id: 'GenimixTestCred1', name: 'Genimix (emulator)' };

/** What a scenario page exports (as `default`). */
export interface Scenario {
  /** Short and unique, for `pnpm test:n8n -- <name>`: lower-case words and dashes. */
  name: string;
  /** One line saying what it shows. */
  title: string;
  /** How n8n runs (regular or queue mode, binary mode, workers, more environment); default regular, filesystem. */
  n8n?: N8nSettings;
  /** The emulator's profile, latencies, faults in place from the first request, upload limit. */
  emulator?: StandInOptions;
  /**
   * Its workflows (objects built in code, or JSON file paths relative to the repository's root),
   * each run once, in this order (all at once with `parallel`). Each starts with a manual trigger
   * (in queue mode made into a webhook) or a webhook trigger (queue mode). A workflow with an MCP
   * Server Trigger is served instead: published, the main instance started, and `check` calls it. Genimix nodes may keep
   * their published type (`n8n-nodes-genimix.genimix`) and any `genimixApi` credential: the
   * harness points them at the staged package and the emulator.
   */
  workflows: WorkflowSource[];
  /** Start every workflow at once (queue mode: the workers share them; regular mode: one `n8n execute` each); default one after another. */
  parallel?: boolean;
  /** Runs after the emulator started, before any workflow runs: add faults, seed images. */
  prepare?(ctx: ScenarioContext): Promise<void>;
  /** Checks the collected runs; returns summary lines for the report (optional). */
  check(ctx: ScenarioResult, c: Checks): Promise<string[] | undefined>;
}

/** What `prepare` gets. */
export interface ScenarioContext {
  /** The emulator, its request log and store snapshots; `standIn.emulator.faults.add(…)` for faults. */
  standIn: StandIn;
  instance: N8nInstance;
  /** The workflows as imported (custom node types, the test credential; webhook trigger in queue mode). */
  workflows: Workflow[];
}

/** What `check` gets: the context and every workflow's run. */
export interface ScenarioResult extends ScenarioContext {
  /** The run of workflow `id` (throws for a workflow the scenario does not have). */
  run(workflowId: string): CollectedRun;
  /** The workflow `id` as imported. */
  workflow(workflowId: string): Workflow;
  /** A binary's bytes from n8n's binary data store (memory, filesystem or database mode). */
  readBinary(meta: BinaryMeta): Promise<Buffer | undefined>;
  /** The project and key the credential uses. */
  projectId: string;
}

/** Checks every scenario shares: the run ended, without error, and (regular mode) `n8n execute` exited 0. */
export function checkRunSucceeded(c: Checks, run: CollectedRun, label: string): boolean {
  const execution = run.execution;
  if (run.exitCode !== undefined) {
    c.ok(!run.timedOut, `${label}: n8n execute ended in time`);
    c.equal(run.exitCode, 0, `${label}: n8n execute exit code`);
  }
  if (!c.ok(execution, `${label}: the execution's data was collected`)) return false;
  const runError = execution!.data?.resultData?.error;
  c.ok(
    !runError,
    `${label}: the run ended without error${runError ? `; it failed${runError.node?.name ? ` in "${runError.node.name}"` : ''}: ${runError.message ?? ''}${runError.description ? ` (${runError.description})` : ''}` : ''}`,
  );
  c.equal(execution!.status, 'success', `${label}: execution status`);
  c.equal(execution!.finished, true, `${label}: execution finished`);
  return true;
}

/**
 * Runs one scenario in `dir`: emulator, instance (own database), credential and workflows imported,
 * `prepare`, every workflow run, `check`. Returns the checks; throws when the setup fails.
 */
export async function runScenario(scenario: Scenario, dir: string, tools: Toolbox): Promise<Checks> {
  await mkdir(dir, { recursive: true });
  const standIn = await step(
    'Genimix emulator started',
    () => startStandIn(API_KEY, PROJECT_ID, scenario.emulator),
    (s) => s.url,
    '    ',
  );
  const instance = await N8nInstance.create(scenario.name, dir, tools, scenario.n8n);
  try {
    return await runIn(scenario, standIn, instance);
  } finally {
    await instance.stop();
    await standIn.emulator.close();
  }
}

async function runIn(scenario: Scenario, standIn: StandIn, instance: N8nInstance): Promise<Checks> {
  const queue = instance.mode === 'queue';
  const i = '    ';
  const installed = scenario.n8n?.nodePackage === 'installed';
  const workflows = (await Promise.all(scenario.workflows.map(loadWorkflow))).map((w) =>
    adaptWorkflow(w, CREDENTIAL, queue, installed),
  );
  const served = workflows.filter(isServed);
  const runnable = workflows.filter((w) => !isServed(w));
  if (!queue) {
    const webhookOnly = runnable.find((w) => !w.nodes.some((n) => n.type === MANUAL_TRIGGER));
    if (webhookOnly)
      throw new Error(
        `workflow ${webhookOnly.id} has no manual trigger: regular mode runs workflows with \`n8n execute\``,
      );
  }
  await step(
    'n8n import:credentials',
    () =>
      instance.importCredentials([
        {
          ...CREDENTIAL,
          type: CREDENTIAL_TYPE,
          data: { apiKey: API_KEY, projectId: PROJECT_ID, baseUrl: standIn.url },
        },
      ]),
    () => `${CREDENTIAL_TYPE} "${CREDENTIAL.name}" (database ${instance.database})`,
    i,
  );
  await step(
    queue ? 'n8n import:workflow + publish:workflow' : 'n8n import:workflow',
    () => instance.importWorkflows(workflows),
    () => workflows.map((w) => `"${w.name}" (${w.id}), ${w.nodes.length} nodes`).join('; '),
    i,
  );
  if (queue) {
    await step(
      'n8n in queue mode started',
      () => instance.start(),
      () =>
        `main on 127.0.0.1:${instance.port} and ${instance.services.length - 1} workers (n8n worker), Redis, binary data mode ${instance.binaryMode}`,
      i,
    );
  } else if (served.length > 0) {
    await step(
      'n8n started (n8n start)',
      () => instance.start(),
      () => `main on 127.0.0.1:${instance.port}, serving ${served.map((w) => `"${w.name}"`).join(', ')}`,
      i,
    );
  }
  const ctx: ScenarioContext = { standIn, instance, workflows };
  if (scenario.prepare) await scenario.prepare(ctx);

  const runs = new Map<string, CollectedRun>();
  const runOne = async (workflow: Workflow) => {
    const label = queue ? `run "${workflow.name}" by its webhook` : `n8n execute "${workflow.name}"`;
    const result = await step(
      label,
      () => (queue ? instance.runByWebhook(workflow.id, webhookPathOf(workflow)!) : instance.execute(workflow.id)),
      (r) =>
        [
          r.exitCode !== undefined ? `exit ${r.exitCode}${r.timedOut ? ', timed out' : ''}` : undefined,
          r.executionId ? `execution ${r.executionId}` : undefined,
          r.execution?.status,
          Number.isFinite(durationOf(r.execution)) ? `in ${secs(durationOf(r.execution))}` : undefined,
          r.worker ? `on ${r.worker}` : undefined,
        ]
          .filter(Boolean)
          .join(', '),
      i,
    );
    runs.set(workflow.id, result);
  };
  if (scenario.parallel) await Promise.all(runnable.map(runOne));
  else for (const workflow of runnable) await runOne(workflow);

  const c = new Checks('      ');
  console.log(`${i}checks:`);
  const lines = await scenario.check(
    {
      ...ctx,
      projectId: PROJECT_ID,
      run: (id) => {
        const r = runs.get(id);
        if (!r) throw new Error(`scenario ${scenario.name} has no workflow ${id}`);
        return r;
      },
      workflow: (id) => {
        const w = workflows.find((x) => x.id === id);
        if (!w) throw new Error(`scenario ${scenario.name} has no workflow ${id}`);
        return w;
      },
      readBinary: (meta) => instance.readBinary(meta),
    },
    c,
  );
  if (lines?.length) for (const line of lines) console.log(`${i}${line}`);
  return c;
}
