import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { renderPhoto } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FOLDER_SETTING } from '../../mcp-server/src/config.js';
import { detailsOf, SERVER_BIN, textOf } from '../../scripts/mcp-client.js';
import { type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

/** Where full images go, as the user meets it: a fresh folder, a shared one, links, names that clash. */
let fx: McpFixture;
let workDir: string;
let photo: Buffer;

beforeAll(async () => {
  fx = await startMcpFixture('out');
  workDir = fx.workDir;
  // Larger than a preview: every get_image writes the full image.
  photo = await renderPhoto({ width: 1024, height: 1024, seed: 'out' });
});
afterAll(() => fx?.close());

const env = (outputDir: string) => ({ ...fx.env, GENIMIX_OUTPUT_DIR: outputDir });
const connectServer = (withEnv: Record<string, string>) => fx.connect(withEnv);

async function startFails(outputDir: string): Promise<string> {
  const child = spawn(process.execPath, [SERVER_BIN], {
    env: { PATH: process.env.PATH ?? '', ...env(outputDir) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'close')) as [number];
  expect(code).toBe(1);
  return stderr;
}

describe('the output folder', () => {
  it('is created private (0700), its files 0600', async () => {
    const outputDir = path.join(workDir, 'fresh', 'nested');
    const server = await connectServer(env(outputDir));
    await server.call('upload_image', { data: photo.toString('base64'), imageId: 'fresh' });
    const result = await server.call('get_image', { imageId: 'fresh' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect((await stat(outputDir)).mode & 0o777).toBe(0o700);
    expect((await stat(String(detailsOf(result).savedTo))).mode & 0o777).toBe(0o600);
  });

  it('that others may write to is refused at start, left as it is, with GENIMIX_OUTPUT_DIR and the fix named', async () => {
    const shared = path.join(workDir, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777);
    const stderr = await startFails(shared);
    expect(stderr).toContain(`or set ${OUTPUT_FOLDER_SETTING} to a private folder`);
    expect(stderr).toMatch(/chmod 700/);
    expect((await stat(shared)).mode & 0o777).toBe(0o777);
  });

  it('a folder open to all by design (sticky, like /tmp) gets advice that does not break the system', async () => {
    const tmpLike = path.join(workDir, 'tmp-like');
    await mkdir(tmpLike);
    await chmod(tmpLike, 0o1777);
    const stderr = await startFails(tmpLike);
    expect(stderr).toContain(
      `set ${OUTPUT_FOLDER_SETTING} to a folder of the user's own, e.g. ${path.join(tmpLike, 'genimix-mcp')}`,
    );
    expect(stderr).not.toMatch(/chmod/);
  });

  it('a project folder that is a symbolic link is not followed: nothing is written where it points', async () => {
    const outputDir = path.join(workDir, 'linked');
    const elsewhere = path.join(workDir, 'elsewhere');
    await mkdir(outputDir, { mode: 0o700 });
    await mkdir(elsewhere);
    await symlink(elsewhere, path.join(outputDir, 'out'));
    const server = await connectServer(env(outputDir));
    await server.call('upload_image', { data: photo.toString('base64'), imageId: 'linked' });
    const result = await server.call('get_image', { imageId: 'linked' });
    // The image is still shown and linked; only the file could not be written.
    expect(result.isError).toBeFalsy();
    expect(result.content.some((c) => c.type === 'image')).toBe(true);
    expect(detailsOf(result).savedTo).toBeUndefined();
    expect(textOf(result)).toMatch(/could not be written to a file: .*symbolic link/);
    expect(await readdir(elsewhere)).toEqual([]);
    expect((await lstat(path.join(outputDir, 'out'))).isSymbolicLink()).toBe(true);
  });

  it('an existing file is never overwritten silently, and ids that differ by case or are Windows device names get files of their own', async () => {
    const outputDir = path.join(workDir, 'names');
    const server = await connectServer(env(outputDir));
    const ids = ['cat', 'Cat', 'CAT', 'con', 'NUL', 'com1.backup', 'lpt9', 'aux.'];
    const saved = new Map<string, string>();
    for (const [i, imageId] of ids.entries()) {
      const bytes = await renderPhoto({ width: 600, height: 600, seed: imageId });
      await server.call('upload_image', { data: bytes.toString('base64'), imageId });
      const result = await server.call('get_image', { imageId });
      expect(result.isError, textOf(result)).toBeFalsy();
      const file = String(detailsOf(result).savedTo);
      expect(detailsOf(result).replacedFile, imageId).toBeUndefined();
      expect((await readFile(file)).equals(bytes), `${imageId} at index ${i}`).toBe(true);
      saved.set(imageId, path.basename(file));
    }
    const names = [...saved.values()];
    // Distinct even where case is ignored, and no name Windows reserves or strips.
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(ids.length);
    for (const name of names) {
      expect(name.split('.')[0]).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)$/i);
      expect(name).not.toMatch(/[. ]$/);
    }
    // The same image fetched again replaces its own file, and says so.
    const again = await server.call('get_image', { imageId: 'cat' });
    expect(detailsOf(again)).toMatchObject({ replacedFile: true });
    expect(textOf(again)).toMatch(/replaced the earlier file/);
  });
});
