import { execFileSync, spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NODES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'nodes');
let workDir: string;
let packageDir: string;

type ScanResult = { passed: boolean; message?: string; details?: string };

/** The scanner's verdict on a folder, from scripts/scan-n8n-package.mjs in its own process. */
function analyzePackage(folder: string): ScanResult {
  const script = path.resolve(NODES_DIR, '..', 'scripts', 'scan-n8n-package.mjs');
  const run = spawnSync(process.execPath, [script, folder], { encoding: 'utf8' });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`scanner failed: ${run.stderr}`);
  return JSON.parse(line) as ScanResult;
}

/** The package as it would be published: `pnpm pack`, then unpacked. */
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-n8n-pack-'));
  execFileSync('pnpm', ['pack', '--pack-destination', workDir], { cwd: NODES_DIR, stdio: 'pipe' });
  const tarball = (await readdir(workDir)).find((f) => f.endsWith('.tgz'))!;
  packageDir = path.join(workDir, 'package');
  await mkdir(packageDir);
  execFileSync('tar', ['-xzf', path.join(workDir, tarball), '-C', packageDir, '--strip-components=1']);
});
afterAll(() => rm(workDir, { recursive: true, force: true }));

describe('the packed n8n-nodes-genimix tarball', () => {
  it('holds only dist/, the README and the licence, with the n8n manifest n8n expects', async () => {
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: packageDir, encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        './dist/credentials/GenimixApi.credentials.js',
        './dist/credentials/genimix.svg',
        './dist/credentials/genimix.dark.svg',
        './dist/nodes/Genimix/Genimix.node.js',
        './dist/nodes/Genimix/Genimix.node.json',
        './dist/nodes/Genimix/genimix.svg',
        './dist/nodes/Genimix/genimix.dark.svg',
        './package.json',
        './README.md',
      ]),
    );
    expect(files.filter((f) => !/^\.\/(dist\/|package\.json$|README\.md$|LICENSE$)/.test(f))).toEqual([]);
    const manifest = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as Record<string, any>;
    expect(manifest.name).toBe('n8n-nodes-genimix');
    expect(manifest.license).toBe('MIT');
    expect(manifest.keywords).toContain('n8n-community-node-package');
    expect(manifest.files).toEqual(['dist']);
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toEqual({ 'n8n-workflow': '*' });
    expect(manifest.n8n).toEqual({
      n8nNodesApiVersion: 1,
      strict: true,
      credentials: ['dist/credentials/GenimixApi.credentials.js'],
      nodes: ['dist/nodes/Genimix/Genimix.node.js'],
    });
    expect(manifest.scripts?.prepare ?? manifest.scripts?.postinstall ?? manifest.overrides).toBeUndefined();
  });

  it('carries the licences of the packages bundled in with the core (MIT: their notice must travel with the code)', async () => {
    const notices = await readFile(path.join(packageDir, 'dist', 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const name of ['image-size']) {
      expect(notices).toMatch(
        new RegExp(`## ${name.replace('.', '\\.')} [^\\n]*\\(MIT\\)\\n\\n\`\`\`\\n[^]*?Permission is hereby granted`),
      );
    }
    expect(notices).not.toContain('## @genimix/');
  });

  it('bundles the core without undici, and requires nothing but n8n-workflow and zod', async () => {
    for (const file of ['dist/nodes/Genimix/Genimix.node.js', 'dist/credentials/GenimixApi.credentials.js']) {
      const code = await readFile(path.join(packageDir, file), 'utf8');
      const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1]);
      expect(new Set(required)).toSatisfy((set: Set<string>) =>
        [...set].every((m) => ['n8n-workflow', 'zod/v4'].includes(m)),
      );
      expect(code).not.toMatch(/require\(["']undici/);
      expect(code).not.toMatch(/\b(setTimeout|setInterval|setImmediate|globalThis|__dirname|__filename)\b/);
      expect(code).not.toMatch(/\bprocess\./);
    }
  });

  it("passes the community-package scanner's rules, run offline over its JavaScript", async () => {
    const result = analyzePackage(packageDir);
    expect(result.details ?? result.message ?? '').toBe('');
    expect(result.passed).toBe(true);
  });

  it('the same scan fails a copy that uses a banned global, so the gate is real', async () => {
    const tampered = path.join(workDir, 'tampered');
    execFileSync('cp', ['-r', packageDir, tampered]);
    await appendFile(path.join(tampered, 'dist/nodes/Genimix/Genimix.node.js'), '\nsetTimeout(() => {}, 1);\n');
    const result = analyzePackage(tampered);
    expect(result.passed).toBe(false);
    expect(result.details).toMatch(/setTimeout/);
    expect(result.details).toMatch(/no-restricted-globals/);
  });
});
