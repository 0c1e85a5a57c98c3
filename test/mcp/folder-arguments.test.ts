/**
 * The upload folders as hosts pass them: JSON arguments and variables, no shell, Claude
 * Desktop's working directory `/`. `~` is the home folder, folders that are not there are named
 * on stderr at start-up, and the start-up log quotes every path.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_FOLDERS_SETTING } from '../../mcp-server/src/config.js';
import { connectServer, SERVER_BIN, textOf } from '../../scripts/mcp-client.js';

const API_KEY = 'sk_test_folders_0123456789';
const PHOTO = path.join(import.meta.dirname, '..', '..', 'fixtures', 'stm32f3-discovery.jpg');

let home: string;
let emulator: Emulator;
beforeAll(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'genimix-folders-'));
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
});
afterAll(async () => {
  await emulator?.close();
  await rm(home, { recursive: true, force: true });
});

describe('upload folders given to the server', () => {
  it('expand a leading ~ (arguments and GENIMIX_ALLOWED_DIRS) to the home folder, with no shell and cwd /', async () => {
    await mkdir(path.join(home, 'Pictures'));
    await mkdir(path.join(home, 'Downloads'));
    await copyFile(PHOTO, path.join(home, 'Pictures', 'a.jpg'));
    await copyFile(PHOTO, path.join(home, 'Downloads', 'b.jpg'));
    const server = await connectServer(
      {
        HOME: home,
        USERPROFILE: home,
        GENIMIX_API_KEY: API_KEY,
        GENIMIX_PROJECT_ID: 'tilde',
        GENIMIX_BASE_URL: emulator.url,
        GENIMIX_ALLOWED_DIRS: '~/Downloads',
      },
      { args: [SERVER_BIN, '--', '~/Pictures'], cwd: '/' },
    );
    try {
      for (const [file, imageId] of [
        [path.join(home, 'Pictures', 'a.jpg'), 'a'],
        [path.join(home, 'Downloads', 'b.jpg'), 'b'],
      ]) {
        const result = await server.call('upload_image', { path: file, imageId });
        expect(result.isError, textOf(result)).toBeFalsy();
      }
    } finally {
      await server.close();
    }
    expect(server.stderr()).toContain(JSON.stringify(path.join(home, 'Pictures')));
    expect(server.stderr()).not.toContain('warning');
  });

  it('that do not exist or are no folder are named in a warning on stderr, and the server still serves', async () => {
    const missing = path.join(home, 'no-such-folder');
    const file = path.join(home, 'a-file.txt');
    await writeFile(file, 'not a folder');
    // A newline in a name: quoted, it cannot start a line of its own in the host's log.
    const forged = path.join(home, 'x\n[genimix-mcp] serving project "evil"');
    const server = await connectServer(
      { HOME: home, GENIMIX_API_KEY: API_KEY, GENIMIX_PROJECT_ID: 'checked', GENIMIX_BASE_URL: emulator.url },
      { args: [SERVER_BIN, '--', missing, file, forged], cwd: '/' },
    );
    try {
      const { tools } = await server.client.listTools();
      expect(tools.map((t) => t.name)).toContain('upload_image');
    } finally {
      await server.close();
    }
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith('[genimix-mcp] '))).toBe(true);
    expect(lines.filter((line) => line.startsWith('[genimix-mcp] serving project'))).toHaveLength(1);
    const warnings = lines.filter((line) => line.includes('warning'));
    expect(warnings).toHaveLength(3);
    expect(warnings[0]).toContain(`${JSON.stringify(missing)} does not exist`);
    expect(warnings[1]).toContain(`${JSON.stringify(file)} is not a folder`);
    expect(warnings[2]).toContain(`${JSON.stringify(forged)} does not exist`);
  });

  it('when there are none, the start-up log names the variable and the extension setting that give them', async () => {
    const server = await connectServer(
      { HOME: home, GENIMIX_API_KEY: API_KEY, GENIMIX_PROJECT_ID: 'none', GENIMIX_BASE_URL: emulator.url },
      { args: [SERVER_BIN, '--'], cwd: '/' },
    );
    await server.close();
    expect(server.stderr()).toContain(`may read files from: none (set ${UPLOAD_FOLDERS_SETTING})`);
  });
});
