/**
 * Files written whole or not at all: the bytes go to a temporary file beside the target (same
 * folder, so same file system), are flushed to disk, and the temporary file is renamed over the
 * target. A reader never sees half an image, and an interrupted write leaves the target as it was.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** `.<target name>.<12 hex>.partial`: the temporary file of `<target name>`. */
const TEMPORARY = /^\.(.+)\.[0-9a-f]{12}\.partial$/;

/** Temporary files being written now, removed by {@link removeUnfinishedFiles} on a hard exit. */
const unfinished = new Set<string>();

/**
 * Writes `chunks` to `target` atomically and returns the number of bytes written. The temporary
 * file is `.<name>.<random>.partial` in the target's folder, removed on any failure.
 *
 * @throws the file system's error (`ENOSPC`, `EACCES`...), or the stream's, after cleaning up
 */
export async function writeAtomically(target: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
  const temp = temporaryPath(target);
  unfinished.add(temp);
  let bytes = 0;
  try {
    const handle = await open(temp, 'wx');
    try {
      for await (const chunk of chunks) {
        await handle.write(chunk);
        bytes += chunk.length;
      }
      // Flushed before the rename: a crash after it must not leave a renamed but empty file.
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    return bytes;
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    unfinished.delete(temp);
  }
}

/** A new temporary file's path for `target`: `.<name>.<12 random hex>.partial` beside it. */
export function temporaryPath(target: string): string {
  // 6 random bytes: the 12 hex digits of TEMPORARY.
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.partial`);
}

/**
 * Removes the temporary files of writes still under way, at once: for an exit that will not wait
 * for them to fail and clean up (a second Ctrl-C).
 */
export function removeUnfinishedFiles(): void {
  for (const temp of unfinished) rmSync(temp, { force: true });
  unfinished.clear();
}

/**
 * Removes the temporary files in `dir` whose target name `isOurs` claims: those a process killed
 * outright (SIGKILL, a crash, a power cut) left behind. Only for a caller that knows nobody is
 * writing them now (a batch holding its folder's lock). Returns how many went.
 */
export async function removeLeftoverTemporaries(dir: string, isOurs: (targetName: string) => boolean): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [])) {
    const target = TEMPORARY.exec(name)?.[1];
    if (target === undefined || !isOurs(target)) continue;
    await rm(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}
