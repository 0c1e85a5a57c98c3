/**
 * One n8n instance of a scenario, on the shared PostgreSQL (a database of its own) and, in queue
 * mode, the shared Redis (a Bull prefix of its own):
 * - regular mode: `n8n import:*`, then each workflow run with `n8n execute --id=… --rawOutput`,
 *   the execution read from its stdout;
 * - queue mode (`EXECUTIONS_MODE=queue`, n8n's way to scale): a main instance (`n8n start`, which
 *   takes the webhooks) and workers (`n8n worker`) that run the executions; a workflow is started by
 *   a POST to its webhook on the main instance and its execution read from the database.
 * Binary data: `filesystem` by default in regular mode, `database` in queue mode (n8n's defaults).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BinaryMeta, Execution, Workflow } from './execution.js';
import { findExecutionJson } from './execution.js';
import { n8nPackageDir } from './install.js';
import type { StagedPackage } from './package.js';
import type { Postgres } from './postgres.js';
import { freePort, MINUTE, pollUntil, type RunResult, run, type Service, secs, startService } from './processes.js';
import { isServed } from './workflows.js';

/** n8n's binary data modes: `default` keeps binaries in memory (base64 in the item). */
export type BinaryMode = 'filesystem' | 'database' | 'default';

/** How n8n runs: what a scenario declares as its `n8n` settings. */
export interface N8nSettings {
  /** `regular` (default): one process per `n8n execute`; `queue`: main instance, Redis, workers. */
  mode?: 'regular' | 'queue';
  /** `N8N_DEFAULT_BINARY_DATA_MODE`; default `filesystem` in regular mode, `database` in queue mode. */
  binaryMode?: BinaryMode;
  /** Queue mode: how many `n8n worker` processes (default 2). */
  workers?: number;
  /** Queue mode: `n8n worker --concurrency` (default 5). */
  workerConcurrency?: number;
  /** More environment for every n8n process (wins over the harness's). */
  env?: Record<string, string>;
  /**
   * Where the Genimix node comes from: `staged` (default) the workspace's build through
   * `N8N_CUSTOM_EXTENSIONS` (`CUSTOM.genimix`); `installed` a package in the user folder's
   * `.n8n/nodes`, as n8n's community-package install leaves it (`n8n-nodes-genimix.genimix`).
   */
  nodePackage?: 'staged' | 'installed';
}

/** What every instance shares: Node 24, n8n's CLI, the staged node package, PostgreSQL, Redis (queue mode). */
export interface Toolbox {
  nodeBin: string;
  n8nScript: string;
  /** The workspace's node package for `N8N_CUSTOM_EXTENSIONS` (absent: instances load only installed packages). */
  staged?: StagedPackage;
  postgres: Postgres;
  /** Started on first use by a queue-mode instance. */
  redis: () => Promise<{ port: number }>;
  /**
   * The name of a database n8n has migrated, made on first use: every instance's database is a copy
   * (`CREATE DATABASE … TEMPLATE`), so each scenario skips the 15–30 s of migrations a fresh one takes.
   */
  migratedTemplate: () => Promise<string>;
}

/** A credential as `n8n import:credentials` takes it (data in clear: n8n encrypts it on import). */
export interface CredentialFile {
  id: string;
  name: string;
  type: string;
  data: Record<string, unknown>;
}

/** The result of one workflow run. */
export interface CollectedRun {
  /** n8n's execution id (queue mode; from the JSON in regular mode when it has one). */
  executionId?: string;
  /** The execution with its `data.resultData.runData` (undefined when n8n printed or stored none). */
  execution?: Execution;
  /** Regular mode: the exit code of `n8n execute`. */
  exitCode?: number | null;
  timedOut: boolean;
  /** Queue mode: the worker that ran it (`worker-1`, …), from the workers' logs. */
  worker?: string;
}

const N8N_TIMEOUT = 5 * MINUTE;
const ENCRYPTION_KEY = 'genimix-test-n8n-encryption-key';

