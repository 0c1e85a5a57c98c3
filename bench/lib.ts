/**
 * Shared pieces of the bench scripts: the emulator as a child process, cleanup on every way out,
 * a GC handle, undici as the core resolves it, and a plain-text table.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The repository's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const MiB = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Cleanup: child processes and temporary folders go away on a normal end, on a thrown error, on
// process.exit() and on SIGINT/SIGTERM. The 'exit' handler is synchronous, so it kills with
// SIGKILL and removes folders with rmSync; the normal path stops the emulator gracefully first.

/** Tracked children, each with the signal that ends it at exit. */
const children = new Map<ChildProcess, NodeJS.Signals>();
const tempDirs = new Set<string>();

process.on('exit', () => {
  for (const [child, signal] of children) if (isAlive(child)) child.kill(signal);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Registers a child process for cleanup: it gets `exitSignal` (default SIGKILL) if still alive
 * when this process ends (whichever way it ends). A process that has children of its own (nginx's
 * master) needs the signal that makes it end them: SIGKILL would leave them running. Returns the
 * child, for chaining.
 */
export function trackChild<T extends ChildProcess>(child: T, exitSignal: NodeJS.Signals = 'SIGKILL'): T {
  children.set(child, exitSignal);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A tracked child process's stderr tail, its exit, and a stop that ends in SIGKILL. */
export interface Supervised {
  /** The last 8 KiB of its stderr (when piped), for an error report. */
  stderr(): string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
  /** Sends `signal` unless it has exited already, then SIGKILL after `graceMs`; resolves once it has exited. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

/** Tracks `child` for cleanup (see {@link trackChild}) and keeps its stderr's tail, always draining the pipe. */
export function supervise(child: ChildProcess, exitSignal: NodeJS.Signals = 'SIGKILL'): Supervised {
  trackChild(child, exitSignal);
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8192);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stderr: () => stderr,
    exited,
    async stop(signal, graceMs) {
      if (!isAlive(child)) return;
      child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** A new temporary folder, removed when the process ends (whichever way it ends). */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Removes a temporary folder now. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/**
 * Runs a bench's main function: its result is the exit code; a thrown error prints and exits 1.
 * Cleanup (children, folders) happens in the 'exit' handler either way; `finish` runs first for a
 * graceful stop.
 */
export function runBench(main: () => Promise<number>, finish: () => Promise<void>): void {
  main()
    .catch((error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      return 1;
    })
    .then(async (code) => {
      await finish().catch((error: unknown) => process.stderr.write(`cleanup: ${String(error)}\n`));
      // Explicit: a keep-alive pool or a stray timer must not keep the process alive.
      process.exit(code);
    });
}

/** Whether a child process has neither exited nor been ended by a signal yet. */
export function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

// ---------------------------------------------------------------------------------------------
// The emulator in its own process, so that its memory and CPU are not the bench's.

export interface EmulatorProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pid: number;
  /** The line the emulator printed when it started listening. */
  readonly banner: string;
  /** The emulator's own peak RSS (VmHWM), in bytes, when /proc tells it. */
  peakRss(): number | undefined;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Starts `genimix-emulator --port 0 <args>` and waits for its "listening on" line. */
export async function startEmulator(args: readonly string[]): Promise<EmulatorProcess> {
  const bin = path.join(ROOT, 'packages', 'emulator', 'bin', 'genimix-emulator.js');
  const child = spawn(process.execPath, [bin, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const supervised = supervise(child);

  const banner = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => fail(new Error('the emulator did not start within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${error.message}\nemulator stderr:\n${supervised.stderr()}`));
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => /listening on http:\/\/\S+/.test(l));
      if (line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('error', (error) => fail(error));
    child.once('exit', (code, signal) =>
      fail(new Error(`the emulator exited (${signal ?? `code ${String(code)}`}) before listening`)),
    );
  });
  const url = /listening on (http:\/\/\S+)/.exec(banner)![1]!;
  const pid = child.pid!;
  return {
    url,
    pid,
    banner,
    peakRss() {
      try {
        const kib = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        return kib === undefined ? undefined : Number(kib) * 1024;
      } catch {
        return undefined;
      }
    },
    stop: () => supervised.stop('SIGTERM', 5_000),
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * `gc()`: the one `--expose-gc` gives, else the V8 flag set at run time and the function taken from
 * a fresh context (what Jest's --logHeapUsage does), else undefined.
 */
export function getGc(): { gc: (() => void) | undefined; how: string } {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return { gc: exposed, how: '--expose-gc' };
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    if (typeof gc === 'function')
      return { gc: gc as () => void, how: 'v8.setFlagsFromString (run with --expose-gc to be sure)' };
  } catch {
    // fall through
  }
  return { gc: undefined, how: 'unavailable: baselines are taken without a full GC' };
}

/**
 * undici, the very copy @genimix/core loads (createRequire from packages/core): it is the core's
 * dependency, not the root's, so `import 'undici'` does not resolve from bench/ (plain CommonJS
 * require finds it only through the NODE_PATH that pnpm's .bin shims set, which `node --import tsx`
 * does not have).
 */
export function loadUndici(): { undici: typeof import('undici'); path: string; version: string } {
  const require = createRequire(path.join(ROOT, 'packages', 'core', 'package.json'));
  const undici = require('undici') as typeof import('undici');
  const { version } = require('undici/package.json') as { version: string };
  return { undici, path: realpathSync(require.resolve('undici')), version };
}

/**
 * Which build of @genimix/core is measured: its dist's build time and the commit, "+dirty" when
 * packages/core has uncommitted changes (the core is being worked on while benches run).
 */
export function describeCore(): string {
  let built = 'not built';
  try {
    built = `dist built ${statSync(path.join(ROOT, 'packages', 'core', 'dist', 'index.js')).mtime.toISOString()}`;
  } catch {
    // keep "not built"
  }
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--', 'packages/core/src') !== '';
    return `@genimix/core ${built}, git ${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty (packages/core/src)' : ''}`;
  } catch {
    return `@genimix/core ${built}`;
  }
}

// ---------------------------------------------------------------------------------------------

/** Rows as an aligned text table; numbers right-aligned, the first column left-aligned. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The `q` quantile (0–1) of ascending `sorted` values, interpolated between neighbours (0.5 is
 * the median); NaN when there are none.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low]! + (sorted[Math.ceil(at)]! - sorted[low]!) * (at - low);
}

/** The median of `values` in any order; NaN when there are none. */
export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((x, y) => x - y),
    0.5,
  );
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
