/**
 * A new user's machine, as far as npm can tell: an empty project folder, a home of its own whose
 * `.npmrc` names the test registry and nothing else (no global npmrc either), an empty npm cache,
 * and a clean environment (PATH without any `node_modules/.bin`, no NODE_PATH, no npm_* variables
 * pnpm set for this script), so whatever runs there can only come from the registry.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Registry } from './verdaccio.js';

/** A user's folder and the environment to run npm, npx and what they install in it. */
export interface UserFolder {
  /** The empty project folder (the working directory of everything run there). */
  dir: string;
  home: string;
  /** Its npm cache, empty at first. */
  cache: string;
  env: NodeJS.ProcessEnv;
}

/** PATH with the workspace's (and any other) `node_modules/.bin` folders left out. */
export function cleanPath(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry && !entry.split(path.sep).includes('node_modules'))
    .join(path.delimiter);
}

/** Makes `<root>/<name>/{project,home,npm-cache}`; `.npmrc` in the home names only `registry`. */
export async function userFolder(root: string, name: string, registry: Registry): Promise<UserFolder> {
  const base = path.join(root, name);
  const dir = path.join(base, 'project');
  const home = path.join(base, 'home');
  const cache = path.join(base, 'npm-cache');
  await Promise.all([dir, home, cache].map((d) => mkdir(d, { recursive: true })));
  const npmrc = path.join(home, '.npmrc');
  await writeFile(npmrc, `registry=${registry.url}\n`);
  const globalNpmrc = path.join(base, 'global-npmrc');
  await writeFile(globalNpmrc, '');
  const env: NodeJS.ProcessEnv = {
    PATH: cleanPath(),
    HOME: home,
    USERPROFILE: home,
    LANG: process.env.LANG ?? 'C.UTF-8',
    TMPDIR: process.env.TMPDIR ?? '/tmp',
    npm_config_userconfig: npmrc,
    npm_config_globalconfig: globalNpmrc,
    npm_config_cache: cache,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    NO_COLOR: '1',
  };
  return { dir, home, cache, env };
}
