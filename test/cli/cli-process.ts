/**
 * Runs the built `genimix` command (packages/cli/dist/cli.js) as a user's shell would: its own
 * process, a clean environment, stdout kept as bytes (it may carry an image), stderr as text.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built command: `pnpm build` makes it. */
export const CLI = path.join(ROOT, 'packages', 'cli', 'dist', 'cli.js');

/** How a run ended. */
export interface CliResult {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** A run in progress. */
export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  /** stderr so far. */
  stderr(): string;
  /** Resolves once stderr matches `pattern` (rejects if the process ends first). */
  whenStderr(pattern: RegExp): Promise<void>;
  /** Resolves when the process has ended and its streams are closed. */
  done: Promise<CliResult>;
}

/** What a run gets: its environment (only these variables, and PATH), working folder and stdin. */
export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Written to stdin, which is then closed; absent: stdin is closed at once. */
  stdin?: Buffer | string;
}

/** Starts `genimix args...`. */
export function startCli(args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  let stderr = '';
  const watchers: Array<{ pattern: RegExp; resolve: () => void; reject: (error: Error) => void }> = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    for (const watcher of watchers.filter((w) => w.pattern.test(stderr))) {
      watchers.splice(watchers.indexOf(watcher), 1);
      watcher.resolve();
    }
  });
  child.stdin.on('error', () => {});
  child.stdin.end(options.stdin);
  const done = once(child, 'close').then(([code]) => {
    for (const watcher of watchers.splice(0)) {
      watcher.reject(new Error(`genimix ended (${code}) before stderr matched ${watcher.pattern}: ${stderr}`));
    }
    return { code: code as number | null, stdout: Buffer.concat(stdout), stderr };
  });
  return {
    child,
    stderr: () => stderr,
    whenStderr: (pattern) =>
      pattern.test(stderr)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => watchers.push({ pattern, resolve, reject })),
    done,
  };
}

/** Runs `genimix args...` to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** The JSON objects of a `--json` output, one per line. */
export function jsonLines(text: string | Buffer): any[] {
  return text
    .toString()
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line));
}
