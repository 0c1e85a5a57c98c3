import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GenimixValidationError } from '@genimix/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FOLDER_SETTING } from '../src/config.js';
import { imageFileName, safeFileName, writeImageFile } from '../src/image-files.js';
import { checkOutputFolder, isUnderPseudoRoot, OutputFolderError } from '../src/output-folder.js';
import { PathAccessError } from '../src/paths.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const png = (text: string) => Buffer.concat([PNG, Buffer.from(text)]);
const isRoot = process.getuid?.() === 0;

let work: string;
let n = 0;
/** A fresh path in the test's folder, not yet created. */
const fresh = (name: string) => path.join(work, `${++n}-${name}`);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'genimix-output-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The error `promise` rejects with; a test failure if it resolves. */
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('expected a refusal'),
    (error: unknown) => error as Error,
  );

const mode = async (p: string) => (await lstat(p)).mode & 0o7777;

describe('checkOutputFolder', () => {
  it('creates a missing folder private (0700), its missing parents as usual', async () => {
    const parent = fresh('parent');
    const dir = path.join(parent, 'nested', 'out');
    await checkOutputFolder(dir);
    expect(await mode(dir)).toBe(0o700);
    // Parents get the default mode (0777 less the umask), not 0700.
    const umask = process.umask();
    expect(await mode(path.join(parent, 'nested'))).toBe(0o777 & ~umask);
  });

  it('accepts an existing private folder and one others may only read, leaving their modes', async () => {
    const privateDir = fresh('private');
    await mkdir(privateDir, { mode: 0o700 });
    await checkOutputFolder(privateDir);
    const readable = fresh('readable');
    await mkdir(readable);
    await chmod(readable, 0o755);
    await checkOutputFolder(readable);
    expect(await mode(readable)).toBe(0o755);
  });

  it.each(['/proc/x', '/proc', '/sys/x', '/sys/kernel/genimix', '/dev/x', '/proc/self/fd/out'])(
    'refuses %s at once, naming GENIMIX_OUTPUT_DIR, and creates nothing',
    async (dir) => {
      const existed = await stat(dir).then(
        () => true,
        () => false,
      );
      const error = await failure(checkOutputFolder(dir));
      expect(error).toBeInstanceOf(OutputFolderError);
      expect(error.name).toBe('OutputFolderError');
      expect(error.message).toMatch(/GENIMIX_OUTPUT_DIR/);
      expect(error.message).toMatch(/pseudo file system/);
      expect(error.message).toMatch(/the user must set GENIMIX_OUTPUT_DIR/);
      if (!existed) await expect(stat(dir)).rejects.toThrow(/ENOENT/);
    },
  );

  it('refuses a link that leads into /proc', async () => {
    const link = fresh('to-proc');
    await symlink('/proc/self', link);
    const error = await failure(checkOutputFolder(path.join(link, 'out')));
    expect(error).toBeInstanceOf(OutputFolderError);
    expect(error.message).toMatch(/leads to \/proc\/\d+, on a kernel pseudo file system/);
  });

  it('refuses a file in place of the folder, and one in place of a parent', async () => {
    const file = fresh('file');
    await writeFile(file, 'not a folder');
    expect((await failure(checkOutputFolder(file))).message).toMatch(
      /^The folder for large images, .*file \(GENIMIX_OUTPUT_DIR\), is a file, not a folder: the user must set GENIMIX_OUTPUT_DIR/,
    );
    expect((await failure(checkOutputFolder(path.join(file, 'below', 'out')))).message).toMatch(/cannot be created/);
    expect(await readFile(file, 'utf8')).toBe('not a folder');
  });

  // Chosen: refused and left as it is, never tightened: it is the user's folder.
  it.each([0o777, 0o770, 0o1777])(
    'refuses an existing folder writable by others (mode %o), leaving its mode',
    async (shared) => {
      const dir = fresh('shared');
      await mkdir(dir);
      await chmod(dir, shared);
      const error = await failure(checkOutputFolder(dir));
      expect(error).toBeInstanceOf(OutputFolderError);
      // A sticky folder open to all is /tmp's kind: the advice is a folder of one's own, not chmod.
      const advice =
        shared & 0o1000
          ? /can be written by other users \(mode \d+\): set GENIMIX_OUTPUT_DIR .* to a folder of the user's own/
          : /can be written by other users \(mode \d+\): the user must make it private \(chmod 700 .*\) or set GENIMIX_OUTPUT_DIR/;
      expect(error.message).toMatch(advice);
      // Extension users have a setting, not a variable: the message names both.
      expect(error.message).toContain(OUTPUT_FOLDER_SETTING);
      expect(await mode(dir)).toBe(shared);
    },
  );

  // chown needs root; this machine runs the tests as root. Elsewhere the case cannot be built.
  it.runIf(isRoot)('refuses an existing folder that belongs to another user', async () => {
    const dir = fresh('foreign');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, 4321, 4321);
    const error = await failure(checkOutputFolder(dir));
    expect(error.message).toMatch(/belongs to another user \(uid 4321/);
    expect(error.message).toMatch(/GENIMIX_OUTPUT_DIR/);
  });

  it('is a PathAccessError, which tool results show as it is', async () => {
    expect(await failure(checkOutputFolder('/proc/x'))).toBeInstanceOf(PathAccessError);
  });

  it('knows the pseudo roots by path', () => {
    expect(['/proc', '/proc/1', '/sys/x', '/dev/shm/x'].map(isUnderPseudoRoot)).toEqual([true, true, true, true]);
    expect(['/processes', '/system', '/device', '/home/proc'].map(isUnderPseudoRoot)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});

describe('safeFileName', () => {
  const reserved = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
  const ids = [
    'cat',
    'Cat',
    'cAt',
    'CAT',
    'caT',
    'cat.png',
    'Cat.png',
    'cat.PNG',
    'con',
    'CON',
    'Con',
    'con.txt',
    'CON.txt',
    'nul',
    'NUL',
    'nul.txt',
    'nul.tar.gz',
    'Nul',
    'prn',
    'aux',
    'AUX',
    'com0',
    'com1',
    'COM1',
    'com9',
    'lpt1',
    'LPT9',
    'lpt0',
    'com10',
    'lpt',
    'console',
    'x.nul',
    'x.con.y',
    'a.',
    'a..',
    'A.',
    '...',
    '._',
    '.hidden',
    '.Hidden',
    '-',
    '_',
    'a-b_c.d',
    'img-0f8c1e8a-5e0b-4bba-9d1c-2f2c4b1e6a3d',
    'A'.repeat(128),
    'a'.repeat(128),
    `${'Ab'.repeat(63)}.`,
    `${'x'.repeat(127)}.`,
  ];

  it('keeps ids of lower-case letters, digits, ".", "_" and "-" as they are', () => {
    for (const id of [
      'cat',
      'cat.png',
      'a-b_c.d',
      'img-0f8c1e8a-5e0b-4bba-9d1c-2f2c4b1e6a3d',
      'x.nul',
      'console',
      'com10',
      '.hidden',
    ]) {
      expect(safeFileName(id)).toBe(id);
    }
  });

  it.each([
    ['Cat', 'cat+1'],
    ['cAt', 'cat+2'],
    ['CAT', 'cat+7'],
    ['nul', 'nul+0'],
    ['NUL.x', 'nul+7.x'],
    ['My.Pic', 'my+9.pic'],
    ['a.', 'a+0.+'],
    ['COM1', 'com1+7'],
  ])('maps %s to %s', (id, name) => {
    expect(safeFileName(id)).toBe(name);
  });

  it('gives distinct ids distinct names, even with case folded; no reserved or invalid name', () => {
    const folded = new Map<string, string>();
    for (const id of ids) {
      const name = safeFileName(id);
      for (const file of [name, `${name}.png`]) {
        expect(file, id).toMatch(/^[a-z0-9._+-]+$/);
        expect(file.split('.')[0], id).not.toMatch(reserved);
        expect(file.endsWith('.') || file.endsWith(' '), id).toBe(false);
        expect(file.length, id).toBeLessThanOrEqual(200);
      }
      expect(folded.get(name.toLowerCase()), `${id} and ${folded.get(name.toLowerCase())} collide`).toBeUndefined();
      folded.set(name.toLowerCase(), id);
    }
    expect(folded.size).toBe(ids.length);
  });

  it('gives every case variant of an id its own name (all 16 of "abcd")', () => {
    const variants = Array.from({ length: 16 }, (_, bits) =>
      [...'abcd'].map((c, i) => ((bits >> i) & 1 ? c.toUpperCase() : c)).join(''),
    );
    expect(new Set(variants.map((v) => safeFileName(v).toLowerCase())).size).toBe(16);
  });

  it('refuses what is no id', () => {
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a b', 'a+b', 'x'.repeat(129)])
      expect(() => safeFileName(bad), bad).toThrow(TypeError);
  });

  it("adds the type's extension, bin for an unknown type", () => {
    expect(imageFileName('Cat', 'image/jpeg')).toBe('cat+1.jpg');
    expect(imageFileName('cat', 'application/octet-stream')).toBe('cat.bin');
  });
});

describe('writeImageFile', () => {
  it('writes a private file in a private project folder, and says it replaced nothing', async () => {
    const out = fresh('out');
    const written = await writeImageFile(out, 'proj', 'cat', 'image/png', png('one'));
    expect(written).toEqual({ path: path.join(out, 'proj', 'cat.png'), replaced: false });
    expect(await readFile(written.path)).toEqual(png('one'));
    expect(await mode(written.path)).toBe(0o600);
    expect(await mode(path.join(out, 'proj'))).toBe(0o700);
    expect(await mode(out)).toBe(0o700);
  });

  it('replaces the earlier file of the same image, and says so', async () => {
    const out = fresh('out');
    await writeImageFile(out, 'proj', 'cat', 'image/png', png('first'));
    const again = await writeImageFile(out, 'proj', 'cat', 'image/png', png('second'));
    expect(again.replaced).toBe(true);
    expect(await readFile(again.path)).toEqual(png('second'));
    expect(await readdir(path.join(out, 'proj'))).toEqual(['cat.png']);
  });

  it('never writes silently over a file it finds there: replaced says so', async () => {
    const out = fresh('out');
    await mkdir(path.join(out, 'proj'), { recursive: true, mode: 0o700 });
    await chmod(out, 0o700);
    await writeFile(path.join(out, 'proj', 'dog.png'), 'put there by hand');
    expect((await writeImageFile(out, 'proj', 'dog', 'image/png', png('dog'))).replaced).toBe(true);
  });

  it("leaves a folder in the file's place alone and refuses", async () => {
    const out = fresh('out');
    await mkdir(path.join(out, 'proj', 'cat.png'), { recursive: true });
    await chmod(out, 0o700);
    await chmod(path.join(out, 'proj'), 0o700);
    const error = await failure(writeImageFile(out, 'proj', 'cat', 'image/png', png('x')));
    expect(error).toBeInstanceOf(OutputFolderError);
    expect(error.message).toMatch(/is a folder; it was left as it is/);
    expect((await stat(path.join(out, 'proj', 'cat.png'))).isDirectory()).toBe(true);
    expect((await readdir(path.join(out, 'proj'))).sort()).toEqual(['cat.png']);
  });

  it("replaces a symbolic link at the file's name itself, never what it points to", async () => {
    const out = fresh('out');
    const victim = fresh('victim.txt');
    await writeFile(victim, 'untouched');
    await writeImageFile(out, 'proj', 'seed', 'image/png', png('seed'));
    await symlink(victim, path.join(out, 'proj', 'cat.png'));
    const written = await writeImageFile(out, 'proj', 'cat', 'image/png', png('cat'));
    expect(written.replaced).toBe(true);
    expect((await lstat(written.path)).isFile()).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('untouched');
  });

  it('refuses a project folder that is a symbolic link, and writes nothing where it points', async () => {
    const out = fresh('out');
    await mkdir(out, { mode: 0o700 });
    const elsewhere = fresh('elsewhere');
    await mkdir(elsewhere, { mode: 0o700 });
    await symlink(elsewhere, path.join(out, 'proj'));
    const error = await failure(writeImageFile(out, 'proj', 'cat', 'image/png', png('x')));
    expect(error).toBeInstanceOf(OutputFolderError);
    expect(error.message).toMatch(
      /project folder .*proj .*GENIMIX_OUTPUT_DIR.* is a symbolic link, which this server does not follow/,
    );
    expect(await readdir(elsewhere)).toEqual([]);
    expect(await readlink(path.join(out, 'proj'))).toBe(elsewhere);
  });

  it('refuses a file in place of the project folder', async () => {
    const out = fresh('out');
    await mkdir(out, { mode: 0o700 });
    await writeFile(path.join(out, 'proj'), 'a file');
    expect((await failure(writeImageFile(out, 'proj', 'cat', 'image/png', png('x')))).message).toMatch(
      /is a file, not a folder/,
    );
  });

  it('refuses a shared project folder and a shared output folder', async () => {
    const out = fresh('out');
    await mkdir(path.join(out, 'proj'), { recursive: true });
    await chmod(out, 0o700);
    await chmod(path.join(out, 'proj'), 0o777);
    expect((await failure(writeImageFile(out, 'proj', 'cat', 'image/png', png('x')))).message).toMatch(
      /project folder .* can be written by other users \(mode 0777\)/,
    );
    await chmod(out, 0o777);
    expect((await failure(writeImageFile(out, 'proj', 'cat', 'image/png', png('x')))).message).toMatch(
      /^The folder for large images, .* can be written by other users/,
    );
  });

  it('refuses /proc as output folder before writing', async () => {
    const error = await failure(writeImageFile('/proc/genimix', 'proj', 'cat', 'image/png', png('x')));
    expect(error.message).toMatch(/GENIMIX_OUTPUT_DIR/);
  });

  it('refuses invalid ids as arguments', async () => {
    const out = fresh('out');
    for (const [project, image] of [
      ['..', 'cat'],
      ['proj', '../x'],
      ['proj', ''],
    ]) {
      const error = await failure(writeImageFile(out, project!, image!, 'image/png', png('x')));
      expect(error).toBeInstanceOf(GenimixValidationError);
    }
  });

  it('writes ids that differ only in case, or that Windows reserves, to distinct files', async () => {
    const out = fresh('out');
    const ids = ['cat', 'Cat', 'CAT', 'nul', 'NUL', 'nul.txt', 'con', 'Com1', 'lpt9', 'a.', 'A.'];
    const written = [];
    for (const id of ids) written.push(await writeImageFile(out, 'proj', id, 'image/png', png(id)));
    expect(written.every((w) => !w.replaced)).toBe(true);
    const names = await readdir(path.join(out, 'proj'));
    expect(names).toHaveLength(ids.length);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(ids.length);
    for (const [i, id] of ids.entries()) expect(await readFile(written[i]!.path), id).toEqual(png(id));
  });

  it('maps project ids the same way', async () => {
    const out = fresh('out');
    const upper = await writeImageFile(out, 'Proj', 'cat', 'image/png', png('upper'));
    const lower = await writeImageFile(out, 'proj', 'cat', 'image/png', png('lower'));
    const reserved = await writeImageFile(out, 'aux', 'cat', 'image/png', png('aux'));
    expect(path.basename(path.dirname(upper.path))).toBe('proj+1');
    expect(path.basename(path.dirname(lower.path))).toBe('proj');
    expect(path.basename(path.dirname(reserved.path))).toBe('aux+0');
    expect(await readFile(upper.path)).toEqual(png('upper'));
  });

  it('writes one image whole when it is written many times at once, leaving no temporary file', async () => {
    const out = fresh('out');
    const big = Buffer.alloc(900 * 1024, 7);
    PNG.copy(big);
    const results = await Promise.all(
      Array.from({ length: 12 }, () => writeImageFile(out, 'proj', 'parallel', 'image/png', big)),
    );
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    // link() creates the name only if it is free: exactly one call created it.
    expect(results.filter((r) => !r.replaced)).toHaveLength(1);
    expect((await readFile(results[0]!.path)).equals(big)).toBe(true);
    expect(await readdir(path.join(out, 'proj'))).toEqual(['parallel.png']);
  });

  it('creates the folders once when different images are written at once', async () => {
    const out = fresh('out');
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => writeImageFile(out, 'proj', `img-${i}`, 'image/png', png(String(i)))),
    );
    expect(results.every((r) => !r.replaced)).toBe(true);
    expect((await readdir(path.join(out, 'proj'))).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `img-${i}.png`).sort(),
    );
  });
});