/** An n8n instance: its CLI, and (queue mode) its main process and workers. */
export class N8nInstance {
  readonly mode: 'regular' | 'queue';
  readonly binaryMode: BinaryMode;
  readonly storagePath: string;
  /** `N8N_USER_FOLDER`: n8n keeps its settings and community packages (`.n8n/nodes`) there. */
  readonly userFolder: string;
  /** Main instance's HTTP port (queue mode: webhooks). */
  readonly port: number;
  readonly services: Service[] = [];
  private constructor(
    readonly name: string,
    private readonly dir: string,
    private readonly tools: Toolbox,
    readonly database: string,
    readonly env: NodeJS.ProcessEnv,
    settings: N8nSettings,
  ) {
    this.mode = settings.mode ?? 'regular';
    this.binaryMode = (env.N8N_DEFAULT_BINARY_DATA_MODE as BinaryMode) ?? 'filesystem';
    this.storagePath = env.N8N_STORAGE_PATH!;
    this.userFolder = env.N8N_USER_FOLDER!;
    this.port = Number(env.N8N_PORT);
    this.workerCount = settings.workers ?? 2;
    this.workerConcurrency = settings.workerConcurrency ?? 5;
  }
  private readonly workerCount: number;
  private readonly workerConcurrency: number;

  /**
   * Prepares an instance in `dir` (its user folder, binary storage, own database); nothing runs yet.
   * `name` is a scenario's name, made into the database name.
   */
  static async create(name: string, dir: string, tools: Toolbox, settings: N8nSettings = {}): Promise<N8nInstance> {
    const database = `n8n_${name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`.slice(0, 60);
    await tools.postgres.createDatabase(database, await tools.migratedTemplate());
    return N8nInstance.prepare(name, dir, tools, database, settings);
  }

  /**
   * Makes `database` (new, empty) a migrated n8n database, for {@link Toolbox.migratedTemplate}:
   * any n8n command migrates first; `list:workflow` then only reads.
   */
  static async migrate(database: string, dir: string, tools: Toolbox): Promise<void> {
    await tools.postgres.createDatabase(database);
    const instance = await N8nInstance.prepare('template', dir, tools, database, {});
    await instance.cliOk('n8n database migrations', ['list:workflow']);
  }

