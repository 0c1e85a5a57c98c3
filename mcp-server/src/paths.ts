import { type BigIntStats, constants } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { GenimixValidationError } from '@genimix/core';
import { UPLOAD_FOLDERS_SETTING } from './config.js';
import { quote } from './text.js';

/**
 * A path the server will not touch; the message says why and what to do, and a tool result shows
 * it as it is.
 */
export class PathAccessError extends Error {
  override name = 'PathAccessError';
}

/**
 * How {@link openInsideFolders} learns where the file it opened really is.
 * - `proc`: Linux, the kernel's own answer: `readlink("/proc/self/fd/<fd>")`.
 * - `inode`: everywhere else (macOS, Windows, a Linux without /proc): the opened file must be the
 *   same file (device and inode) as the one the real path, taken after the open, names.
 * - `auto`: `proc` where /proc answers, else `inode`.
 */
export type OpenStrategy = 'auto' | 'proc' | 'inode';

/** A regular file opened for reading inside an allowed folder. The caller closes `handle`. */
export interface OpenedFile {
  handle: FileHandle;
  /** Where the opened file really is, checked to be inside an allowed folder. */
  realPath: string;
  /** Its size in bytes when it was checked. */
  size: number;
}

export interface OpenInsideOptions {
  /** The argument's name in messages. Default `path`. */
  field?: string;
  /** Default `auto`. Tests choose one to exercise both. */
  strategy?: OpenStrategy;
}

// O_NONBLOCK: opening a FIFO swapped in after every check returns at once instead of blocking a
// thread of Node's pool for ever (the fstat then refuses it). O_NOCTTY: a terminal device swapped
// in does not become our controlling terminal. Both are 0 where they do not exist (Windows).
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/**
 * Opens `requested` for reading, and returns it only if the file opened is a regular file whose
 * real path lies inside one of `allowedDirs`. Relative paths are resolved against the working
 * directory.
 *
 * Security: the model chooses `requested`, and a prompt injection could ask for any file, or
 * something on disk could swap a folder inside an allowed folder for a symbolic link to one
 * outside between a check and the open. So the path is opened once, and the checks are made on
 * what was opened, before a byte is read; a check of the path before the open only refuses the
 * obvious early (outside the folders, `..` climbing out, not a regular file).
 *
 * @throws {PathAccessError} no folder allowed, outside the allowed folders (directly or through a
 *   symbolic link), missing or unreadable; {@link GenimixValidationError} (the field) when it is
 *   no regular file
 */
export async function openInsideFolders(
  requested: string,
  allowedDirs: readonly string[],
  options: OpenInsideOptions = {},
): Promise<OpenedFile> {
  const field = options.field ?? 'path';
  const quoted = `${field} ${quote(requested, 200)}`;
  if (allowedDirs.length === 0) {
    throw new PathAccessError(
      `${quoted} cannot be read: this server may read no local files: the user must set ${UPLOAD_FOLDERS_SETTING} to the folders it may read and restart it. Meanwhile pass the image's bytes as data (base64) instead.`,
    );
  }
  const where = `allowed folders: ${allowedDirs.join(', ')}`;
  const roots = await realRoots(allowedDirs);
  const absolute = path.resolve(requested);

  // Cheap refusals, not the authority: the normalised path (so `..` cannot climb out)...
  if (![...roots.lexical, ...roots.real].some((root) => isInside(absolute, root))) {
    throw new PathAccessError(
      `${quoted} is outside the folders this server may read (${where}). Move the file into one of them, or ask the user to add its folder to ${UPLOAD_FOLDERS_SETTING}.`,
    );
  }
  // ...and what it is now: opening a device can have effects of its own, so do not open one
  // that is plainly there. One swapped in after this look is opened without blocking, then refused.
  const now = await stat(absolute).catch((error: unknown) => {
    throw openError(error, quoted);
  });
  if (!now.isFile()) throw notAFile(field, quoted);

  const strategy = options.strategy ?? 'auto';
  const opened =
    strategy === 'inode'
      ? await openByInode(absolute, quoted, roots.real, where)
      : await openByProc(absolute, quoted, roots.real, where, strategy === 'auto');
  try {
    // The file opened, not the path: a FIFO, device or folder swapped in is refused here.
    if (!opened.stats.isFile()) throw notAFile(field, quoted);
    // A hard link has no "real path" of its own: a link inside an allowed folder to a file outside
    // looks inside by every path check. A file with more than one name is refused.
    if (opened.stats.nlink > 1n) {
      throw new PathAccessError(
        `${quoted} has other names (hard links), which may lie outside the folders this server may read, so it is not read: copy the file into an allowed folder and give the copy's path.`,
      );
    }
    return { handle: opened.handle, realPath: opened.realPath, size: Number(opened.stats.size) };
  } catch (error) {
    await opened.handle.close();
    throw error;
  }
}

interface Checked {
  handle: FileHandle;
  realPath: string;
  stats: BigIntStats;
}

