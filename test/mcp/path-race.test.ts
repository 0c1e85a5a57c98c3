import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServer, textOf } from '../../scripts/mcp-client.js';

/**
 * A folder inside the allowed one swapped for a symbolic link to a folder outside, again and
 * again, while the model uploads from it: the server, in its own process, must upload the
 * file inside or refuse, and never upload the one outside.
 */
const API_KEY = 'sk_test_path_race_0123456789';
let emulator: Emulator;
let server: Awaited<ReturnType<typeof connectServer>>;
let workDir: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-mcp-race-'));
  await mkdir(path.join(workDir, 'allowed'));
  server = await connectServer({ GENIMIX_API_KEY: API_KEY, GENIMIX_PROJECT_ID: 'race', GENIMIX_BASE_URL: emulator.url, GENIMIX_OUTPUT_DIR: path.join(workDir, 'out'), GENIMIX_ALLOWED_DIRS: path.join(workDir, 'allowed') });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
  await rm(workDir, { recursive: true, force: true });
});

const png = (r: number, g: number, b: number) => sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } }).png().toBuffer();

describe('upload_image { path } against a folder swapped for a symbolic link', () => {
  it('uploads nothing from outside the allowed folder, in hundreds of tries', async () => {
    const allowed = path.join(workDir, 'allowed');
    const swap = path.join(allowed, 'photos');
    const parkedReal = path.join(allowed, 'photos-real');
    const parkedLink = path.join(allowed, 'photos-link');
    const outside = path.join(workDir, 'outside');
    const inside = await png(0, 200, 0);
    const secret = await png(200, 0, 0);
    await mkdir(swap);
    await writeFile(path.join(swap, 'image.png'), inside);
    await mkdir(outside);
    await writeFile(path.join(outside, 'image.png'), secret);
    await symlink(outside, parkedLink);

    let swapping = true;
    let swaps = 0;
    const swapper = (async () => {
      while (swapping) {
        await rename(swap, parkedReal);
        await rename(parkedLink, swap);
        await rename(swap, parkedLink);
        await rename(parkedReal, swap);
        swaps++;
      }
    })();

    const outcomes = { uploaded: 0, refused: 0 };
    // Bounded in count: at least 300 tries, more (up to 3,000) until both outcomes have occurred.
    for (let i = 0; i < 3000 && (i < 300 || outcomes.uploaded === 0 || outcomes.refused === 0); i++) {
      const result = await server.call('upload_image', { path: path.join(swap, 'image.png'), imageId: `try-${i}` });
      if (result.isError) {
        expect(textOf(result)).toMatch(/path/);
        outcomes.refused++;
        continue;
      }
      outcomes.uploaded++;
      const stored = await emulator.store.get('race', `try-${i}`);
      expect(Buffer.from(stored!.bytes).equals(inside), `try ${i} uploaded the file outside`).toBe(true);
    }
    swapping = false;
    await swapper;
    expect(swaps).toBeGreaterThan(10);
    expect(outcomes.uploaded).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});