  private static async prepare(
    name: string,
    dir: string,
    tools: Toolbox,
    database: string,
    settings: N8nSettings,
  ): Promise<N8nInstance> {
    const mode = settings.mode ?? 'regular';
    const userFolder = path.join(dir, 'n8n');
    await mkdir(userFolder, { recursive: true });
    // n8n's environment: a private user folder, the throw-away database, nothing phoning home.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      LANG: process.env.LANG ?? 'C.UTF-8',
      TZ: 'UTC',
      GENERIC_TIMEZONE: 'UTC',
      N8N_USER_FOLDER: userFolder,
      N8N_STORAGE_PATH: path.join(dir, 'n8n-storage'), // binary data in filesystem mode, read back by the checks
      N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
      ...(tools.staged ? { N8N_CUSTOM_EXTENSIONS: tools.staged.dir } : {}),
      DB_TYPE: 'postgresdb',
      DB_POSTGRESDB_HOST: '127.0.0.1',
      DB_POSTGRESDB_PORT: String(tools.postgres.port),
      DB_POSTGRESDB_USER: tools.postgres.user,
      DB_POSTGRESDB_DATABASE: database,
      N8N_DIAGNOSTICS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
      N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
      N8N_DYNAMIC_BANNERS_ENABLED: 'false',
      N8N_PERSONALIZATION_ENABLED: 'false',
      N8N_TEMPLATES_ENABLED: 'false',
      N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
      N8N_PYTHON_ENABLED: 'false',
      N8N_SSRF_PROTECTION_ENABLED: 'false', // the emulator is on loopback
      N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
      N8N_PORT: String(await freePort()),
      N8N_LISTEN_ADDRESS: '127.0.0.1',
      N8N_LOG_OUTPUT: 'console',
      N8N_LOG_LEVEL: 'info',
      NO_COLOR: '1',
    };
    if (settings.binaryMode) env.N8N_DEFAULT_BINARY_DATA_MODE = settings.binaryMode;
    if (mode === 'queue') {
      const redis = await tools.redis();
      Object.assign(env, {
        EXECUTIONS_MODE: 'queue',
        QUEUE_BULL_REDIS_HOST: '127.0.0.1',
        QUEUE_BULL_REDIS_PORT: String(redis.port),
        QUEUE_BULL_PREFIX: database, // one Redis, one queue per instance
        N8N_DEFAULT_BINARY_DATA_MODE: settings.binaryMode ?? 'database',
        OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
      });
    }
    Object.assign(env, settings.env);
    return new N8nInstance(name, dir, tools, database, env, settings);
  }

  /** Runs `n8n <args>` to its end (5 minutes at most); never throws on a non-zero exit. */
  cli(args: string[], env: NodeJS.ProcessEnv = this.env): Promise<RunResult> {
    return run(this.tools.nodeBin, [this.tools.n8nScript, ...args], { cwd: this.dir, env, timeoutMs: N8N_TIMEOUT });
  }

  /** `n8n <args>`, throwing unless it exits 0. */
  async cliOk(what: string, args: string[]): Promise<RunResult> {
    const result = await this.cli(args);
    if (result.timedOut) throw new Error(`${what} timed out after ${secs(N8N_TIMEOUT)}`);
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal})`);
    return result;
  }

  /** `n8n import:credentials` (the first n8n command on a database also migrates it). */
  async importCredentials(credentials: CredentialFile[]): Promise<void> {
    const file = path.join(this.dir, 'credentials.json');
    await writeFile(file, JSON.stringify(credentials, null, 2));
    await this.cliOk('n8n import:credentials', ['import:credentials', `--input=${file}`]);
  }

  /**
   * `n8n import:workflow`, one file per workflow; in queue mode each workflow that starts with a
   * webhook is then published (`n8n publish:workflow`: the import's own activation needs a user with
   * permissions, which a fresh instance has not), so the main instance registers its webhook on start.
   */
  async importWorkflows(workflows: Workflow[]): Promise<void> {
    const folder = path.join(this.dir, 'workflows');
    await mkdir(folder, { recursive: true });
    for (const workflow of workflows)
      await writeFile(path.join(folder, `${workflow.id}.json`), JSON.stringify(workflow, null, 2));
    await this.cliOk('n8n import:workflow', ['import:workflow', '--separate', `--input=${folder}`]);
    const published = workflows.filter(
      (w) => isServed(w) || (this.mode === 'queue' && w.nodes.some((n) => n.type === 'n8n-nodes-base.webhook')),
    );
    await Promise.all(
      published.map((w) => this.cliOk(`n8n publish:workflow --id=${w.id}`, ['publish:workflow', `--id=${w.id}`])),
    );
  }

  /**
   * Starts the main instance (`n8n start`) and, in queue mode, the workers, and waits until each
   * says it is ready. Regular mode starts only the main instance, for served workflows.
   */
  async start(): Promise<void> {
    const node = this.tools.nodeBin;
    const script = this.tools.n8nScript;
    const main = startService(`${this.name}:main`, node, [script, 'start'], { cwd: this.dir, env: this.env });
    this.services.push(main);
    // Workers start once the main instance has migrated the database, so they do not race it.
    await main.waitFor(/Editor is now accessible via/, N8N_TIMEOUT);
    if (this.mode !== 'queue') return;
    const workers: Promise<Service>[] = [];
    for (let i = 1; i <= this.workerCount; i++) workers.push(this.startWorker(`worker-${i}`));
    await Promise.all(workers);
  }

  /**
   * Queue mode: starts one more `n8n worker`, named `role` (`worker-3`; {@link workerOf} finds it),
   * with this instance's environment plus `env` (e.g. a user folder of its own), and resolves once
   * it says it is ready (5 minutes at most).
   */
  async startWorker(role: string, env: NodeJS.ProcessEnv = {}): Promise<Service> {
    const worker = startService(
      `${this.name}:${role}`,
      this.tools.nodeBin,
      [this.tools.n8nScript, 'worker', `--concurrency=${this.workerConcurrency}`],
      {
        cwd: this.dir,
        env: {
          ...this.env,
          QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
          N8N_RUNNERS_BROKER_PORT: String(await freePort()),
          ...env,
        },
      },
    );
    this.services.push(worker);
    await worker.waitFor(/n8n worker is now ready|Worker ready/i, N8N_TIMEOUT);
    return worker;
  }

  /** Stops the main instance and the workers. */
  async stop(): Promise<void> {
    for (const service of this.services.reverse()) await service.stop();
  }

  /** Regular mode: `n8n execute --id=… --rawOutput`, the execution parsed from its stdout. */
  async execute(workflowId: string): Promise<CollectedRun> {
    // A task-runner broker port of its own, so that several runs may go at once.
    const result = await this.cli(['execute', `--id=${workflowId}`, '--rawOutput'], {
      ...this.env,
      N8N_RUNNERS_BROKER_PORT: String(await freePort()),
    });
    const execution = findExecutionJson(result.stdout);
    return { execution, executionId: execution?.id, exitCode: result.code, timedOut: result.timedOut };
  }

  /**
   * Queue mode: POSTs `body` to the workflow's production webhook on the main instance, then waits
   * (polling the database, 5 minutes at most) for the new execution to end and reads it.
   */
  async runByWebhook(workflowId: string, webhookPath: string, body: unknown = {}): Promise<CollectedRun> {
    const before = new Set((await this.executionsOf(workflowId)).map((e) => e.id));
    const response = await fetch(`http://127.0.0.1:${this.port}/webhook/${webhookPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST /webhook/${webhookPath}: ${response.status} ${text.slice(0, 300)}`);
    const ended = await pollUntil(
      `the execution of ${workflowId} started by its webhook to end`,
      async () =>
        (await this.executionsOf(workflowId)).find(
          (e) => !before.has(e.id) && e.stoppedAt !== null && !['new', 'running', 'waiting'].includes(e.status),
        ),
      N8N_TIMEOUT,
    );
    const execution = await this.readExecution(ended.id);
    return { executionId: ended.id, execution, timedOut: false, worker: this.workerOf(ended.id) };
  }

  /**
   * Waits (5 minutes at most) until the main instance has registered the production webhook at
   * `webhookPath`: n8n 2.x activates published workflows in the background after it starts (its
   * workflow publication service), so "Editor is now accessible" comes before their webhooks.
   */
  async waitForWebhook(webhookPath: string): Promise<void> {
    await pollUntil(
      `the webhook "${webhookPath}" to be registered`,
      async () =>
        (
          await this.tools.postgres.rows(
            this.database,
            `select 1 as one from webhook_entity where "webhookPath" = '${sqlText(webhookPath)}'`,
          )
        ).length > 0
          ? true
          : undefined,
      N8N_TIMEOUT,
    );
  }

  /** The workflow's executions in the database, oldest first. */
  executionsOf(workflowId: string): Promise<Array<{ id: string; status: string; stoppedAt: string | null }>> {
    return this.tools.postgres.rows(
      this.database,
      `select id::text as id, status, "stoppedAt" from execution_entity where "workflowId" = '${sqlText(workflowId)}' order by id`,
    );
  }

  /** An execution from the database: its row and its data (stored in n8n's `flatted` form). */
  async readExecution(id: string): Promise<Execution> {
    const [row] = await this.tools.postgres.rows<{
      id: string;
      status: string;
      finished: boolean;
      mode: string;
      startedAt: string;
      stoppedAt: string;
      data: string;
    }>(
      this.database,
      `select e.id::text as id, e.status, e.finished, e.mode, e."startedAt", e."stoppedAt", d.data from execution_entity e join execution_data d on d."executionId" = e.id where e.id = ${Number(id)}`,
    );
    if (!row) throw new Error(`execution ${id} is not in the database`);
    const { data, ...fields } = row;
    return { ...fields, data: flatted().parse(data) as Execution['data'] };
  }

  /** Everything service `role` (`main`, `worker-1`, …) printed so far (queue mode); `''` when there is no such service. */
  logOf(role: string): string {
    return this.services.find((s) => s.name === `${this.name}:${role}`)?.output() ?? '';
  }

  /** The worker whose log says it ran execution `id` (queue mode). */
  workerOf(id: string): string | undefined {
    const pattern = new RegExp(`Worker started execution ${Number(id)} \\(`);
    return this.services
      .find((s) => s.name.includes(':worker-') && pattern.test(s.output()))
      ?.name.split(':')
      .pop();
  }

  /** A binary's bytes from wherever this instance keeps them (memory, the storage folder, the database); undefined when not found. */
  async readBinary(meta: BinaryMeta): Promise<Buffer | undefined> {
    if (!meta.id) return meta.data === undefined ? undefined : Buffer.from(meta.data, 'base64');
    const [mode, ...rest] = meta.id.split(':');
    const ref = rest.join(':');
    if (mode === 'filesystem-v2' || mode === 'filesystem')
      return readFile(path.join(this.storagePath, ref)).catch(() => undefined);
    if (mode === 'database') {
      const fileId = ref.split('/').pop()!;
      const [row] = await this.tools.postgres.rows<{ b: string }>(
        this.database,
        `select encode(data, 'base64') as b from binary_data where "fileId"::text = '${sqlText(fileId)}'`,
      );
      return row ? Buffer.from(row.b.replace(/\s+/g, ''), 'base64') : undefined;
    }
    return undefined;
  }
}

const sqlText = (s: string) => s.replace(/'/g, "''");

let flattedModule: { parse(text: string): unknown } | undefined;
/** n8n's own `flatted`, which wrote the execution data. */
function flatted(): { parse(text: string): unknown } {
  flattedModule ??= createRequire(path.join(n8nPackageDir, 'package.json'))('flatted') as {
    parse(text: string): unknown;
  };
  return flattedModule;
}
