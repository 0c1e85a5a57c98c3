import { execFileSync } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A workspace package that `changeset publish` publishes (not private). */
export interface PublishablePackage {
  name: string;
  /** Absolute path of its folder. */
  dir: string;
  /** Its folder relative to the repository's root, with forward slashes (`packages/core`). */
  relativeDir: string;
}

/** Every non-private package of the pnpm workspace, as `pnpm ls -r` lists them. */
export function publishablePackages(): PublishablePackage[] {
  const listed = JSON.parse(
    execFileSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: ROOT, encoding: 'utf8' }),
  ) as { name: string; path: string; private: boolean }[];
  return listed
    .filter((p) => !p.private)
    .map((p) => ({ name: p.name, dir: p.path, relativeDir: path.relative(ROOT, p.path).split(path.sep).join('/') }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

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
