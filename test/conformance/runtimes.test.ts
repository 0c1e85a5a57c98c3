import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packAndUnpack, publishablePackages, ROOT } from '../packages/pack.js';
import { type ServedControl, serveControl } from './control.js';
import { cases } from './suite.js';

/**
 * The conformance suite (suite.ts, through run.ts) in other runtimes, each in its own process,
 * against the core as published (`pnpm pack`) and installed WITHOUT undici, as on Workers and in
 * browsers: Bun and Deno (root devDependencies, installed from npm with their binaries), and Node,
 * where the default transport must fall back to fetch. The emulator runs here; the runners reach
 * its faults and request log through control.ts. Each run reports its runtime, whether undici can
 * be imported there, and how many requests its default client sent through the global fetch.
 */
const API_KEY = 'sk_conformance_runtimes_7d3e91b0';
const BIN = path.join(ROOT, 'node_modules', '.bin');
/** A line run.ts prints: what it found, then one per case. */
const RUNNER_LINE = /^(runtime|undici|transport|uploads from a path|requests through the global fetch|cases): |^ok {3}/;
/** run.ts's closing line. */
const ALL_PASSED = `cases: ${cases.length} of ${cases.length} passed`;

let emulator: Emulator;
let control: ServedControl;
let work: string;
/** The folder of the installed app: run.ts, suite.ts, and node_modules without undici. */
let app: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  control = await serveControl(emulator);
  work = await mkdtemp(path.join(os.tmpdir(), 'genimix-conformance-'));
  app = path.join(work, 'app');
  await installCoreWithoutUndici(app);
}, 120_000);

