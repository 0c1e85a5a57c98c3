import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** A path the model asked for that the server will not touch; the message says why and what to do. */
export class PathAccessError extends Error {
  override name = 'PathAccessError';
}

/**
 * The real path of a file `upload_image` may read: inside one of `allowedDirs`, after resolving
 * symlinks. Relative paths are resolved against the working directory.
 *
 * Security: the model chooses `requested`, and a prompt injection could ask for any file. The
 * check runs twice, as the filesystem reference server does: on the normalised path (so `..`
 * cannot climb out), then on its realpath (so a symlink inside cannot point outside).
 *
 * @throws {PathAccessError} outside the allowed folders, or not an existing file
 */
export async function resolveReadablePath(requested: string, allowedDirs: readonly string[]): Promise<string> {
  const absolute = path.resolve(requested);
  const roots = await Promise.all(allowedDirs.map(async (dir) => [path.resolve(dir), await realpath(dir).catch(() => path.resolve(dir))] as const));
  const flatRoots = roots.flat();
  const where = `allowed folders: ${allowedDirs.join(', ')}`;
  if (!flatRoots.some((root) => isInside(absolute, root))) {
    throw new PathAccessError(`path ${JSON.stringify(requested)} is outside the folders this server may read (${where}). Move the file into one of them, or ask the user to add its folder to GENIMIX_ALLOWED_DIRS.`);
  }
  let real: string;
  try {
    real = await realpath(absolute);
  } catch {
    throw new PathAccessError(`path ${JSON.stringify(requested)} does not exist: give the full path of an existing image file.`);
  }
  // A symlink inside an allowed folder may point anywhere: check where it really leads.
  if (!roots.some(([, realRoot]) => isInside(real, realRoot))) {
    throw new PathAccessError(`path ${JSON.stringify(requested)} leads outside the folders this server may read (${where}) through a symbolic link.`);
  }
  return real;
}

/** True when `candidate` is `root` or lies below it. Case-insensitive on Windows (drive letters, NTFS). */
export function isInside(candidate: string, root: string): boolean {
  const fold = (p: string) => (process.platform === 'win32' ? p.toLowerCase() : p);
  const relative = path.relative(fold(root), fold(candidate));
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
