/**
 * Where a command writes an image: `-o FILE`, `-o -` (stdout), or a folder where the file is
 * named after the image (`<id>.<ext>`). Checked before any request, so that an image is never
 * generated (and billed) only to find that it cannot be written.
 */
import { constants } from 'node:fs';
import { access, lstat, open, readlink, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { IMAGE_EXTENSIONS, type ImageMimeType } from '@genimix/core';
import { UsageError } from '../exit-codes.js';
import { temporaryPath } from './atomic-file.js';

/** Where an image goes. */
export type Destination =
  /** The bytes on stdout (`-o -`). */
  | { kind: 'stdout' }
  /** This file, replaced atomically if it exists. */
  | { kind: 'file'; path: string }
  /** `<dir>/<imageId>.<ext>`, the extension from the image's type. */
  | { kind: 'folder'; dir: string };

/**
 * The destination of `-o` (absent: the working folder). An existing folder given to `-o` is a
 * folder destination, as `cp` treats one; a symbolic link to a file is followed.
 *
 * @throws {UsageError} for `-o -` when stdout is a terminal, a folder that does not exist or
 *   cannot be written (`-o name/` included: a trailing slash names a folder)
 */
export async function resolveDestination(
  output: string | undefined,
  cwd: string,
  stdoutIsTty: boolean,
): Promise<Destination> {
  if (output === '-') {
    if (stdoutIsTty) {
      throw new UsageError(
        '-o',
        '-o - writes the image bytes to stdout, which is a terminal here: redirect it (-o - > cat.png) or pipe it into a program, or write a file with -o FILE.',
      );
    }
    return { kind: 'stdout' };
  }
  if (output === undefined) return { kind: 'folder', dir: await writableFolder(cwd, '-o') };
  const target = path.resolve(cwd, output);
  // `dir/` names a folder, as cp and mv read it: never a file called `dir` (nor `dir` replaced if it is one).
  if (output.endsWith('/') || output.endsWith(path.sep)) {
    return { kind: 'folder', dir: await writableFolder(target, '-o') };
  }
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) return { kind: 'folder', dir: await writableFolder(target, '-o') };
  if (existing && !existing.isFile()) {
    throw new UsageError('-o', `-o ${output} is not a regular file: name a file to write, or - for stdout.`);
  }
  const file = await followLink(target);
  await writableFolder(path.dirname(file), '-o');
  await probe(file, output);
  return { kind: 'file', path: file };
}

/**
 * Creates and removes a temporary file for `file`, as the write will: a name the file system
 * cannot hold (too long with the temporary file's 22 more bytes), a read-only mount, no space
 * for one more file are found now, not after a billed Generate.
 * @throws {UsageError} naming `-o`
 */
async function probe(file: string, output: string): Promise<void> {
  const temp = temporaryPath(file);
  try {
    await (await open(temp, 'wx')).close();
    await rm(temp, { force: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'an error';
    const fix = code === 'ENAMETOOLONG' ? 'choose a shorter name' : 'name a file you may write';
    throw new UsageError('-o', `-o ${output} cannot be written (${code}): ${fix}, or - for stdout.`);
  }
}

/**
 * The file a symbolic link points to (even one not there yet), or `target` itself when it is no
 * link. The temporary file is renamed over what this returns: renamed over the link, it would
 * replace the user's link with a plain file and leave the file it pointed to unchanged.
 */
async function followLink(target: string): Promise<string> {
  if (!(await lstat(target).catch(() => undefined))?.isSymbolicLink()) return target;
  return realpath(target).catch(async () => path.resolve(path.dirname(target), await readlink(target)));
}

/**
 * `dir`, resolved, once checked to be a folder this process may write in.
 * @throws {UsageError} naming `setting`
 */
export async function writableFolder(dir: string, setting: string): Promise<string> {
  const resolved = path.resolve(dir);
  const found = await stat(resolved).catch(() => undefined);
  if (!found)
    throw new UsageError(setting, `The folder ${resolved} does not exist: create it, or name another with ${setting}.`);
  if (!found.isDirectory())
    throw new UsageError(setting, `${resolved} is not a folder: name a folder with ${setting}.`);
  try {
    await access(resolved, constants.W_OK);
  } catch {
    throw new UsageError(
      setting,
      `The folder ${resolved} cannot be written: name a folder you may write to with ${setting}.`,
    );
  }
  return resolved;
}

/** The file name of an image in a folder destination: `<imageId>.<ext>`. */
export function imageFileName(imageId: string, contentType: ImageMimeType): string {
  return `${imageId}.${IMAGE_EXTENSIONS[contentType]}`;
}

/** The file of image `imageId` in `dir` under any of the image extensions, if one exists. */
export async function existingImageFile(dir: string, imageId: string): Promise<string | undefined> {
  for (const extension of new Set(Object.values(IMAGE_EXTENSIONS))) {
    const file = path.join(dir, `${imageId}.${extension}`);
    if ((await stat(file).catch(() => undefined))?.isFile()) return file;
  }
  return undefined;
}
