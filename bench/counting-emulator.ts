/**
 * The emulator for bench/mcp-http-scale.ts: `createEmulator` in a child process of its own (so
 * that its CPU is not the clients'), which tells the bench every Generate it received, to prove
 * that none was sent twice (a replayed Generate would be billed twice).
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { isAlive, ROOT, trackChild } from './lib.js';

/** What the child is started with (JSON in argv). */
export interface ChildOptions {
  apiKey: string;
  profile: 'placeholder' | 'realistic';
  /** Generate latency per `provider/modelId`, in ms. */
  latencyMs: Record<string, number>;
}

/** One Generate the emulator received: its image id and how it ended. */
export interface GenerateRecord {
  imageId: string;
  /** The HTTP status; `'dropped'` when the caller went away first (nothing stored); `'pending'` only if it never ended. */
  status: number | 'dropped' | 'pending';
}

/** Parent → child. */
export type ParentMessage = { type: 'take'; id: number } | { type: 'close' };
/** Child → parent. */
type ChildMessage = { type: 'ready'; url: string } | { type: 'taken'; id: number; records: GenerateRecord[] };

/** A running counting emulator. */
export interface CountingEmulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly pid: number;
  /**
   * Every Generate received since the last call (or the start), once none is in progress any
   * more (or after 15 s); the next call starts afresh.
   */
  takeGenerates(): Promise<GenerateRecord[]>;
  /** Closes the emulator and ends the child (SIGKILL after 5 s). */
  stop(): Promise<void>;
}

/**
 * Starts the counting emulator in a child process and resolves with it once it listens.
 *
 * @throws {Error} when the child exits or does not listen within 20 s (bad options among them)
 */
export async function startCountingEmulator(options: ChildOptions): Promise<CountingEmulator> {
  const child = trackChild(
    fork(path.join(ROOT, 'bench', 'counting-emulator-child.ts'), [JSON.stringify(options)], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the emulator did not start within 20 s')), 20_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the emulator exited (${signal ?? `code ${String(code)}`}) before listening`));
    });
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.url);
      }
    });
  });
  let nextId = 0;
  return {
    url,
    pid: child.pid!,
    takeGenerates() {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const onMessage = (message: ChildMessage) => {
          if (message.type === 'taken' && message.id === id) {
            child.off('message', onMessage);
            child.off('exit', onExit);
            resolve(message.records);
          }
        };
        const onExit = () => reject(new Error('the emulator exited while the bench asked for its Generates'));
        child.on('message', onMessage);
        child.once('exit', onExit);
        child.send({ type: 'take', id } satisfies ParentMessage);
      });
    },
    async stop() {
      if (!isAlive(child)) return;
      child.send({ type: 'close' } satisfies ParentMessage);
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
