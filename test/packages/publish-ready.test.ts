import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsumerProject, SETUPS, type SetupName } from './consumer.js';
import { mapTargets, type PackedPackage, packAndUnpack, publishablePackages, ROOT } from './pack.js';

const REPOSITORY = 'https://github.com/genimix/genimix-integrations';
const packages = publishablePackages();
const packed = new Map<string, PackedPackage>();
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-publish-ready-'));
  for (const pkg of packages) packed.set(pkg.name, await packAndUnpack(pkg, workDir));
}, 120_000);
afterAll(() => rm(workDir, { recursive: true, force: true }));

async function manifestOf(name: string): Promise<Record<string, any>> {
  return JSON.parse(await readFile(path.join(packed.get(name)!.root, 'package.json'), 'utf8'));
}

it('publishes the five packages, and the workspace root stays private', async () => {
  expect(packages.map((p) => p.name)).toEqual([
    '@genimix/cli',
    '@genimix/core',
    '@genimix/emulator',
    '@genimix/mcp-server',
    'n8n-nodes-genimix',
  ]);
  const root = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8'));
  expect(root.private).toBe(true);
  expect(root.scripts.release).toBe('pnpm build && changeset publish');
});

describe.each(packages)('the packed $name tarball', ({ name, relativeDir }) => {
  it('has a README for its npm page and the repository LICENSE', async () => {
    const { root } = packed.get(name)!;
    const readme = await readFile(path.join(root, 'README.md'), 'utf8');
    expect(readme.startsWith(`# ${name}\n`)).toBe(true);
    // How to install it, in the words of the ecosystem it is installed from.
    expect(readme).toSatisfy(
      (text: string) =>
        text.includes(`npm install ${name}`) ||
        text.includes(`npx -y ${name}`) ||
        text.includes(`Community Nodes → Install**, enter \`${name}\``),
    );
    expect(await readFile(path.join(root, 'LICENSE'), 'utf8')).toBe(await readFile(path.join(ROOT, 'LICENSE'), 'utf8'));
  });

  it('names its repository, folder, homepage, issues, keywords, author, licence and Node versions', async () => {
    const manifest = await manifestOf(name);
    expect(manifest.description?.length).toBeGreaterThan(30);
    expect(manifest.license).toBe('MIT');
    expect(manifest.repository).toEqual({
      type: 'git',
      url: expect.stringMatching(/^(git\+)?https:\/\/github\.com\/genimix\/genimix-integrations\.git$/),
      directory: relativeDir,
    });
    expect(manifest.homepage).toMatch(new RegExp(`^${REPOSITORY}(/|#|$)`));
    expect(manifest.bugs?.url ?? manifest.bugs).toBe(`${REPOSITORY}/issues`);
    expect(manifest.keywords).toContain('genimix');
    expect(manifest.author?.name ?? manifest.author).toMatch(/\w/);
    // The ES-module-only packages are require()d from CommonJS, which Node does without a flag from
    // 20.19 within 20.x and from 22.12 (Node 21 and 22.0-22.11 throw ERR_REQUIRE_ESM); the bundled
    // ones (MCP server, n8n node) load no ES module with require(). The CLI installs the core as a
    // dependency, so it runs where the core does.
    const likeTheCore = ['@genimix/core', '@genimix/emulator', '@genimix/cli'].includes(name);
    expect(manifest.engines).toEqual({ node: likeTheCore ? '^20.19.0 || >=22.12.0' : '>=20.19' });
    if (name.startsWith('@')) expect(manifest.publishConfig).toMatchObject({ access: 'public' });
  });

  it('has no workspace:, file: or link: range left for npm to choke on', async () => {
    const text = await readFile(path.join(packed.get(name)!.root, 'package.json'), 'utf8');
    expect(text).not.toMatch(/"(workspace|file|link):/);
  });

  it('ships every file its exports, imports, main, types and typesVersions name, with types for each entry', async () => {
    const manifest = await manifestOf(name);
    const { files } = packed.get(name)!;
    const has = (target: string) => files.has(path.posix.normalize(target));
    for (const [where, target] of [...mapTargets(manifest.exports), ...mapTargets(manifest.imports)]) {
      expect(has(target), `${where}: ${target}`).toBe(true);
    }
    for (const [subpath, conditions] of Object.entries<any>(manifest.exports ?? {})) {
      if (subpath === './package.json') continue;
      // TypeScript takes the first condition that matches: "types" must come first.
      expect(Object.keys(conditions)[0], subpath).toBe('types');
      expect(conditions.types, subpath).toMatch(/\.d\.ts$/);
      if (subpath === '.') {
        // node10 resolution reads main and types, not exports.
        expect([manifest.main, manifest.types]).toEqual([conditions.default, conditions.types]);
      } else {
        // ... and typesVersions for subpaths.
        expect(manifest.typesVersions?.['*']?.[subpath.slice(2)], subpath).toEqual([conditions.types]);
      }
    }
    for (const target of [manifest.main, manifest.types].filter(Boolean)) expect(has(target), target).toBe(true);
  });

  it('ships every file its code opens beside itself (new URL(…, import.meta.url))', async () => {
    const { root, files } = packed.get(name)!;
    // A missing asset fails quietly at times (sharp falls back to a system font), so look for it here.
    for (const file of [...files.keys()].filter((f) => /\.[cm]?js$/.test(f))) {
      const code = await readFile(path.join(root, file), 'utf8');
      for (const [, target] of code.matchAll(/new URL\(\s*["'](\.\.?\/[^"'`$]+)["']\s*,\s*import\.meta\.url\s*\)/g)) {
        const resolved = path.posix.join(path.posix.dirname(file), target!);
        expect(files.has(resolved), `${file} opens ${target}`).toBe(true);
      }
    }
  });

  it('ships its commands executable, with a node shebang', async () => {
    const manifest = await manifestOf(name);
    const { root, files } = packed.get(name)!;
    for (const [command, target] of Object.entries<string>(manifest.bin ?? {})) {
      const file = path.posix.normalize(target);
      expect(files.get(file), `${command}: ${file}`).toBeDefined();
      expect(files.get(file)! & 0o111, `${command} is executable`).toBe(0o111);
      expect((await readFile(path.join(root, file), 'utf8')).split('\n')[0]).toBe('#!/usr/bin/env node');
    }
  });

  it('ships no tests, fixtures, sources, maps of tests or .env files', async () => {
    const { root, files } = packed.get(name)!;
    const unwanted = [...files.keys()].filter((f) =>
      /(^|\/)(test|tests|__tests__|fixtures|src|node_modules)\/|\.(test|spec)\.[cm]?[jt]s|(^|\/)\.env|\.tsbuildinfo$|\.tgz$/.test(
        f,
      ),
    );
    expect(unwanted).toEqual([]);
    for (const map of [...files.keys()].filter((f) => f.endsWith('.map'))) {
      const { sources } = JSON.parse(await readFile(path.join(root, map), 'utf8')) as { sources: string[] };
      expect(
        sources.filter((s) => /(^|\/)(test|fixtures)\/|\.test\./.test(s)),
        map,
      ).toEqual([]);
    }
  });
});

describe('@genimix/core, @genimix/emulator and @genimix/cli installed from their tarballs with npm', () => {
  let consumerDir: string;
  let emulator: ChildProcess | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    consumerDir = path.join(workDir, 'consumer');
    await createConsumerProject(consumerDir, [
      packed.get('@genimix/core')!.tarball,
      packed.get('@genimix/emulator')!.tarball,
      packed.get('@genimix/cli')!.tarball,
    ]);
    // The emulator's own command, as npm linked it from the tarball.
    emulator = spawn(path.join(consumerDir, 'node_modules', '.bin', 'genimix-emulator'), ['--port', '0', '--no-log'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    baseUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      emulator!.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url) resolve(url);
      });
      emulator!.once('exit', (code) => reject(new Error(`genimix-emulator exited (${code}) before listening: ${out}`)));
    });
  }, 240_000);
  afterAll(() => {
    emulator?.kill();
  });

  // Each setup compiles once: its test checks the compiler's verdict, the runs use its output.
  const compiled = new Map<SetupName, Promise<{ stdout: string }>>();
  const tsc = (setup: SetupName) => {
    if (!compiled.has(setup)) {
      const compiler = path.join(consumerDir, 'node_modules/typescript/bin/tsc');
      const run = promisify(execFile)(process.execPath, [compiler, '-p', setup], { cwd: consumerDir });
      // tsc prints its diagnostics on stdout and exits non-zero: keep them for the assertion.
      compiled.set(
        setup,
        run.catch((error: { stdout?: string }) => ({ stdout: error.stdout || String(error) })),
      );
    }
    return compiled.get(setup)!;
  };
  const run = async (file: string) => {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file], {
      cwd: consumerDir,
      env: { ...process.env, GENIMIX_BASE_URL: baseUrl, NODE_OPTIONS: '' },
    });
    return { result: JSON.parse(stdout), stderr };
  };
  const expected = { contentType: 'image/png', notFound: true, sameClasses: true, createEmulator: 'function' };

  it.each(Object.keys(SETUPS) as SetupName[])(
    'TypeScript 5.9 compiles a consumer under moduleResolution %s',
    async (setup) => {
      const { stdout } = await tsc(setup);
      expect(stdout).toBe('');
    },
    60_000,
  );

  it.each([
    ['ESM (nodenext .mts)', 'nodenext/out/esm.mjs'],
    ['CommonJS through require(esm) (nodenext .cts)', 'nodenext/out/cjs.cjs'],
    ['CommonJS compiled under node10', 'node10/out/index.js'],
  ])(
    '%s runs against the packed emulator without a warning, errors instanceof the exported classes',
    async (_, file) => {
      expect((await tsc(file.split('/')[0] as SetupName)).stdout).toBe('');
      const { result, stderr } = await run(file);
      expect(result).toEqual(expected);
      expect(stderr).toBe('');
    },
    60_000,
  );
  it('the genimix command, as npm linked it, generates an image from the packed emulator with its dependencies from the registry', async () => {
    const genimix = path.join(consumerDir, 'node_modules', '.bin', 'genimix');
    const { stdout, stderr } = await promisify(execFile)(
      genimix,
      ['generate', 'A fox', '--id', 'packed-fox', '--json'],
      {
        cwd: workDir,
        env: {
          PATH: process.env.PATH,
          GENIMIX_API_KEY: 'dev-key',
          GENIMIX_PROJECT_ID: 'consumer',
          GENIMIX_BASE_URL: baseUrl,
        },
      },
    );
    expect(stderr).toBe('');
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ id: 'packed-fox', contentType: 'image/png', width: 1024, height: 1024 });
    expect((await readFile(result.file)).subarray(1, 4).toString()).toBe('PNG');
  }, 60_000);
});
