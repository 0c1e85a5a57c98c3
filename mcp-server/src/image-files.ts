import { randomUUID } from 'node:crypto';
import { link, lstat, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  checkId,
  GenimixError,
  ID_PATTERN,
  IMAGE_EXTENSIONS,
  type ImageMimeType,
  isImageMimeType,
} from '@genimix/core';
import { OUTPUT_FOLDER_SETTING } from './config.js';
import {
  checkOutputFolder,
  checkProjectFolder,
  describeCode,
  ensureProjectFolder,
  OutputFolderError,
} from './output-folder.js';
import { isInside } from './paths.js';

/** Names Windows reserves for devices, whatever the case and whatever follows the first dot. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/**
 * A file or folder name for a project or image id, the same on every OS and distinct for
 * distinct ids, even on a file system that ignores case (macOS, Windows).
 *
 * Mapping: an id of lower-case letters, digits, `.`, `_` and `-` is its own name (`cat` → `cat`),
 * unless its part before the first dot is a name Windows reserves (`CON`, `PRN`, `AUX`, `NUL`,
 * `COM0`–`COM9`, `LPT0`–`LPT9`, any case) or it ends with a dot (which Windows strips). Any other
 * id — with an upper-case letter, reserved, or ending in a dot — is written in lower case, with
 * `+` and the hexadecimal mask of its upper-case positions (bit i: character i) inserted after
 * its first part: `Cat` → `cat+1`, `cAt` → `cat+2`, `nul` → `nul+0`, `NUL.x` → `nul+7.x`, `My.Pic`
 * → `my+9.pic`; a name that would end in a dot gets a final `+` (`a.` → `a+0.+`).
 *
 * Why it is safe: ids never contain `+`, so a mapped name never equals an unmapped one, and the
 * id can be read back from a mapped name (lower-case id and mask), so distinct ids give distinct
 * names. Names hold only lower-case letters, so folding case changes none. `+` is not allowed in
 * Windows 8.3 short names, so a mapped name never equals another file's short alias (`abcdef~1`).
 * At most 162 characters, well under the 255 every file system allows.
 *
 * @throws {TypeError} not a valid id (ids are checked before they get here)
 */
export function safeFileName(id: string): string {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') throw new TypeError(`not a valid id: ${JSON.stringify(id)}`);
  const dot = id.indexOf('.');
  const first = dot === -1 ? id : id.slice(0, dot);
  let mask = 0n;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) mask |= 1n << BigInt(i);
  }
  if (mask === 0n && !WINDOWS_RESERVED.test(first) && !id.endsWith('.')) return id;
  const lower = id.toLowerCase();
  const name = `${lower.slice(0, first.length)}+${mask.toString(16)}${lower.slice(first.length)}`;
  return name.endsWith('.') ? `${name}+` : name;
}

/** The file name of an image: `<safeFileName(imageId)>.<ext>`, `bin` for an unknown type. */
export function imageFileName(imageId: string, contentType: string): string {
  const ext = isImageMimeType(contentType) ? IMAGE_EXTENSIONS[contentType as ImageMimeType] : 'bin';
  return `${safeFileName(imageId)}.${ext}`;
}

/** Where {@link writeImageFile} wrote an image. */
export interface SavedImage {
  /** The file's full path. */
  path: string;
  /** True when a file of that name was there and was replaced (an earlier copy of this image). */
  replaced: boolean;
}

/**
 * Writes an image to `<outputDir>/<safeFileName(projectId)>/<imageFileName(imageId)>`, the folder
 * checked first ({@link checkOutputFolder}) and the project folder created private (0700) and
 * never followed if it is a link. The file (0600) is written under a unique temporary name
 * created exclusively, then moved into place, so a reader never sees half a file.
 *
 * An existing file of that name is the same image id written before (the mapping of ids to names
 * is one to one): it is replaced, and `replaced` says so, so that fetching one image twice does not
 * pile up copies. A name that exists only under another case (a file this server did not write
 * there, on a file system that ignores case) or a folder in its place is never replaced: refused.
 *
 * @throws {OutputFolderError} the folder, the project folder or the write failed; the message
 *   names GENIMIX_OUTPUT_DIR and can be shown as it is
 * @throws {GenimixValidationError} an invalid `projectId` or `imageId`
 */
export async function writeImageFile(
  outputDir: string,
  projectId: string,
  imageId: string,
  contentType: string,
  data: Uint8Array,
): Promise<SavedImage> {
  checkId('projectId', projectId);
  checkId('imageId', imageId);
  const root = path.resolve(outputDir);
  await checkOutputFolder(root);
  const { dir, stats: folder } = await ensureProjectFolder(root, safeFileName(projectId));
  const name = imageFileName(imageId, contentType);
  const file = path.join(dir, name);
  // Defence in depth: the names cannot hold a separator, but never write outside the folder.
  if (!isInside(file, root))
    throw new OutputFolderError(`refusing to write ${file} outside ${root} (GENIMIX_OUTPUT_DIR).`);
  // Unique, so parallel writes of one image never share one; hidden, and ending in .tmp, so it
  // never has the name of an image.
  const temp = path.join(dir, `.${name}.${randomUUID()}.tmp`);
  try {
    // wx: O_CREAT | O_EXCL, which fails on any existing entry, a symbolic link included.
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
    // Right before the move: still the very folder examined, and still no link. (The output
    // folder is ours and writable by no one else, so only this user could swap it meanwhile.)
    const now = await checkProjectFolder(dir);
    if (now.dev !== folder.dev || now.ino !== folder.ino)
      throw new OutputFolderError(
        `The project folder ${dir} in the folder for large images (GENIMIX_OUTPUT_DIR) was replaced while the image was written. The image was not saved; try again.`,
      );
    return { path: file, replaced: await moveIntoPlace(temp, file, dir, name) };
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    if (error instanceof OutputFolderError || error instanceof GenimixError) throw error;
    const code = error as NodeJS.ErrnoException;
    throw new OutputFolderError(
      `Could not write ${file} in the folder for large images (GENIMIX_OUTPUT_DIR): ${describeCode(code)}. The image was not saved: the user must free space on that disk or set ${OUTPUT_FOLDER_SETTING} to a private folder that can be written.`,
    );
  }
}

/** Errors of `link` on a file system without hard links (FAT, exFAT, some network shares). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK', 'EXDEV']);

/**
 * Moves `temp` to `file`; true when it replaced a file. `link` creates the name only if nothing
 * has it, atomically, so `false` is exact even when writers race; then a file that was there is
 * replaced by `rename`, which replaces a symbolic link itself, never what it points to.
 */
async function moveIntoPlace(temp: string, file: string, dir: string, name: string): Promise<boolean> {
  const linked = await link(temp, file).then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error,
  );
  if (linked === undefined) {
    await rm(temp, { force: true });
    return false;
  }
  if (linked.code !== 'EEXIST' && !NO_HARD_LINKS.has(linked.code ?? '')) throw linked;
  const existing = await lstat(file).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new OutputFolderError(
      `${file} in the folder for large images (GENIMIX_OUTPUT_DIR) is a folder; it was left as it is and the image was not saved: move the folder away.`,
    );
  }
  // On a file system that ignores case, an entry of another case answers for this name: a file
  // this server did not write for this id (it writes only exact names). Not replaced.
  if (existing && !(await readdir(dir)).includes(name)) {
    throw new OutputFolderError(
      `${file} in the folder for large images (GENIMIX_OUTPUT_DIR) exists under a name that differs in case, which is another file: it was left as it is and the image was not saved. Move that file away.`,
    );
  }
  await rename(temp, file);
  return existing !== undefined;
}
