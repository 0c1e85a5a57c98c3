/**
 * Publishing as the project releases: `pnpm release` (`pnpm build && changeset publish`) from the
 * repository, pointed at the test registry by environment only (a temporary npmrc with the
 * registry and a token, `npm_config_userconfig`, `npm_config_registry`); `--no-git-tag`, so a
 * test run leaves no release tags in the repository.
 */
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Checks } from '../n8n/checks.js';
import { root } from '../n8n/package.js';
import { MINUTE, run } from '../n8n/processes.js';
import type { PublishablePackage } from '../workspace-packages.js';
import { packument, type Registry } from './verdaccio.js';

/** Runs `pnpm release --no-git-tag` against `registry` with `token`; returns its exit code and output. */
export async function release(
  registry: Registry,
  token: string,
  tmp: string,
): Promise<{ code: number | null; stdout: string }> {
  const npmrc = path.join(tmp, 'publisher.npmrc');
  await writeFile(npmrc, `registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${token}\n`);
  const env: NodeJS.ProcessEnv = { ...process.env };
  // pnpm exports its own npm_config_* to scripts: the release must see only the test registry's.
  for (const key of Object.keys(env)) if (key.toLowerCase().startsWith('npm_config_')) delete env[key];
  Object.assign(env, {
    npm_config_userconfig: npmrc,
    npm_config_registry: registry.url,
    npm_config_update_notifier: 'false',
    CI: 'true',
  });
  const result = await run('pnpm', ['release', '--no-git-tag'], { cwd: root, env, timeoutMs: 10 * MINUTE });
  return { code: result.timedOut ? null : result.code, stdout: result.stdout };
}

/** What one package looks like in the registry after the release. */
export interface Published {
  name: string;
  version: string;
  tarballBytes?: number;
  dependencies: string[];
}

/**
 * Checks that each publishable package is in the registry at its workspace version, as `latest`,
 * with no `workspace:` range, its tarball stored locally (not from the uplink); returns what was found.
 */
export async function checkPublished(
  registry: Registry,
  packages: PublishablePackage[],
  c: Checks,
): Promise<Published[]> {
  const published: Published[] = [];
  for (const pkg of packages) {
    const doc = await packument(registry, pkg.name);
    if (!c.ok(doc?.versions?.[pkg.version], `${pkg.name}@${pkg.version} is in the registry`)) continue;
    const manifest = doc!.versions![pkg.version]!;
    c.equal(doc!['dist-tags']?.latest, pkg.version, `${pkg.name}: dist-tag latest`);
    const ranges = { ...manifest.dependencies, ...manifest.peerDependencies };
    const workspaceRanges = Object.entries(ranges).filter(([, range]) => range.startsWith('workspace:'));
    c.ok(
      workspaceRanges.length === 0,
      `${pkg.name}: no workspace: range in its published dependencies${workspaceRanges.length ? ` (${workspaceRanges.map(([n, r]) => `${n} ${r}`).join(', ')})` : ''}`,
    );
    const tarball = path.join(registry.storage, pkg.name, `${pkg.name.split('/').pop()}-${pkg.version}.tgz`);
    const size = await stat(tarball).then(
      (s) => s.size,
      () => undefined,
    );
    c.ok(
      size !== undefined,
      `${pkg.name}: its tarball is in the registry's own storage (${path.relative(registry.storage, tarball)})`,
    );
    published.push({
      name: pkg.name,
      version: pkg.version,
      tarballBytes: size,
      dependencies: Object.entries(manifest.dependencies ?? {}).map(([n, r]) => `${n} ${r}`),
    });
  }
  return published;
}
