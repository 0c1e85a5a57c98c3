/**
 * The workspace's publishable packages, as pnpm lists them: what `changeset publish` publishes.
 * Shared by `pnpm test:registry` (which publishes them) and test/packages (which packs them).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A workspace package that `changeset publish` publishes (not private). */
export interface PublishablePackage {
  name: string;
  version: string;
  /** Absolute path of its folder. */
  dir: string;
  /** Its folder relative to the repository's root, with forward slashes (`packages/core`). */
  relativeDir: string;
}

/** Every non-private package of the pnpm workspace (`pnpm ls -r`), sorted by name. */
export function publishablePackages(): PublishablePackage[] {
  const listed = JSON.parse(
    execFileSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: ROOT, encoding: 'utf8' }),
  ) as { name: string; version: string; path: string; private: boolean }[];
  return listed
    .filter((p) => !p.private)
    .map((p) => ({
      name: p.name,
      version: p.version,
      dir: p.path,
      relativeDir: path.relative(ROOT, p.path).split(path.sep).join('/'),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
