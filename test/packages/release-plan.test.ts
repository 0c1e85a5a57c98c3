import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { publishablePackages, ROOT } from './pack.js';

const run = promisify(execFile);
const CHANGESET = path.join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');
let dir: string | undefined;
afterEach(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/**
 * The packages whose version changesets bumps for one changeset naming only `names` (a patch),
 * as name → new version, in a copy of the workspace's manifests and changeset config.
 */
async function bumpedBy(names: string[]): Promise<Record<string, string>> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'genimix-release-plan-'));
  for (const file of ['package.json', 'pnpm-workspace.yaml', '.changeset/config.json']) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(dir, file));
  }
  for (const pkg of publishablePackages()) {
    await mkdir(path.join(dir, pkg.relativeDir), { recursive: true });
    await cp(path.join(ROOT, pkg.relativeDir, 'package.json'), path.join(dir, pkg.relativeDir, 'package.json'));
  }
  const front = names.map((name) => `"${name}": patch`).join('\n');
  await writeFile(path.join(dir, '.changeset', 'only-these.md'), `---\n${front}\n---\n\nA fix.\n`);
  const before = await versions(dir);
  // `changeset version` (what pnpm version-packages runs) in the copy; `status` would need git.
  await run(process.execPath, [CHANGESET, 'version'], { cwd: dir });
  const after = await versions(dir);
  return Object.fromEntries(Object.entries(after).filter(([name, version]) => version !== before[name]));
}

async function versions(root: string): Promise<Record<string, string>> {
  const entries = publishablePackages().map(async (pkg) => {
    const manifest = JSON.parse(await readFile(path.join(root, pkg.relativeDir, 'package.json'), 'utf8'));
    return [pkg.name, manifest.version as string] as const;
  });
  return Object.fromEntries(await Promise.all(entries));
}

// The MCP server and the n8n node carry the core inside their bundles, with the core only as a
// devDependency, which changesets does not follow: without the "fixed" group a core fix would be
// published as a new core while npx and n8n kept installing bundles with the old one. The CLI is a
// thin adapter over the core, released with it so that one version names one behaviour.
it('a change to the core alone releases the MCP server, the n8n node and the CLI with it', async () => {
  const bumped = await bumpedBy(['@genimix/core']);
  // The emulator depends on the core with a caret range, which takes the new core without a release.
  expect(Object.keys(bumped).sort()).toEqual([
    '@genimix/cli',
    '@genimix/core',
    '@genimix/mcp-server',
    'n8n-nodes-genimix',
  ]);
});
