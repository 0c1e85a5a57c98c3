import { constants, type Stats } from 'node:fs';
import { access, lstat, mkdir, realpath, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { OUTPUT_FOLDER_SETTING } from './config.js';
import { PathAccessError } from './paths.js';

/**
 * The folder for large images (`GENIMIX_OUTPUT_DIR`) or a project folder in it cannot be used.
 * The message names `GENIMIX_OUTPUT_DIR`, says why and what the user must do, and is meant to be
 * shown as it is. A {@link PathAccessError}, so a tool result that shows those as they are shows
 * this too.
 */
export class OutputFolderError extends PathAccessError {
  override name = 'OutputFolderError';
}

/**
 * Folders under which no file can be kept: kernel pseudo file systems. Creating a folder there
 * fails in odd ways (mkdir on /proc answers ENOENT for ever, and a recursive mkdir loops on it),
 * so a path under one is refused before any mkdir.
 */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

/** `statfs` types of Linux pseudo file systems (linux/magic.h), for one reached another way. */
const PSEUDO_FS_TYPES = new Set([
  0x9fa0, // proc
  0x62656572, // sysfs
  0x1cd1, // devpts
  0x64626720, // debugfs
  0x74726163, // tracefs
  0x73636673, // securityfs
  0x27e0eb, // cgroup
  0x63677270, // cgroup2
  0xcafe4a11, // bpf
  0x6165676c, // pstore
  0x62656570, // configfs
  0x65735543, // fusectl
  0xde5e81e4, // efivarfs
  0xf97cff8c, // selinuxfs
  0x42494e4d, // binfmt_misc
  0x19800202, // mqueue
]);

const POSIX = process.platform !== 'win32';
const FIX = `the user must set ${OUTPUT_FOLDER_SETTING} to a private folder of theirs (or leave it unset for ~/.cache/genimix-mcp) and restart the server.`;

/**
 * Makes sure `dir` can hold the images too large to return inline: creates it private (mode
 * 0700, its missing parents with the default mode), or refuses it. Meant for start-up, and it is
 * run again before each write (a few `stat`s).
 *
 * Refused, at once and without creating anything: a path under /proc, /sys or /dev, or on a
 * kernel pseudo file system reached through a link; a file in place of the folder or of a parent;
 * a folder that cannot be created or written. Refused, and left as it is: an existing folder that
 * is shared — owned by another user, or writable by group or others (such as 0777). Its mode is
 * not tightened: it is the user's folder, perhaps shared on purpose, and they choose. A folder
 * that others may only read is accepted: the files and project folders in it are private
 * (0600 and 0700). The folder itself may be a symbolic link (the user chose it; the checks
 * apply to where it leads); project folders in it may not.
 *
 * @throws {OutputFolderError} naming `GENIMIX_OUTPUT_DIR`, why, and the fix
 */
export async function checkOutputFolder(dir: string): Promise<void> {
  const absolute = path.resolve(dir);
  const refuse = (why: string, fix = FIX) =>
    new OutputFolderError(`The folder for large images, ${absolute} (GENIMIX_OUTPUT_DIR), ${why}: ${fix}`);
  refuseIfPseudo(absolute, refuse);

  // The nearest part of the path that exists, and the parts to create below it: a walk up of
  // at most one step a path segment, never a recursive mkdir.
  const missing: string[] = [];
  let existing = absolute;
  for (;;) {
    const found = await stat(existing).catch((error: NodeJS.ErrnoException) => error);
    if (!(found instanceof Error)) {
      if (!found.isDirectory())
        throw refuse(
          existing === absolute ? 'is a file, not a folder' : `cannot be created: ${existing} is a file, not a folder`,
        );
      break;
    }
    if (found.code === 'ENOTDIR') throw refuse(`cannot be created: a file stands where a folder of its path should be`);
    if (found.code !== 'ENOENT') throw refuse(`cannot be examined (${describeCode(found)})`);
    const parent = path.dirname(existing);
    if (parent === existing) throw refuse('cannot be created: its drive or root does not exist');
    missing.unshift(existing);
    existing = parent;
  }
  await refuseIfPseudoReal(existing, refuse);

  for (const folder of missing) {
    // Parents as any program would create them; the folder itself private.
    const made = await mkdir(folder, folder === absolute ? { mode: 0o700 } : {}).catch(
      (error: NodeJS.ErrnoException) => error,
    );
    if (made instanceof Error && made.code !== 'EEXIST') throw refuse(`cannot be created (${describeCode(made)})`);
  }

  const real = await realpath(absolute).catch((error: NodeJS.ErrnoException) => {
    throw refuse(`cannot be examined (${describeCode(error)})`);
  });
  await refuseIfPseudoReal(real, refuse);
  const info = await stat(real).catch((error: NodeJS.ErrnoException) => {
    throw refuse(`cannot be examined (${describeCode(error)})`);
  });
  if (!info.isDirectory()) throw refuse('is a file, not a folder');
  const shared = sharedReason(info);
  // A sticky folder open to all (/tmp) is shared by design: making it private would break the
  // system, so the advice is a folder of the user's own inside it.
  const fix =
    info.mode & 0o1000
      ? `set ${OUTPUT_FOLDER_SETTING} to a folder of the user's own, e.g. ${path.join(absolute, 'genimix-mcp')}, which the server creates private`
      : `the user must make it private (chmod 700 ${absolute}) or set ${OUTPUT_FOLDER_SETTING} to a private folder of theirs; the server does not change the mode of an existing folder`;
  if (shared) throw refuse(shared, `${fix}.`);
  await access(real, constants.W_OK | constants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw refuse(`cannot be written (${describeCode(error)})`);
  });
}

