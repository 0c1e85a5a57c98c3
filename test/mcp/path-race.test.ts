import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../../scripts/mcp-client.js';
import { type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

/**
 * A folder inside the allowed one swapped for a symbolic link to a folder outside, again and
 * again, while the model uploads from it: the server, in its own process, must upload the
 * file inside or refuse, and never upload the one outside.
 */
let fx: McpFixture;
beforeAll(async () => {
  fx = await startMcpFixture('race');
});
afterAll(() => fx?.close());

const png = (r: number, g: number, b: number) =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

describe('upload_image { path } against a folder swapped for a symbolic link', () => {
  it('uploads nothing from outside the allowed folder, in hundreds of tries', async () => {
    const { emulator, server, workDir, allowedDir: allowed } = fx;
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
