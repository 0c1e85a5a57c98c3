import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { PublishablePackage } from '../../scripts/workspace-packages.js';

export { type PublishablePackage, publishablePackages, ROOT } from '../../scripts/workspace-packages.js';

/** A packed package: its tarball, and the tarball's contents unpacked. */
export interface PackedPackage {
  tarball: string;
  /** The unpacked `package/` folder. */
  root: string;
  /** Every file, relative to `root` with forward slashes, and its mode bits. */
  files: Map<string, number>;
}

/**
 * Packs a package as `pnpm publish` would (`pnpm pack`: workspace ranges replaced, `files`
 * applied) into `dest`, and unpacks the tarball beside it with the system's `tar`.
 */
export async function packAndUnpack(pkg: PublishablePackage, dest: string): Promise<PackedPackage> {
  const packed = JSON.parse(
    execFileSync('pnpm', ['pack', '--pack-destination', dest, '--json'], { cwd: pkg.dir, encoding: 'utf8' }),
  ) as { filename: string };
  const root = path.join(dest, pkg.name.replace('/', '+'));
  await mkdir(root, { recursive: true });
  execFileSync('tar', ['-xzf', packed.filename, '-C', root, '--strip-components=1']);
  return { tarball: packed.filename, root, files: await listFiles(root) };
}

async function listFiles(root: string, prefix = ''): Promise<Map<string, number>> {
  const files = new Map<string, number>();
  for (const entry of await readdir(path.join(root, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [f, mode] of await listFiles(root, relative)) files.set(f, mode);
    else files.set(relative, (await stat(path.join(root, relative))).mode);
  }
  return files;
}

/**
 * Every file an `exports` (or `imports`) map points at, as `[condition path, target]` pairs:
 * `['. > types', './dist/index.d.ts']`.
 */
export function mapTargets(map: unknown, where = ''): [string, string][] {
  if (typeof map === 'string') return [[where, map]];
  if (map === null || typeof map !== 'object') return [];
  return Object.entries(map).flatMap(([key, value]) => mapTargets(value, where ? `${where} > ${key}` : key));
}
