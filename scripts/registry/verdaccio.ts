/**
 * A real npm registry on loopback: Verdaccio 6.8.0 (the newest that runs on Node 20), installed
 * once with `npm ci` from scripts/registry/verdaccio/ (its package.json pins Verdaccio and overrides
 * `node-fetch` to 2.7.0, which its audit plugin needs on Node 20) into
 * `${XDG_CACHE_HOME:-~/.cache}/genimix-registry` (`GENIMIX_REGISTRY_CACHE`), outside the workspace,
 * so the README's `pnpm install` does not carry a registry server and its 300 packages.
 *
 * Each run: a temporary storage folder, 127.0.0.1 on a free port, `@genimix/*` and
 * `n8n-nodes-genimix` local only (never proxied: nothing of ours can come from npmjs.org),
 * everything else proxied to https://registry.npmjs.org/ so dependencies install as for a user.
 */
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson } from '../n8n/install.js';
import { commandOk, freePort, MINUTE, runOk, type Service, startService } from '../n8n/processes.js';

export const VERDACCIO_VERSION = '6.8.0';
/** Packages that exist only in the test registry: published by the run, never fetched from the uplink. */
export const LOCAL_PACKAGES = ['@genimix/*', 'n8n-nodes-genimix'];

const manifestDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'verdaccio');
export const registryCacheDir = path.resolve(
  process.env.GENIMIX_REGISTRY_CACHE ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'genimix-registry'),
);
const verdaccioBin = path.join(registryCacheDir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');

/** Verdaccio's CLI in the cache, installed there first (`npm ci`, about 30 s) when missing or stale. */
export async function ensureVerdaccio(): Promise<{ bin: string; how: string }> {
  const wanted = await readFile(path.join(manifestDir, 'package-lock.json'), 'utf8');
  const installedLock = path.join(registryCacheDir, 'package-lock.json');
  const current = existsSync(installedLock) ? await readFile(installedLock, 'utf8') : '';
  const version = await readJson<{ version?: string }>(
    path.join(registryCacheDir, 'node_modules', 'verdaccio', 'package.json'),
  ).then(
    (p) => p.version,
    () => undefined,
  );
  if (current === wanted && version === VERDACCIO_VERSION && existsSync(verdaccioBin))
    return { bin: verdaccioBin, how: `cached in ${registryCacheDir}` };
  await mkdir(registryCacheDir, { recursive: true });
  await copyFile(path.join(manifestDir, 'package.json'), path.join(registryCacheDir, 'package.json'));
  await copyFile(path.join(manifestDir, 'package-lock.json'), installedLock);
  await runOk(
    `npm ci verdaccio@${VERDACCIO_VERSION}`,
    'npm',
    ['ci', '--no-audit', '--no-fund', '--loglevel=warn', '--registry=https://registry.npmjs.org/'],
    { cwd: registryCacheDir, timeoutMs: 10 * MINUTE },
  );
  return { bin: verdaccioBin, how: `installed into ${registryCacheDir} (npm ci)` };
}

/** A running Verdaccio. */
export interface Registry {
  /** `http://127.0.0.1:PORT/` (with the slash, as npm writes it). */
  readonly url: string;
  readonly port: number;
  /** Its storage folder: `<storage>/<package>/<package>-<version>.tgz` for what was published. */
  readonly storage: string;
  readonly service: Service;
  /** Every request Verdaccio logged so far, oldest first. */
  requests(): RegistryRequest[];
  /** Verdaccio's log: one JSON line per event, every request included. */
  readonly logFile: string;
}

export interface RegistryRequest {
  method: string;
  /** URL-decoded (`/@genimix/core`, `/n8n-nodes-genimix/-/n8n-nodes-genimix-0.1.0.tgz`). */
  path: string;
}

/** Starts Verdaccio in `dir` (its config, storage and user file); stopped with every other child. */
export async function startRegistry(bin: string, dir: string): Promise<Registry> {
  const storage = path.join(dir, 'storage');
  await mkdir(storage, { recursive: true });
  const port = await freePort();
  const local = (name: string) =>
    `  '${name}':\n    access: $all\n    publish: $authenticated\n    unpublish: $authenticated\n`;
  const config = [
    `storage: ${JSON.stringify(storage)}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(path.join(dir, 'htpasswd'))}`,
    '    max_users: 100',
    'uplinks:',
    '  npmjs:',
    '    url: https://registry.npmjs.org/',
    '    timeout: 60s',
    'packages:',
    ...LOCAL_PACKAGES.map(local),
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    proxy: npmjs',
    // npm install asks the registry for an audit: the plugin passes it on to npmjs.org.
    'middlewares:',
    '  audit:',
    '    enabled: true',
    'server:',
    '  keepAliveTimeout: 60',
    // Requests go to a file of their own (one JSON line each, read by requests()), not the run log.
    `log: { type: file, path: ${JSON.stringify(path.join(dir, 'verdaccio.log'))}, format: json, level: http }`,
    '',
  ].join('\n');
  const configFile = path.join(dir, 'config.yaml');
  await writeFile(configFile, config);
  const service = startService(
    'verdaccio',
    process.execPath,
    [bin, '--config', configFile, '--listen', `127.0.0.1:${port}`],
    {
      cwd: dir,
      // The machine's CA and proxy settings reach npmjs.org; HOME keeps its defaults out of ours.
      env: { ...process.env, ...uplinkCa(), HOME: dir, NODE_ENV: 'production' },
    },
  );
  const url = `http://127.0.0.1:${port}/`;
  await waitForPing(url, service);
  const logFile = path.join(dir, 'verdaccio.log');
  return {
    url,
    port,
    storage,
    service,
    requests: () => parseRequests(existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    logFile,
  };
}

/**
 * Where npm is told to trust an extra CA (`cafile`, e.g. a TLS-inspecting egress proxy's) and Node
 * is not, Verdaccio's uplink would fail every request with a 404 to its clients: hand npm's CA to
 * Node as `NODE_EXTRA_CA_CERTS`.
 */
function uplinkCa(): NodeJS.ProcessEnv {
  if (process.env.NODE_EXTRA_CA_CERTS) return {};
  const cafile = commandOk('npm', ['config', 'get', 'cafile']);
  return cafile && cafile !== 'null' && existsSync(cafile) ? { NODE_EXTRA_CA_CERTS: cafile } : {};
}

async function waitForPing(url: string, service: Service): Promise<void> {
  const deadline = performance.now() + MINUTE;
  for (;;) {
    if (service.child.exitCode !== null || service.child.signalCode !== null)
      throw new Error(`Verdaccio exited before it answered; it printed:\n${service.output().slice(-1500)}`);
    try {
      const response = await fetch(`${url}-/ping`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      /* not yet */
    }
    if (performance.now() > deadline) throw new Error(`Verdaccio at ${url} did not answer /-/ping within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Verdaccio's JSON log: one `"… requested 'GET /path'"` line (level 30, `req`) as each request
 * arrives; its answer lines may repeat, so requests are counted by their arrival.
 */
function parseRequests(log: string): RegistryRequest[] {
  const requests: RegistryRequest[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"req":')) continue;
    let entry: { req?: { method?: string; url?: string } };
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!entry.req?.method || !entry.req.url) continue;
    let requestPath = entry.req.url;
    try {
      requestPath = decodeURIComponent(requestPath);
    } catch {
      /* keep it as logged */
    }
    requests.push({ method: entry.req.method, path: requestPath });
  }
  return requests;
}

/**
 * Creates a user through npm's own login API (`PUT /-/user/org.couchdb.user:NAME`, what
 * `npm adduser` sends) and returns its token.
 */
export async function addUser(registry: Registry, name: string, password: string): Promise<string> {
  const response = await fetch(`${registry.url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
  });
  const body = (await response.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!response.ok || !body.token)
    throw new Error(`Verdaccio refused to add user ${name}: ${response.status} ${body.error ?? ''}`);
  return body.token;
}

/** A package's document as the registry serves it (`GET /<name>`), or undefined on 404. */
export async function packument(
  registry: Registry,
  name: string,
): Promise<
  | {
      'dist-tags'?: Record<string, string>;
      versions?: Record<string, PublishedVersion>;
    }
  | undefined
> {
  const response = await fetch(`${registry.url}${name.replace('/', '%2f')}`);
  if (response.status === 404) {
    await response.arrayBuffer();
    return undefined;
  }
  if (!response.ok) throw new Error(`GET ${name} from the registry: ${response.status}`);
  return (await response.json()) as never;
}

/** One version's manifest in a packument. */
export interface PublishedVersion {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  bin?: Record<string, string> | string;
  dist: { tarball: string; integrity?: string; shasum?: string; fileCount?: number; unpackedSize?: number };
}