/**
 * The folder of one project, `<outputDir>/<name>`, created private (0700) if missing. It is
 * examined without following a link: a symbolic link there is refused, never written through,
 * since it could send the images anywhere.
 *
 * @param name a file-system-safe folder name (see `safeFileName` in image-files.ts)
 * @returns the folder's path and its identity, to compare with right before a rename
 * @throws {OutputFolderError} a link, a file, or a shared folder in its place; cannot be created
 */
export async function ensureProjectFolder(outputDir: string, name: string): Promise<{ dir: string; stats: Stats }> {
  const dir = path.join(outputDir, name);
  const made = await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => error);
  if (made instanceof Error && made.code !== 'EEXIST')
    throw projectRefusal(dir, `cannot be created (${describeCode(made)})`);
  return { dir, stats: await checkProjectFolder(dir) };
}

/**
 * Checks, without following a link, that `dir` is a private folder: run right before a file is
 * renamed into it.
 * @throws {OutputFolderError} as {@link ensureProjectFolder}
 */
export async function checkProjectFolder(dir: string): Promise<Stats> {
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    throw projectRefusal(dir, `cannot be examined (${describeCode(error)})`);
  });
  if (info.isSymbolicLink())
    throw projectRefusal(
      dir,
      'is a symbolic link, which this server does not follow (it could send the images anywhere); remove the link and the server will create the folder',
    );
  if (!info.isDirectory())
    throw projectRefusal(dir, 'is a file, not a folder; move it away and the server will create the folder');
  const shared = sharedReason(info);
  if (shared)
    throw projectRefusal(
      dir,
      `${shared}; make it private (chmod 700 ${dir}) or remove it and the server will create it`,
    );
  return info;
}

function projectRefusal(dir: string, why: string): OutputFolderError {
  return new OutputFolderError(
    `The project folder ${dir} in the folder for large images (GENIMIX_OUTPUT_DIR) ${why}. The image was not saved.`,
  );
}

/** Why a folder is not private to this user, or undefined. Windows has no such mode bits. */
function sharedReason(info: Stats): string | undefined {
  if (!POSIX) return undefined;
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid)
    return `belongs to another user (uid ${info.uid}, this server runs as uid ${uid})`;
  if ((info.mode & 0o022) !== 0)
    return `can be written by other users (mode ${(info.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/** True when `p` lies under /proc, /sys or /dev (POSIX). */
export function isUnderPseudoRoot(p: string): boolean {
  if (!POSIX) return false;
  return PSEUDO_ROOTS.some((root) => p === root || p.startsWith(`${root}/`));
}

function refuseIfPseudo(p: string, refuse: (why: string) => OutputFolderError): void {
  if (isUnderPseudoRoot(p))
    throw refuse(`is on a kernel pseudo file system (${p.split('/')[1]}), where no file can be kept`);
}

/** The real path of an existing folder: under a pseudo root, or on a pseudo file system. */
async function refuseIfPseudoReal(existing: string, refuse: (why: string) => OutputFolderError): Promise<void> {
  const real = await realpath(existing).catch(() => existing);
  if (isUnderPseudoRoot(real))
    throw refuse(`leads to ${real}, on a kernel pseudo file system where no file can be kept`);
  if (process.platform !== 'linux') return;
  const fs = await statfs(real).catch(() => undefined);
  if (fs && PSEUDO_FS_TYPES.has(Number(fs.type)))
    throw refuse(
      `is on a kernel pseudo file system (type 0x${Number(fs.type).toString(16)}), where no file can be kept`,
    );
}

/** `permission denied (EACCES)` and the like. */
export function describeCode(error: NodeJS.ErrnoException): string {
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENOENT: 'a folder of its path vanished or cannot hold folders',
    ENOTDIR: 'a file stands where a folder should be',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'the path is too long',
  };
  const code = error.code;
  return code ? `${words[code] ?? 'error'}, ${code}` : error.message;
}
