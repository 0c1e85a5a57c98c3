/**
 * The npmjs.org stand-in (scripts/registry/npmjs-stand-in.ts) with real npm: a tiny registry on
 * 127.0.0.1 answers for https://registry.npmjs.org through the stand-in's proxy, its tarball URLs
 * written from the forwarded Host and X-Forwarded-Proto as Verdaccio writes them.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NpmjsStandIn, startNpmjsStandIn } from '../../scripts/registry/npmjs-stand-in.js';

const exec = promisify(execFile);
const NAME = 'genimix-stand-in-probe';
const VERSION = '1.0.0';
const NPMJS = 'https://registry.npmjs.org';
const TARBALL_PATH = `/${NAME}/-/${NAME}-${VERSION}.tgz`;

interface Seen {
  method: string;
  url: string;
  host?: string;
  proto?: string;
}

let tmp: string;
let tarball: Buffer;
let registry: http.Server;
const seen: Seen[] = [];
let standIn: NpmjsStandIn;

/** A registry of one package that writes its tarball URL from the request, as Verdaccio does. */
function fakeRegistry(): http.Server {
  return http.createServer((req, res) => {
    const host = req.headers.host;
    const proto = req.headers['x-forwarded-proto'] as string | undefined;
    seen.push({ method: req.method ?? '', url: req.url ?? '', host, proto });
    if (req.url === `/${NAME}`) {
      const dist = {
        tarball: `${proto ?? 'http'}://${host}${TARBALL_PATH}`,
        shasum: createHash('sha1').update(tarball).digest('hex'),
        integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          name: NAME,
          'dist-tags': { latest: VERSION },
          versions: { [VERSION]: { name: NAME, version: VERSION, dist } },
        }),
      );
    } else if (req.url === TARBALL_PATH) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(tarball);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    }
  });
}

/** npm as a new user runs it: no npmrc, an empty cache (unless `extra` names one), no retries; plus `extra`. */
function npmEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const k = key.toLowerCase();
    if (
      k.startsWith('npm_config_') ||
      k.endsWith('_proxy') ||
      k === 'node_extra_ca_certs' ||
      k === 'node_use_env_proxy'
    )
      continue;
    env[key] = value;
  }
  return {
    ...env,
    npm_config_userconfig: path.join(tmp, 'empty.npmrc'),
    npm_config_cache: path.join(tmp, `cache-${Math.random().toString(36).slice(2)}`),
    npm_config_fetch_retries: '0',
    npm_config_update_notifier: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

const npm = (args: string[], env: NodeJS.ProcessEnv, cwd = tmp) =>
  exec('npm', [...args, `--registry=${NPMJS}`], { cwd, env, encoding: 'utf8' });

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'npmjs-stand-in-test-'));
  await writeFile(path.join(tmp, 'empty.npmrc'), '');
  const source = path.join(tmp, 'source');
  await mkdir(source);
  await writeFile(path.join(source, 'package.json'), JSON.stringify({ name: NAME, version: VERSION }));
  await writeFile(path.join(source, 'index.js'), 'module.exports = 42;\n');
  const { stdout } = await exec('npm', ['pack', '--silent'], { cwd: source, env: npmEnv({}) });
  tarball = await readFile(path.join(source, stdout.trim()));
  registry = fakeRegistry();
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  standIn = await startNpmjsStandIn({
    registryUrl: `http://127.0.0.1:${(registry.address() as AddressInfo).port}/`,
    logDir: tmp,
  });
});

afterAll(async () => {
  await standIn?.close();
  await new Promise((resolve) => registry?.close(resolve));
  await rm(tmp, { recursive: true, force: true });
});

describe('npmjs.org stand-in', () => {
  it('answers npm view for https://registry.npmjs.org from the loopback registry', async () => {
    const { stdout } = await npm(['view', NAME, 'version'], npmEnv(standIn.env));
    expect(stdout.trim()).toBe(VERSION);
    expect(standIn.requests).toContain('CONNECT registry.npmjs.org:443');
    expect(standIn.requests).toContain(`GET ${NPMJS}/${NAME}`);
    expect(seen).toContainEqual({ method: 'GET', url: `/${NAME}`, host: 'registry.npmjs.org', proto: 'https' });
  });

  it('brings the tarball back through the proxy from its rewritten https URL', async () => {
    const env = npmEnv(standIn.env);
    const { stdout: url } = await npm(['view', `${NAME}@${VERSION}`, 'dist.tarball'], env);
    expect(url.trim()).toBe(`${NPMJS}${TARBALL_PATH}`);
    const into = await mkdtemp(path.join(tmp, 'pack-'));
    const { stdout: file } = await npm(['pack', `${NAME}@${VERSION}`, '--silent'], env, into);
    expect(await readFile(path.join(into, file.trim()))).toEqual(tarball);
    expect(standIn.requests).toContain(`GET ${NPMJS}${TARBALL_PATH}`);
    const { stdout: cached } = await exec('npm', ['cache', 'ls', NAME], { env, encoding: 'utf8' });
    // npm cached it in the stand-in's cache, which close() removes, not in the user's.
    expect(cached).toContain(`${NPMJS}${TARBALL_PATH}`);
    expect(standIn.env.npm_config_cache?.startsWith(path.dirname(standIn.caFile))).toBe(true);
    expect(seen).toContainEqual({ method: 'GET', url: TARBALL_PATH, host: 'registry.npmjs.org', proto: 'https' });
    const log = await readFile(path.join(tmp, 'npmjs-stand-in.log'), 'utf8');
    expect(log).toContain(`GET ${NPMJS}${TARBALL_PATH} → 200`);
  });

  it('refuses CONNECT to any other host and plain-HTTP proxy requests, and records them', async () => {
    const proxy = new URL(standIn.proxyUrl);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: 'api.n8n.io:443' });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    const plain = await new Promise<number | undefined>((resolve, reject) => {
      http
        .get({ host: proxy.hostname, port: proxy.port, path: 'http://example.org/x' }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    expect(plain).toBe(403);
    expect(standIn.requests).toContain('CONNECT api.n8n.io:443');
    expect(standIn.requests).toContain('GET http://example.org/x');
    expect(seen.some((s) => s.url.includes('api.n8n.io') || s.url === '/x')).toBe(false);
  });

  it('is not trusted without its CA: npm through the proxy alone fails on the certificate', async () => {
    // A fresh cache too: npm answers from stale cache entries when the registry fails.
    const {
      NODE_EXTRA_CA_CERTS: _ca,
      npm_config_cafile: _cafile,
      npm_config_cache: _cache,
      ...proxyOnly
    } = standIn.env;
    const before = seen.length;
    const failed = await npm(['view', NAME, 'version'], npmEnv(proxyOnly)).then(
      () => undefined,
      (error: Error & { stderr?: string }) => error,
    );
    expect(failed?.stderr).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    expect(seen.length).toBe(before);
  });
});
