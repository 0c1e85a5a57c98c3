import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServer, detailsOf, imageOf, textOf } from '../../scripts/mcp-client.js';
import { PHOTO_PATH, PNG_SIGNATURE, readPhoto, TINY_PNG } from '../helpers/images.js';

const API_KEY = 'sk_test_mcp_0123456789abcdef';
let emulator: Emulator;
let server: Awaited<ReturnType<typeof connectServer>>;
let workDir: string;
let allowedDir: string;
let outputDir: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY] });
  workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-mcp-test-'));
  allowedDir = path.join(workDir, 'allowed');
  outputDir = path.join(workDir, 'out');
  await mkdir(allowedDir);
  server = await connectServer({
    GENIMIX_API_KEY: API_KEY,
    GENIMIX_PROJECT_ID: 'mcp',
    GENIMIX_BASE_URL: emulator.url,
    GENIMIX_OUTPUT_DIR: outputDir,
    GENIMIX_ALLOWED_DIRS: [allowedDir, path.dirname(PHOTO_PATH)].join(path.delimiter),
  });
});
afterAll(async () => {
  await server?.close();
  await emulator?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('tools/list', () => {
  it('lists the four tools with descriptions, input schemas and annotations', async () => {
    const { tools } = await server.client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual(['delete_image', 'generate_image', 'get_image', 'upload_image']);
    expect(Object.keys(byName.generate_image!.inputSchema.properties ?? {}).sort()).toEqual(['imageId', 'modelId', 'projectId', 'prompt', 'provider']);
    expect(byName.generate_image!.inputSchema.required).toEqual(['prompt']);
    expect(Object.keys(byName.upload_image!.inputSchema.properties ?? {}).sort()).toEqual(['contentType', 'data', 'imageId', 'path', 'projectId']);
    expect(byName.get_image!.inputSchema.required).toEqual(['imageId']);
    expect(byName.delete_image!.inputSchema.required).toEqual(['imageId']);
    expect(byName.get_image!.annotations?.readOnlyHint).toBe(true);
    expect(byName.delete_image!.annotations?.destructiveHint).toBe(true);
    expect(byName.generate_image!.description).toMatch(/tokens/);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(80);
      for (const property of Object.values(tool.inputSchema.properties ?? {})) {
        expect((property as { description?: string }).description).toBeTruthy();
      }
    }
  });
});

describe('generate_image', () => {
  it('generates with the default model and a fresh id, and shows the image', async () => {
    const result = await server.call('generate_image', { prompt: 'A paper boat on a pond' });
    expect(result.isError).toBeFalsy();
    const details = detailsOf(result);
    expect(details.imageId).toMatch(/^img-[0-9a-f-]{36}$/);
    expect(details.projectId).toBe('mcp');
    expect(details.contentType).toBe('image/png');
    expect(textOf(result)).toContain('google/imagen-3.0-generate-002');
    const block = result.content.find((c) => c.type === 'image')!;
    expect(block.mimeType).toBe('image/png');
    expect(imageOf(result).subarray(0, 8)).toEqual(PNG_SIGNATURE);
  });

  it('reports progress to a client that asks for it', async () => {
    const updates: Array<{ progress: number; total?: number; message?: string }> = [];
    const result = await server.client.callTool({ name: 'generate_image', arguments: { prompt: 'A kite' } }, { onprogress: (update) => updates.push(update) });
    expect(result.isError).toBeFalsy();
    expect(updates.map((u) => u.progress)).toEqual([0, 1, 2]);
    expect(updates.every((u) => u.total === 2 && typeof u.message === 'string')).toBe(true);
  });

  it('takes the provider of a known modelId and stores under the given imageId', async () => {
    const result = await server.call('generate_image', { prompt: 'A robot', modelId: 'dall-e-3', imageId: 'robot' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toContain('openai/dall-e-3');
    expect(detailsOf(result).imageId).toBe('robot');
  });

  it.each([
    [{ prompt: '' }, /prompt/],
    [{ prompt: 'A cat', modelId: 'my-new-model' }, /provider is required/],
    [{ prompt: 'A cat', imageId: '../escape' }, /imageId/],
    [{ prompt: 'A cat', provider: 'stability', modelId: 'stable-image-ultra' }, /400/],
  ])('refuses %j with a message naming what to change', async (args, message) => {
    const result = await server.call('generate_image', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
  });
});

describe('upload_image and get_image', () => {
  it('uploads a local photograph by path and gets the same bytes back', async () => {
    const photo = await readPhoto();
    const uploaded = await server.call('upload_image', { path: PHOTO_PATH, imageId: 'photo' });
    expect(uploaded.isError).toBeFalsy();
    expect(detailsOf(uploaded)).toMatchObject({ imageId: 'photo', size: photo.length });
    const fetched = await server.call('get_image', { imageId: 'photo' });
    expect(fetched.content.find((c) => c.type === 'image')?.mimeType).toBe('image/jpeg');
    expect(imageOf(fetched).equals(photo)).toBe(true);
  });

  it.each([
    ['plain base64', TINY_PNG.toString('base64')],
    ['a data: URI', `data:image/png;base64,${TINY_PNG.toString('base64')}`],
    ['base64 with line breaks', TINY_PNG.toString('base64').replace(/(.{16})/g, '$1\n')],
  ])('uploads data given as %s', async (_kind, data) => {
    const uploaded = await server.call('upload_image', { data, imageId: 'tiny' });
    expect(uploaded.isError).toBeFalsy();
    expect(imageOf(await server.call('get_image', { imageId: 'tiny' })).equals(TINY_PNG)).toBe(true);
  });

  it('gives a fresh id when imageId is omitted', async () => {
    const uploaded = await server.call('upload_image', { data: TINY_PNG.toString('base64') });
    expect(detailsOf(uploaded).imageId).toMatch(/^img-/);
  });

  it('writes an image over 700 KB to the output folder and says where', async () => {
    const noise = await sharp(Buffer.from(Array.from({ length: 600 * 600 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 600, height: 600, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    expect(noise.length).toBeGreaterThan(700 * 1024);
    expect((await server.call('upload_image', { data: noise.toString('base64'), imageId: 'big' })).isError).toBeFalsy();
    const fetched = await server.call('get_image', { imageId: 'big' });
    expect(fetched.isError).toBeFalsy();
    expect(fetched.content.some((c) => c.type === 'image')).toBe(false);
    const savedTo = detailsOf(fetched).savedTo as string;
    expect(savedTo).toBe(path.join(outputDir, 'mcp', 'big.png'));
    expect(textOf(fetched)).toContain(savedTo);
    expect((await readFile(savedTo)).equals(noise)).toBe(true);
  });

  it.each([
    ['neither data nor path', {}, /exactly one of data/],
    ['both data and path', { data: TINY_PNG.toString('base64'), path: PHOTO_PATH }, /exactly one of data/],
    ['invalid base64', { data: 'not base64 at all!' }, /base64/],
    ['bytes that are no image', { data: Buffer.from('just some text').toString('base64') }, /not a PNG, JPEG, WebP or GIF/],
    ['a type that contradicts the bytes', { data: TINY_PNG.toString('base64'), contentType: 'image/gif' }, /contradicts/],
    ['a data: URI whose type contradicts contentType', { data: `data:image/png;base64,${TINY_PNG.toString('base64')}`, contentType: 'image/jpeg' }, /contradicts/],
    ['a path outside the allowed folders', { path: '/etc/passwd' }, /outside the folders/],
    ['a path that does not exist', { path: '<allowed>/missing.png' }, /does not exist/],
    ['a bad imageId', { data: TINY_PNG.toString('base64'), imageId: 'a/b' }, /imageId/],
  ])('refuses %s', async (_kind, args, message) => {
    const withDir = JSON.parse(JSON.stringify(args).replace('<allowed>', allowedDir.replaceAll('\\', '/'))) as Record<string, unknown>;
    const result = await server.call('upload_image', withDir);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
  });

  it('refuses a symbolic link inside an allowed folder that leads outside', async () => {
    const outside = path.join(workDir, 'secret.png');
    await writeFile(outside, TINY_PNG);
    await symlink(outside, path.join(allowedDir, 'link.png'));
    const result = await server.call('upload_image', { path: path.join(allowedDir, 'link.png') });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/symbolic link/);
  });

  it('get_image of a missing image is an error that says 404 and what to check', async () => {
    const result = await server.call('get_image', { imageId: 'no-such-image' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/404/);
    expect(textOf(result)).toMatch(/imageId/);
  });
});

describe('delete_image', () => {
  it('deletes an image, and a second delete is a 404 error', async () => {
    await server.call('upload_image', { data: TINY_PNG.toString('base64'), imageId: 'to-delete' });
    const deleted = await server.call('delete_image', { imageId: 'to-delete' });
    expect(deleted.isError).toBeFalsy();
    expect(detailsOf(deleted)).toEqual({ projectId: 'mcp', deleted: 'to-delete' });
    const again = await server.call('delete_image', { imageId: 'to-delete' });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/404/);
  });
});

describe('bad arguments', () => {
  it.each([
    ['generate_image', { prompt: 42 }],
    ['get_image', {}],
    ['delete_image', { imageId: ['a'] }],
    ['upload_image', { data: { bytes: 1 } }],
  ])('%s %j is an isError result, and the server keeps serving', async (name, args) => {
    const result = await server.call(name, args);
    expect(result.isError).toBe(true);
    expect(textOf(result).length).toBeGreaterThan(0);
    expect((await server.call('get_image', { imageId: 'photo' })).isError).toBeFalsy();
  });
});

describe('a wrong API key', () => {
  it('is an error that tells the model the user must fix GENIMIX_API_KEY, without the key', async () => {
    const wrongKey = 'sk_wrong_mcp_key_never_shown';
    const wrong = await connectServer({ GENIMIX_API_KEY: wrongKey, GENIMIX_PROJECT_ID: 'mcp', GENIMIX_BASE_URL: emulator.url });
    try {
      const result = await wrong.call('get_image', { imageId: 'photo' });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/GENIMIX_API_KEY/);
      expect(textOf(result)).not.toContain(wrongKey);
      expect(wrong.stderr()).not.toContain(wrongKey);
    } finally {
      await wrong.close();
    }
  });
});
