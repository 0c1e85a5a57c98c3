/**
 * `@genimix/mcp-server` as npm users get it: its built dist/ packed with pnpm (as publishing
 * packs it) and the tarball installed alone into an empty folder with npm, offline, so that any
 * dependency left to resolve would fail the install. Shared by the bundle's test and the
 * start-up bench.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The mcp-server package folder of this workspace. */
export const MCP_SERVER_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'mcp-server');

/** An installed copy of the packed server; remove it with {@link InstalledServer.remove}. */
export interface InstalledServer {
  /** The temporary folder holding the tarball and the install. */
  folder: string;
  /** The tarball `pnpm pack` made. */
  tarball: string;
  /** The tarball's size, bytes. */
  tarballBytes: number;
  /** `<app>/node_modules/@genimix/mcp-server`. */
  packageDir: string;
  /** `<app>/node_modules/.bin/genimix-mcp`, the link npm made (run it directly: its shebang says node). */
  bin: string;
  /** What `npm install` printed. */
  installLog: string;
  remove(): Promise<void>;
}

/**
 * Packs the server's current dist/ (build it first: `pnpm build`) and installs it with
 * `npm install --offline --no-audit --no-fund <tarball>` into `<temp>/app`.
 * @throws when packing or installing fails (the error carries npm's output)
 */
export async function installPackedServer(): Promise<InstalledServer> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'genimix-mcp-packed-'));
  try {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', folder], { cwd: MCP_SERVER_DIR });
    const tarball = path.join(folder, (await readdir(folder)).find((f) => f.endsWith('.tgz')) ?? '');
    if (!tarball.endsWith('.tgz')) throw new Error(`pnpm pack made no tarball:\n${stdout}`);
    const app = path.join(folder, 'app');
    await mkdir(app);
    // An empty folder of its own, with no registry reachable: npm must find everything in the tarball.
    const installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], {
      cwd: app,
      env: { ...process.env, npm_config_registry: 'http://127.0.0.1:9/', npm_config_update_notifier: 'false' },
    });
    return {
      folder,
      tarball,
      tarballBytes: (await stat(tarball)).size,
      packageDir: path.join(app, 'node_modules', '@genimix', 'mcp-server'),
      bin: path.join(app, 'node_modules', '.bin', 'genimix-mcp'),
      installLog: installed.stdout + installed.stderr,
      remove: () => rm(folder, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

/** Every file under `dir` (recursively), with its size in bytes. */
export async function filesUnder(dir: string): Promise<{ path: string; bytes: number }[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
  return Promise.all(files.map(async (file) => ({ path: file, bytes: (await stat(file)).size })));
}