/**
 * Linux: open the path (following links: one that stays inside is fine), then ask the kernel where
 * the open file is. `/proc/self/fd/<fd>` names the file this descriptor holds, whatever happened
 * to the path since, so a swap before or after the open cannot make an outside file look inside.
 * Without /proc (not mounted), `fallBack` lets the inode strategy decide instead.
 */
async function openByProc(
  absolute: string,
  quoted: string,
  realRoots: readonly string[],
  where: string,
  fallBack: boolean,
): Promise<Checked> {
  if (process.platform !== 'linux' && fallBack) return openByInode(absolute, quoted, realRoots, where);
  const handle = await open(absolute, READ_FLAGS).catch((error: unknown) => {
    throw openError(error, quoted);
  });
  try {
    let realPath: string;
    try {
      realPath = await readlink(`/proc/self/fd/${handle.fd}`);
    } catch (error) {
      if (!fallBack) throw error;
      await handle.close();
      return await openByInode(absolute, quoted, realRoots, where);
    }
    if (!path.isAbsolute(realPath) || !realRoots.some((root) => isInside(realPath, root)))
      throw leadsOutside(quoted, where);
    return { handle, realPath, stats: await handle.stat({ bigint: true }) };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Without /proc: resolve the path, open the real path without following a link in its last
 * part (O_NOFOLLOW, where the platform has it), then require that the real path, taken again
 * after the open, is inside an allowed folder and names the very file that was opened (same
 * device and inode). A folder swapped for a link before the open makes the opened file differ
 * from what the later real path names, or the later real path lie outside: refused.
 *
 * Limit: a path can only be checked by looking it up again, so an attacker who can swap a
 * folder inside an allowed folder back and forth could in principle line up two swaps with the
 * open, the second realpath and the lstat. /proc, where there is one, has no such window.
 */
async function openByInode(
  absolute: string,
  quoted: string,
  realRoots: readonly string[],
  where: string,
): Promise<Checked> {
  const before = await realpath(absolute).catch((error: unknown) => {
    throw openError(error, quoted);
  });
  if (!realRoots.some((root) => isInside(before, root))) throw leadsOutside(quoted, where);
  const handle = await open(before, READ_FLAGS | (constants.O_NOFOLLOW ?? 0)).catch((error: unknown) => {
    // ELOOP: the last part became a symbolic link after it was resolved.
    throw (error as NodeJS.ErrnoException).code === 'ELOOP' ? leadsOutside(quoted, where) : openError(error, quoted);
  });
  try {
    const stats = await handle.stat({ bigint: true });
    const after = await realpath(before).catch(() => undefined);
    if (after === undefined || !realRoots.some((root) => isInside(after, root))) throw leadsOutside(quoted, where);
    const named = await lstat(after, { bigint: true }).catch(() => undefined);
    if (!named || named.dev !== stats.dev || named.ino !== stats.ino) throw leadsOutside(quoted, where);
    return { handle, realPath: after, stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** The allowed folders as given (resolved) and as real paths (those that exist). */
async function realRoots(allowedDirs: readonly string[]): Promise<{ lexical: string[]; real: string[] }> {
  const lexical = allowedDirs.map((dir) => path.resolve(dir));
  const real = (await Promise.all(lexical.map((dir) => realpath(dir).catch(() => undefined)))).filter(
    (dir): dir is string => dir !== undefined,
  );
  return { lexical, real };
}

function leadsOutside(quoted: string, where: string): PathAccessError {
  return new PathAccessError(
    `${quoted} leads outside the folders this server may read (${where}) through a symbolic link (or a folder that was swapped for one). Give the path of the file itself, inside one of those folders.`,
  );
}

function notAFile(field: string, quoted: string): GenimixValidationError {
  return new GenimixValidationError(field, `${quoted} is not a regular file: give the path of an image file.`);
}

function openError(error: unknown, quoted: string): Error {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new PathAccessError(`${quoted} does not exist: give the full path of an existing image file.`);
  if (code === 'EACCES' || code === 'EPERM')
    return new PathAccessError(
      `${quoted} cannot be read: permission denied. Ask the user to make it readable, or pass the image as data.`,
    );
  if (code === 'ENXIO' || code === 'ENODEV' || code === 'EISDIR')
    return new PathAccessError(`${quoted} is not a regular file: give the path of an image file.`);
  return new PathAccessError(`${quoted} cannot be read (${code ?? String(error)}): give the path of an image file.`);
}

/**
 * The allowed folders for a tool description: `a, b`, or a sentence saying that none is
 * configured (never an empty list).
 */
export function allowedFoldersText(allowedDirs: readonly string[]): string {
  return allowedDirs.length > 0
    ? allowedDirs.join(', ')
    : `no folder at all (the user has not set ${UPLOAD_FOLDERS_SETTING}, so path cannot be used: pass data instead)`;
}

/** True when `candidate` is `root` or lies below it. Case-insensitive on Windows (drive letters, NTFS). */
export function isInside(candidate: string, root: string): boolean {
  const fold = (p: string) => (process.platform === 'win32' ? p.toLowerCase() : p);
  const relative = path.relative(fold(root), fold(candidate));
  // `..foo` is a name inside; only `..` as a whole first part climbs out.
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}
