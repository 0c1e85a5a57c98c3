import { randomBytes } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ID_PATTERN, type ImageMimeType, isImageMimeType, sniffImageType } from '@genimix/core';
import { KeyedLock } from './lock.js';
import { compareIds } from './memory.js';
import type { ImageData, ImageStore } from './types.js';

// Internal file names carry a "~", which no id may contain (core ID_PATTERN): no image id can
// ever name a sidecar or a temporary file.
const META_SUFFIX = '~meta.json';
const TEMP_MARK = '~tmp-';

/** The sidecar of an image file: what it is served as, and how long it must be. */
interface ImageMeta {
  contentType: ImageMimeType;
  /** In bytes. */
  size: number;
}

/**
 * Keeps images in files, so they survive a restart with the same `dataDir`:
 * `<dataDir>/<projectId>/<imageId>` holds the bytes and `<imageId>~meta.json` beside it the
 * content type and size.
 *
 * Every file is written to a temporary name in the same folder, flushed, then renamed into place,
 * so a name only ever holds a whole file. An image's sidecar is written before its bytes and
 * removed after them, so bytes never exist without their type; an image counts as present only
 * when both files do. One emulator process per `dataDir`: operations are serialised per image
 * within the process, not across processes.
 */
export class DiskStore implements ImageStore {
  /** The absolute folder the images live in. */
  readonly dataDir: string;
  readonly #lock = new KeyedLock();

  private constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /**
   * Opens (creating it when missing) the folder `dataDir`, and removes temporary files an
   * earlier process left behind when it stopped mid-write.
   *
   * @throws the file system's error when the folder cannot be created or read (EACCES, ENOTDIR, ...);
   *   an Error when it lies under /proc, /sys or /dev
   */
  static async open(dataDir: string): Promise<DiskStore> {
    const store = new DiskStore(resolve(dataDir));
    await refusePseudoFileSystem(store.dataDir);
    await mkdir(store.dataDir, { recursive: true });
    await store.#removeTemporaryFiles();
    return store;
  }

  put(projectId: string, imageId: string, image: ImageData): Promise<void> {
    const folder = join(this.dataDir, projectId);
    const file = join(folder, imageId);
    return this.#lock.run(`${projectId}/${imageId}`, async () => {
      await mkdir(folder, { recursive: true });
      const meta: ImageMeta = { contentType: image.contentType, size: image.bytes.length };
      await writeWhole(file + META_SUFFIX, JSON.stringify(meta));
      await writeWhole(file, image.bytes);
    });
  }

  get(projectId: string, imageId: string): Promise<ImageData | undefined> {
    const file = join(this.dataDir, projectId, imageId);
    return this.#lock.run(`${projectId}/${imageId}`, async () => {
      const meta = await readMeta(file + META_SUFFIX);
      if (!meta) return undefined;
      const bytes = await readIfExists(file);
      if (!bytes) return undefined;
      const sniffed = sniffImageType(bytes);
      if (meta.size === bytes.length && sniffed === meta.contentType) return { contentType: meta.contentType, bytes };
      // Only a replace cut off between its two renames (a crash) gets here: the sidecar is the new
      // image's, the bytes still the previous image's, which were checked when stored, so their
      // own magic bytes give their type.
      return sniffed ? { contentType: sniffed, bytes } : undefined;
    });
  }

  delete(projectId: string, imageId: string): Promise<boolean> {
    const file = join(this.dataDir, projectId, imageId);
    return this.#lock.run(`${projectId}/${imageId}`, async () => {
      const hadBytes = await removeIfExists(file);
      const hadMeta = await removeIfExists(file + META_SUFFIX);
      return hadBytes && hadMeta;
    });
  }

  async list(projectId: string): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(this.dataDir, projectId), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
    const names = new Set(entries.map((e) => e.name));
    return entries
      .filter((e) => e.isFile() && ID_PATTERN.test(e.name) && names.has(e.name + META_SUFFIX))
      .map((e) => e.name)
      .sort(compareIds);
  }

  async #removeTemporaryFiles(): Promise<void> {
    for (const project of await readdir(this.dataDir, { withFileTypes: true })) {
      if (!project.isDirectory() || !ID_PATTERN.test(project.name)) continue;
      const folder = join(this.dataDir, project.name);
      for (const name of await readdir(folder)) {
        if (name.includes(TEMP_MARK)) await rm(join(folder, name), { force: true });
      }
    }
  }
}

/** Writes `data` to `path` so that `path` never holds a partial file. */
async function writeWhole(path: string, data: Uint8Array | string): Promise<void> {
  const temp = `${path}${TEMP_MARK}${randomBytes(6).toString('hex')}`;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      // Flushed before the rename, or a power cut could leave the new name on an empty file.
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

async function readMeta(path: string): Promise<ImageMeta | undefined> {
  const raw = await readIfExists(path);
  if (!raw) return undefined;
  try {
    const meta = JSON.parse(raw.toString('utf8')) as Partial<ImageMeta> | null;
    if (
      meta &&
      typeof meta.contentType === 'string' &&
      isImageMimeType(meta.contentType) &&
      Number.isSafeInteger(meta.size)
    ) {
      return { contentType: meta.contentType, size: meta.size as number };
    }
  } catch {
    // A sidecar that is not JSON was not written by this store; the image is unreadable, so absent.
  }
  return undefined;
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

async function removeIfExists(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * Refuses a folder under /proc, /sys or /dev, also one reached through a symbolic link: no file can
 * be kept there, and a recursive mkdir on /proc never returns (it answers ENOENT for ever).
 */
async function refusePseudoFileSystem(dataDir: string): Promise<void> {
  if (process.platform === 'win32') return;
  let existing = dataDir;
  while (!(await exists(existing)) && dirname(existing) !== existing) existing = dirname(existing);
  const real = await realpath(existing).catch(() => existing);
  const root = ['/proc', '/sys', '/dev'].find((r) => real === r || real.startsWith(`${r}/`));
  if (root)
    throw new Error(
      `the data folder ${dataDir} is on the kernel's ${root} file system, where no file can be kept: name a folder on a disk.`,
    );
}

function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
