/**
 * One batch at a time per output folder. Two runs of the same batch at once (an overlapping cron
 * job, the command started again in a second terminal) would both find a line missing, both
 * Get 404 and both pay for its Generate: the resume-by-Get scheme holds only run after run.
 */
import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

/** The lock's file name in the output folder: it holds the running batch's process id. */
export const LOCK_FILE = '.genimix-batch.lock';

/**
 * How long an empty lock is taken for a run about to write its id, in ms; an older one is a run
 * killed in between (a power cut, where the file system keeps the new file but not its data).
 */
const EMPTY_LOCK_STALE_MS = 60_000;

/** Thrown when another live process holds the folder's lock. */
export class FolderBusyError extends Error {
  override name = 'FolderBusyError';
}

/**
 * Takes the lock of `dir` for this process and returns the function that releases it (at once,
 * synchronously, so that it can run just before `process.exit`). A lock whose process is gone
 * (killed outright, crashed) is taken over, and so is an empty one over a minute old (its run
 * killed before it wrote its id).
 *
 * @throws {FolderBusyError} when a live process holds it, saying which and what to do
 * @throws the file system's error when the lock cannot be written
 */
export async function lockFolder(dir: string): Promise<() => void> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return () => {
        // Only our own lock: never one another run took over after ours was judged stale.
        if (toPid(readLockSync(file)) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 1) throw error;
    }
    const content = await readFile(file, 'utf8').catch(() => undefined);
    if (content === undefined) continue;
    // Empty: its run has just created it and not yet written its id, so it is alive, unless long ago.
    const holder = toPid(content);
    const starting = content.trim() === '' && !(await olderThan(file, EMPTY_LOCK_STALE_MS));
    if (starting || (holder !== undefined && isAlive(holder))) {
      throw new FolderBusyError(
        `Another genimix batch (process ${holder ?? 'starting'}) is writing to ${dir}: wait for it to end, or use another --out-dir. If none is running, delete ${file}.`,
      );
    }
    await rm(file, { force: true });
  }
}

/** Whether `file` was last written more than `ms` ago (false when it is gone: the loop looks again). */
async function olderThan(file: string, ms: number): Promise<boolean> {
  const modified = (await stat(file).catch(() => undefined))?.mtimeMs;
  return modified !== undefined && Date.now() - modified > ms;
}

/** The lock's content, or `''` when it is gone. */
function readLockSync(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function toPid(text: string): number | undefined {
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether process `pid` exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