afterAll(async () => {
  await control?.close();
  await emulator?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * The core packed as `pnpm publish` would, unpacked into `app/node_modules`, with its
 * dependencies copied from the workspace, all but undici; then the runner and the suite beside it.
 */
async function installCoreWithoutUndici(dir: string): Promise<void> {
  const core = publishablePackages().find((p) => p.name === '@genimix/core')!;
  const packed = await packAndUnpack(core, work);
  const modules = path.join(dir, 'node_modules');
  await mkdir(path.join(modules, '@genimix'), { recursive: true });
  await cp(packed.root, path.join(modules, '@genimix', 'core'), { recursive: true });
  const manifest = JSON.parse(await readFile(path.join(packed.root, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  expect(Object.keys(manifest.dependencies)).toContain('undici');
  for (const name of Object.keys(manifest.dependencies).filter((n) => n !== 'undici')) {
    // pnpm links each dependency of the core into its own node_modules.
    const source = await realpath(path.join(core.dir, 'node_modules', name));
    const own = JSON.parse(await readFile(path.join(source, 'package.json'), 'utf8')) as { dependencies?: object };
    // Copied alone, a dependency with dependencies of its own would not run.
    expect(own.dependencies ?? {}, `${name} has dependencies: install them too`).toEqual({});
    await cp(source, path.join(modules, name), { recursive: true, dereference: true });
  }
  await writeFile(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: 'genimix-conformance-app', private: true, type: 'module', dependencies: { '@genimix/core': '*' } }, null, 2)}\n`,
  );
  for (const file of ['run.ts', 'suite.ts'])
    await cp(path.join(ROOT, 'test', 'conformance', file), path.join(dir, file));
  expect(existsSync(path.join(modules, 'undici')), 'undici is installed in the app').toBe(false);
}

interface Run {
  code: number | null;
  /** stdout and stderr as they came. */
  output: string;
  stdout: string;
  stderr: string;
}

/** Runs `command` in the app folder with the runner's environment; resolves when it exits. */
function runIn(
  command: string,
  args: readonly string[],
  projectId: string,
  extraEnv: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: app,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        DENO_NO_UPDATE_CHECK: '1',
        GENIMIX_BASE_URL: emulator.url,
        GENIMIX_API_KEY: API_KEY,
        GENIMIX_PROJECT_ID: projectId,
        GENIMIX_CONFORMANCE_CONTROL: control.url,
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, output: '', stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      run.output += chunk.toString();
      run.stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      run.output += chunk.toString();
      run.stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ ...run, code }));
  });
}

/** The binary of a runtime installed from npm; fails (never skips) when it is missing. */
function runtimeBinary(name: 'bun' | 'deno'): string {
  const file = path.join(BIN, name);
  expect(
    existsSync(file),
    `${name} is not installed at ${file}: it is a root devDependency, installed (binary included) by pnpm install`,
  ).toBe(true);
  return file;
}

/** `deno run` of the runner, with only the permissions it needs, on the app's node_modules. */
function denoRun(...flags: string[]): string[] {
  return [
    'run',
    '--allow-net=127.0.0.1',
    '--allow-read',
    '--allow-env',
    '--node-modules-dir=manual',
    '--no-lock',
    '--no-prompt',
    ...flags,
    'run.ts',
    '--transport=default',
  ];
}

/** What a run printed, checked: every case passed, and the default client went through fetch. */
function expectPassedThroughFetch(
  run: Run,
  runtime: RegExp,
  undici: RegExp,
  files = /^uploads from a path: opened \(data checked\)$/m,
): void {
  expect(run.output, run.output).toContain(ALL_PASSED);
  expect(run.code, run.output).toBe(0);
  expect(run.output).toMatch(runtime);
  expect(run.output).toMatch(undici);
  expect(run.output).toMatch(/^transport: default$/m);
  expect(run.output).toMatch(files);
  const through = Number(/^requests through the global fetch: (\d+)$/m.exec(run.output)?.[1]);
  expect(through, 'requests the default client sent through fetch').toBeGreaterThan(cases.length);
  expect(run.output).not.toContain(API_KEY);
}

describe('the core as published, installed without undici', () => {
  it('on Bun (from npm): the default client sends through Bun’s fetch, never Bun’s undici stand-in', async () => {
    const bun = runtimeBinary('bun');
    const run = await runIn(bun, ['run', 'run.ts', '--transport=default'], 'conformance-bun');
    // Bun answers import('undici') with a built-in of its own, whatever is installed.
    expectPassedThroughFetch(run, /^runtime: bun 1\.4\./m, /^undici: built-in undici \(no package\)$/m);
  }, 180_000);

  it('on Deno (from npm): the default client sends through Deno’s fetch; undici cannot be imported', async () => {
    const run = await runIn(runtimeBinary('deno'), denoRun(), 'conformance-deno');
    expectPassedThroughFetch(run, /^runtime: deno 2\.9\./m, /^undici: not importable /m);
  }, 180_000);

  it('as on Workers (Deno resolving with the workerd condition): fetch and setTimeout, no file system', async () => {
    const run = await runIn(runtimeBinary('deno'), denoRun('--conditions=workerd'), 'conformance-workerd');
    expectPassedThroughFetch(
      run,
      /^runtime: deno 2\.9\./m,
      /^undici: not importable /m,
      /^uploads from a path: refused \(Uploading from a file path needs Node, Bun or Deno: here, pass the image as data/m,
    );
  }, 180_000);

  it('on Node: the default client falls back to Node’s fetch when undici is not installed, saying so on stderr only', async () => {
    const tsx = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx/esm')).href;
    const run = await runIn(process.execPath, ['--import', tsx, 'run.ts', '--transport=default'], 'conformance-node', {
      GENIMIX_LOG: 'debug',
    });
    expectPassedThroughFetch(run, /^runtime: node v\d+\./m, /^undici: not importable \(ERR_MODULE_NOT_FOUND\)$/m);
    // stdout may be a protocol channel (MCP on stdio): the fallback's one line goes to stderr, and
    // only because GENIMIX_LOG=debug asked for the client's debug lines.
    expect(run.stdout.split('\n').filter((line) => line && !RUNNER_LINE.test(line))).toEqual([]);
    expect(run.stderr.match(/undici is not installed: requests go through fetch/g)).toHaveLength(1);
  }, 180_000);
});
