/**
 * Child processes of a real-n8n run: one-shot commands and long-running services, all in their own
 * process groups, their output in one run log (shown when the run fails), every one stopped with its
 * children on failure and on Ctrl-C, then the registered clean-ups run in reverse order.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

export const MINUTE = 60_000;

/** `1234` ms as `1.2s`, for the report. */
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

let logStream: WriteStream | undefined;
let logPath = '';
const children = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void>> = [];

/** Opens the run log (every child's output goes there). */
export function openRunLog(file: string): void {
  logPath = file;
  logStream = createWriteStream(file);
}

/** Writes a line to the run log (not to the console). */
export function logLine(line: string): void {
  logStream?.write(`${line}\n`);
}

/** Registers a clean-up (stop a server, dump its log); they run in reverse order after the children stop. */
export function onCleanup(fn: () => Promise<void>): void {
  cleanups.push(fn);
}

/**
 * Runs `fn` as a step of the report: `✓ title: detail (1.2s)` or `✗ title (1.2s)` (then rethrows).
 * `indent` nests a scenario's steps under its heading.
 */
export async function step<T>(
  title: string,
  fn: () => Promise<T>,
  detail?: (value: T) => string,
  indent = '  ',
): Promise<T> {
  const t0 = performance.now();
  logLine(`\n=== ${title}`);
  try {
    const value = await fn();
    const extra = detail ? `: ${detail(value)}` : '';
    console.log(`${indent}✓ ${title}${extra} (${secs(performance.now() - t0)})`);
    return value;
  } catch (err) {
    console.log(`${indent}✗ ${title} (${secs(performance.now() - t0)})`);
    throw err;
  }
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Extra file that receives the output as well (e.g. the cache's install.log). */
  teeTo?: WriteStream;
  /** Keep stdout out of the run log (query results: large, and the caller reads them). */
  quiet?: boolean;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stdout as UTF-8 (stderr goes to the log only). */
  stdout: string;
  timedOut: boolean;
}

/** Runs a command in its own process group; stdout and stderr go to the log, stdout is also returned. Never rejects on a non-zero exit. */
export function run(command: string, args: string[], options: RunOptions): Promise<RunResult> {
  logLine(`$ ${[command, ...args].join(' ')}`.slice(0, 2000));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(child);
    const chunks: Buffer[] = [];
    child.stdout!.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (!options.quiet) logStream?.write(chunk);
      options.teeTo?.write(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      logStream?.write(chunk);
      options.teeTo?.write(chunk);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      logLine(`(timed out after ${secs(options.timeoutMs)}: stopping it)`);
      void killTree(child);
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`could not start ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      logLine(`(exit ${code ?? signal})`);
      resolve({ code, signal, stdout: Buffer.concat(chunks).toString('utf8'), timedOut });
    });
  });
}

/** {@link run}, throwing `"<what> failed (exit N)"` or `"<what> timed out after …"` unless it exits 0. */
export async function runOk(what: string, command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.timedOut) throw new Error(`${what} timed out after ${secs(options.timeoutMs)}`);
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code ?? result.signal})`);
  return result;
}

/** A long-running child (n8n main, a worker, Redis): its output, line by line, and a way to stop it. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (stdout and stderr, interleaved). */
  output(): string;
  /**
   * Resolves once its output matches `pattern` (already printed or printed later); rejects when it
   * exits first or `timeoutMs` passes, with the last lines of its output in the message.
   */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM to its process group, SIGKILL 5 s later if anything of it is left. */
  stop(): Promise<void>;
}

/** Starts a long-running child in its own process group; its lines go to the run log prefixed `[name]`. */
export function startService(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv },
): Service {
  logLine(`$ [${name}] ${[command, ...args].join(' ')}`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  let text = '';
  const listeners = new Set<() => void>();
  let partial = '';
  const onData = (chunk: Buffer) => {
    const s = chunk.toString('utf8');
    text += s;
    partial += s;
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) logLine(`[${name}] ${line}`);
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let exited = false;
  let startError: Error | undefined;
  child.once('error', (err) => {
    startError = new Error(`could not start ${name} (${command}): ${err.message}`);
    for (const listener of [...listeners]) listener();
  });
  child.once('close', (code, signal) => {
    exited = true;
    children.delete(child);
    if (partial) logLine(`[${name}] ${partial}`);
    logLine(`[${name}] (exit ${code ?? signal})`);
    for (const listener of [...listeners]) listener();
  });
  const tail = () => text.split('\n').slice(-15).join('\n');
  return {
    name,
    child,
    output: () => text,
    waitFor(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) return done(() => resolve(match));
          if (startError) return done(() => reject(startError));
          if (exited)
            return done(() =>
              reject(new Error(`${name} exited before printing ${pattern}; its last lines:\n${tail()}`)),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(`${name} did not print ${pattern} within ${secs(timeoutMs)}; its last lines:\n${tail()}`),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
    stop: () => killTree(child),
  };
}

/** SIGTERM to the child's process group, SIGKILL 5 s later if anything of it is left. */
export async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      try {
        child.kill(signal);
      } catch {
        /* gone */
      }
    }
  };
  signalGroup('SIGTERM');
  const exited = new Promise<boolean>((resolve) => child.once('close', () => resolve(true)));
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([
    exited,
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 5000))),
  ]);
  clearTimeout(timer);
  if (!waited) signalGroup('SIGKILL');
}

let cleaning: Promise<void> | undefined;
/** Stops every child process, then runs the clean-ups in reverse order; once, however often called. */
export function stopAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of [...children]) await killTree(child);
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        console.error(`  (clean-up: ${(err as Error).message})`);
      }
    }
  })();
  return cleaning;
}

/** Closes the run log. */
export async function closeRunLog(): Promise<void> {
  const stream = logStream;
  logStream = undefined;
  if (stream) await new Promise<void>((resolve) => stream.end(resolve));
}

/** Prints the last 400 lines of the run log to stderr (after a failure). */
export async function showRunLog(): Promise<void> {
  if (!logPath || !existsSync(logPath)) return;
  await new Promise<void>((resolve) => (logStream ? logStream.write('', () => resolve()) : resolve()));
  const lines = (await readFile(logPath, 'utf8')).split('\n');
  const shown = lines.slice(-400);
  console.error(
    `\n---- log of the child processes (${logPath}${shown.length < lines.length ? `, last ${shown.length} of ${lines.length} lines` : ''}) ----`,
  );
  console.error(shown.join('\n'));
  console.error('---- end of log ----');
}

/**
 * On SIGINT/SIGTERM: says what it stops, runs `stop` (children and clean-ups), exits 130. A closed
 * stdout (`| head`) must not kill the script before it has cleaned up either.
 */
export function stopOnSignals(what: string, stop: () => Promise<void>): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping ${what}…`);
      void stop().finally(() => process.exit(130));
    });
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The trimmed stdout of a quick command that exits 0, else undefined. */
export function commandOk(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Calls `probe` until it returns a value other than undefined, with `intervalMs` between calls, and
 * throws `"<what> within <deadline>"` when `timeoutMs` passes first. For waiting on another process
 * (an execution to finish, a server to answer), never as synchronisation within this one.
 */
export async function pollUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${secs(timeoutMs)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
