/**
 * The built node package, staged for n8n as an installed community package would be: `package.json`
 * and `dist` (what `files` publishes; from `nodes/`, or `GENIMIX_N8N_NODE_DIR`) in a custom-extensions
 * folder loaded with `N8N_CUSTOM_EXTENSIONS` (node type `CUSTOM.genimix`), its `n8n-workflow`, `zod`
 * and the other packages n8n lends its nodes resolving to n8n's own copies.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir, readJson } from './install.js';

/** The repository's root folder. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const nodePackageDir = path.resolve(process.env.GENIMIX_N8N_NODE_DIR || path.join(root, 'nodes'));

/** Packages the node may import at run time; they resolve to n8n's own copies, as in a real install. */
const N8N_PROVIDED = ['n8n-workflow', 'zod', 'lodash', 'moment', 'luxon', 'p-limit'];

export interface StagedPackage {
  /** The folder for `N8N_CUSTOM_EXTENSIONS`. */
  dir: string;
  version: string;
  nodes: number;
  credentials: number;
}

/**
 * Copies the built package into `<tmp>/ext/custom/<name>`, with n8n's lent packages linked above it.
 * @throws when the package is missing or not built (`pnpm --filter n8n-nodes-genimix build`)
 */
export async function stageNodePackage(tmp: string): Promise<StagedPackage> {
  const manifest = await readJson<{
    name?: string;
    version?: string;
    n8n?: { nodes?: string[]; credentials?: string[] };
  }>(path.join(nodePackageDir, 'package.json')).catch(() => {
    throw new Error(`${nodePackageDir}/package.json is missing: is the node package there?`);
  });
  const files = [...(manifest.n8n?.nodes ?? []), ...(manifest.n8n?.credentials ?? [])];
  if (!manifest.n8n?.nodes?.length) throw new Error(`${nodePackageDir}/package.json has no n8n.nodes`);
  for (const file of files) {
    if (!existsSync(path.join(nodePackageDir, file)))
      throw new Error(
        `${file} is missing in ${nodePackageDir}: build it first (pnpm --filter n8n-nodes-genimix build)`,
      );
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
    const from = [
      path.join(cacheDir, 'node_modules', 'n8n', 'node_modules', name),
      path.join(cacheDir, 'node_modules', name),
    ].find((p) => existsSync(p));
    if (from) await symlink(from, path.join(shared, name), 'dir');
  }
  return {
    dir: extensions,
    version: manifest.version ?? '?',
    nodes: manifest.n8n.nodes.length,
    credentials: manifest.n8n.credentials?.length ?? 0,
  };
}
