import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../src/index.js';
import { call, generate, KEY, MODEL, PROMPT, sampleImage, startEmulator, upload } from './helpers.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'genimix-emulator-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('dataDir', () => {
  it('keeps images across a close and a new emulator on the same folder', async () => {
    const first = await startEmulator({ dataDir });
    const jpeg = await sampleImage('jpeg');
    expect((await upload(first, 'alpha', 'photo', jpeg, 'image/jpeg')).status).toBe(200);
    expect((await generate(first, 'beta', 'drawn', { ...MODEL, prompt: PROMPT })).status).toBe(200);
    expect((await upload(first, 'alpha', 'gone', jpeg, 'image/jpeg')).status).toBe(200);
    expect((await call(first, 'DELETE', '/v1/alpha/image/gone')).status).toBe(200);
    const drawn = Buffer.from(await (await call(first, 'GET', '/v1/beta/image/drawn')).arrayBuffer());
    await first.close();

    const second = await startEmulator({ dataDir });
    const photo = await call(second, 'GET', '/v1/alpha/image/photo');
    expect(photo.status).toBe(200);
    expect(photo.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await photo.arrayBuffer()).equals(jpeg)).toBe(true);
    const again = await call(second, 'GET', '/v1/beta/image/drawn');
    expect(again.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await again.arrayBuffer()).equals(drawn)).toBe(true);
    expect((await call(second, 'GET', '/v1/alpha/image/gone')).status).toBe(404);
    expect(await second.store.list('alpha')).toEqual(['photo']);
  });

  it('lays images out as <dataDir>/<projectId>/<imageId>, with no temporary files left', async () => {
    const emulator = await startEmulator({ dataDir });
    const png = await sampleImage('png');
    await upload(emulator, 'demo', 'pic.v1', png, 'image/png');
    await upload(emulator, 'demo', 'pic.v1', png, 'image/png');
    expect((await readFile(join(dataDir, 'demo', 'pic.v1'))).equals(png)).toBe(true);
    const files = await readdir(join(dataDir, 'demo'));
    expect(files.filter((f) => f.includes('tmp'))).toEqual([]);
    expect(files).toContain('pic.v1');
  });

  it('removes temporary files a stopped process left behind, and ignores them meanwhile', async () => {
    const first = await startEmulator({ dataDir });
    await upload(first, 'demo', 'kept', await sampleImage('png'), 'image/png');
    await first.close();
    await writeFile(join(dataDir, 'demo', 'half~tmp-0123456789ab'), 'half an image');

    const second = await startEmulator({ dataDir });
    expect(await second.store.list('demo')).toEqual(['kept']);
    expect(await readdir(join(dataDir, 'demo'))).not.toContain('half~tmp-0123456789ab');
  });
});

for (const where of ['memory', 'disk'] as const) {
  describe(`an upload cut off mid-body (${where})`, () => {
    it('stores nothing', async () => {
      let logged!: (entry: RequestLogEntry) => void;
      const entry = new Promise<RequestLogEntry>((resolve) => (logged = resolve));
      const emulator = await startEmulator({ ...(where === 'disk' ? { dataDir } : {}), onRequest: (e) => logged(e) });
      const png = await sampleImage('png');

      // Half of the declared bytes, then the connection goes away.
      const req = request(`${emulator.url}/v1/demo/image/partial`, {
        method: 'PUT',
        headers: { 'x-api-key': KEY, 'Content-Type': 'image/png', 'Content-Length': String(png.length * 2) },
      });
      req.on('error', () => {});
      req.write(png, () => req.destroy());
      expect(await entry).toMatchObject({ method: 'PUT', path: '/v1/demo/image/partial', aborted: true });

      expect(await emulator.store.has('demo', 'partial')).toBe(false);
      expect((await call(emulator, 'GET', '/v1/demo/image/partial')).status).toBe(404);
      if (where === 'disk') {
        const files = await readdir(join(dataDir, 'demo')).catch(() => []);
        expect(files).toEqual([]);
      }
    });
  });
}
