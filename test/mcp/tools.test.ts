import { link, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Emulator } from '@genimix/emulator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, readResource, resourceLinkOf, textOf } from '../../scripts/mcp-client.js';
import { PHOTO_PATH, readPhoto, TINY_PNG } from '../helpers/images.js';
import { type McpConnection, type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

let fx: McpFixture;
let emulator: Emulator;
let server: McpConnection;
let workDir: string;
let allowedDir: string;
let outputDir: string;

beforeAll(async () => {
  // Real models' images: 1–4 MB photographs, not placeholders. No latency: slow-models.test.ts has it.
  fx = await startMcpFixture('mcp', {
    emulator: { profile: 'realistic', latencyScale: 0 },
    env: ({ allowedDir }) => ({ GENIMIX_ALLOWED_DIRS: [allowedDir, path.dirname(PHOTO_PATH)].join(path.delimiter) }),
  });
  ({ emulator, server, workDir, allowedDir, outputDir } = fx);
});
afterAll(() => fx?.close());

describe('tools/list', () => {
  it('lists five tools with descriptions, strict input schemas, output schemas and annotations', async () => {
    const { tools } = await server.client.listTools();
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(Object.keys(byName).sort()).toEqual([
      'delete_image',
      'generate_image',
      'get_image',
      'list_models',
      'upload_image',
    ]);
    expect(Object.keys(byName.generate_image!.inputSchema.properties ?? {}).sort()).toEqual([
      'imageId',
      'modelId',
      'projectId',
      'prompt',
      'provider',
    ]);
    expect(byName.generate_image!.inputSchema.required).toEqual(['prompt']);
    expect(Object.keys(byName.upload_image!.inputSchema.properties ?? {}).sort()).toEqual([
      'contentType',
      'data',
      'imageId',
      'path',
      'projectId',
    ]);
    expect(byName.get_image!.inputSchema.required).toEqual(['imageId']);
    expect(byName.delete_image!.inputSchema.required).toEqual(['imageId']);
    expect(byName.get_image!.annotations?.readOnlyHint).toBe(true);
    expect(byName.list_models!.annotations?.readOnlyHint).toBe(true);
    expect(byName.delete_image!.annotations?.destructiveHint).toBe(true);
    expect(byName.generate_image!.description).toMatch(/tokens/);
    for (const tool of tools) {
      expect(tool.description!.length).toBeGreaterThan(80);
      expect(tool.inputSchema.additionalProperties, tool.name).toBe(false);
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      for (const property of Object.values(tool.inputSchema.properties ?? {})) {
        expect((property as { description?: string }).description).toBeTruthy();
      }
    }
    expect(Object.keys(byName.get_image!.outputSchema!.properties ?? {})).toEqual(
      expect.arrayContaining([
        'projectId',
        'imageId',
        'imageUrl',
        'mimeType',
        'size',
        'width',
        'height',
        'savedTo',
        'preview',
      ]),
    );
  });

  it('offers the full-image resource template', async () => {
    const { resourceTemplates } = await server.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate)).toEqual(['genimix://images/{projectId}/{imageId}']);
  });
});

describe('list_models', () => {
  it('returns the catalog with provider, modelId, name, cost and availability', async () => {
    const result = await server.call('list_models', {});
    expect(result.isError).toBeFalsy();
    const { models } = detailsOf(result) as { models: Array<Record<string, unknown>> };
    expect(models).toContainEqual({
      provider: 'openai',
      modelId: 'dall-e-3',
      name: 'DALL·E 3',
      costTokens: 16,
      available: true,
      default: false,
    });
    expect(models).toContainEqual({
      provider: 'stability',
      modelId: 'stable-image-ultra',
      name: 'Stable Image Ultra',
      costTokens: null,
      available: false,
      default: false,
    });
    expect(models.filter((m) => m.default)).toEqual([
      expect.objectContaining({ provider: 'google', modelId: 'imagen-3.0-generate-002' }),
    ]);
    expect(textOf(result)).toContain('openai/dall-e-3: DALL·E 3, 16 tokens per image');
    expect(emulator.requests.list().filter((r) => r.route === 'generate')).toHaveLength(0);
  });
});

describe('generate_image', () => {
  it('generates a real-size image with the default model, shows a preview, links and saves the full image', async () => {
    const result = await server.call('generate_image', { prompt: 'A paper boat on a pond' });
    expect(result.isError, textOf(result)).toBeFalsy();
    const details = detailsOf(result);
    expect(details).toMatchObject({
      status: 'ready',
      projectId: 'mcp',
      mimeType: 'image/png',
      width: 1024,
      height: 1024,
      provider: 'google',
      modelId: 'imagen-3.0-generate-002',
    });
    expect(details.imageId).toMatch(/^img-[0-9a-f-]{36}$/);
    const stored = (await emulator.store.get('mcp', String(details.imageId)))!;
    expect(details.size).toBe(stored.size);
    expect(stored.size).toBeGreaterThan(1024 * 1024);

    const preview = imageOf(result);
    expect(details.preview).toMatchObject({ original: false, mimeType: 'image/jpeg', size: preview.length });
    const seen = await sharp(preview).metadata();
    expect([seen.width, seen.height]).toEqual([
      (details.preview as { width: number }).width,
      (details.preview as { height: number }).height,
    ]);
    expect(Math.max(seen.width!, seen.height!)).toBeGreaterThanOrEqual(512);
    expect(Math.max(seen.width!, seen.height!)).toBeLessThanOrEqual(1568);
    expect(textOf(result)).toMatch(/preview/);

    const link = resourceLinkOf(result);
    expect(link.uri).toBe(`genimix://images/mcp/${String(details.imageId)}`);
    expect((await readResource(server.client, link.uri)).equals(await readFile(String(details.savedTo)))).toBe(true);
    expect(path.dirname(String(details.savedTo))).toBe(path.join(outputDir, 'mcp'));
  });

  it("takes the provider of a known modelId, stores under the given imageId, at the model's size", async () => {
    const result = await server.call('generate_image', { prompt: 'A robot', modelId: 'dall-e-3', imageId: 'robot' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toContain('openai/dall-e-3');
    expect(detailsOf(result)).toMatchObject({ imageId: 'robot', provider: 'openai', modelId: 'dall-e-3' });
  });

  it.each([
    [{ prompt: '' }, /prompt/],
    [{ prompt: 'A cat', modelId: 'my-new-model' }, /provider is required/],
    [{ prompt: 'A cat', imageId: '../escape' }, /imageId/],
    [{ prompt: 'A cat', provider: 'stability', modelId: 'stable-image-ultra' }, /HTTP 400/],
  ])('refuses %j with a message naming what to change', async (args, message) => {
    const result = await server.call('generate_image', args);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
  });
});

describe('upload_image and get_image', () => {
  it('uploads a local photograph by path; get_image shows a preview, the resource gives the same bytes', async () => {
    const photo = await readPhoto();
    const uploaded = await server.call('upload_image', { path: PHOTO_PATH, imageId: 'photo' });
    expect(uploaded.isError, textOf(uploaded)).toBeFalsy();
    expect(detailsOf(uploaded)).toMatchObject({
      imageId: 'photo',
      size: photo.length,
      mimeType: 'image/jpeg',
      width: 720,
      height: 477,
      resourceUri: 'genimix://images/mcp/photo',
    });
    const fetched = await server.call('get_image', { imageId: 'photo' });
    expect(fetched.isError, textOf(fetched)).toBeFalsy();
    expect(detailsOf(fetched)).toMatchObject({
      status: 'ready',
      width: 720,
      height: 477,
      size: photo.length,
      preview: { original: false, width: 720, height: 477 },
    });
    expect(imageOf(fetched).length).toBeLessThanOrEqual(75_000);
    expect((await readResource(server.client, 'genimix://images/mcp/photo')).equals(photo)).toBe(true);
    expect((await readFile(String(detailsOf(fetched).savedTo))).equals(photo)).toBe(true);
  });

  it.each([
    ['plain base64', TINY_PNG.toString('base64')],
    ['a data: URI', `data:image/png;base64,${TINY_PNG.toString('base64')}`],
    ['base64 with line breaks', TINY_PNG.toString('base64').replace(/(.{16})/g, '$1\n')],
  ])('uploads data given as %s; a small image is shown as it is, and no file is written', async (_kind, data) => {
    const uploaded = await server.call('upload_image', { data, imageId: 'tiny' });
    expect(uploaded.isError, textOf(uploaded)).toBeFalsy();
    const fetched = await server.call('get_image', { imageId: 'tiny' });
    expect(imageOf(fetched).equals(TINY_PNG)).toBe(true);
    expect(detailsOf(fetched)).toMatchObject({ preview: { original: true }, width: 1, height: 1 });
    expect(detailsOf(fetched).savedTo).toBeUndefined();
  });

  it('gives a fresh id when imageId is omitted', async () => {
    const uploaded = await server.call('upload_image', { data: TINY_PNG.toString('base64') });
    expect(detailsOf(uploaded).imageId).toMatch(/^img-/);
  });

  it.each([
    ['neither data nor path', {}, /exactly one of data/],
    ['both data and path', { data: TINY_PNG.toString('base64'), path: PHOTO_PATH }, /exactly one of data/],
    ['invalid base64', { data: 'not base64 at all!' }, /base64/],
    [
      'bytes that are no image',
      { data: Buffer.from('just some text').toString('base64') },
      /not a PNG, JPEG, WebP or GIF/,
    ],
    [
      'a type that contradicts the bytes',
      { data: TINY_PNG.toString('base64'), contentType: 'image/gif' },
      /contradicts/,
    ],
    [
      'a data: URI whose type contradicts contentType',
      { data: `data:image/png;base64,${TINY_PNG.toString('base64')}`, contentType: 'image/jpeg' },
      /contradicts/,
    ],
    ['a path outside the allowed folders', { path: '/etc/passwd' }, /outside the folders/],
    ['a path that does not exist', { path: '<allowed>/missing.png' }, /does not exist/],
    ['a bad imageId', { data: TINY_PNG.toString('base64'), imageId: 'a/b' }, /imageId/],
  ])('refuses %s', async (_kind, args, message) => {
    const withDir = JSON.parse(JSON.stringify(args).replace('<allowed>', allowedDir.replaceAll('\\', '/'))) as Record<
      string,
      unknown
    >;
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
    expect(textOf(result)).toMatch(/outside/);
  });

  it('refuses a hard link inside an allowed folder (it may name a file outside)', async () => {
    const outside = path.join(workDir, 'outside-hard.png');
    await writeFile(outside, TINY_PNG);
    await link(outside, path.join(allowedDir, 'hard.png'));
    const result = await server.call('upload_image', { path: path.join(allowedDir, 'hard.png') });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/hard links/);
    expect(await emulator.store.get('mcp', 'hard')).toBeUndefined();
  });

  it('get_image reports progress while it fetches and makes the preview', async () => {
    const updates: Array<{ message?: string }> = [];
    const result = await server.client.callTool(
      { name: 'get_image', arguments: { imageId: 'photo' } },
      { onprogress: (p) => updates.push(p) },
    );
    expect(result.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThanOrEqual(1);
    expect(updates[0]!.message).toMatch(/Fetching "photo" and making its preview/);
  });

  it('get_image of a missing image is an error that says 404 and what to check', async () => {
    const result = await server.call('get_image', { imageId: 'no-such-image' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/404/);
    expect(textOf(result)).toMatch(/imageId/);
  });

  it('resources/read of a missing image is a protocol error', async () => {
    await expect(readResource(server.client, 'genimix://images/mcp/no-such-image')).rejects.toThrow(/404|not found/i);
  });
});

describe('delete_image', () => {
  it('deletes an image, and a second delete is a 404 error', async () => {
    await server.call('upload_image', { data: TINY_PNG.toString('base64'), imageId: 'to-delete' });
    const deleted = await server.call('delete_image', { imageId: 'to-delete' });
    expect(deleted.isError).toBeFalsy();
    expect(detailsOf(deleted)).toEqual({ projectId: 'mcp', imageId: 'to-delete', deleted: true });
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
    const wrong = await fx.connect({ ...fx.env, GENIMIX_API_KEY: wrongKey });
    const result = await wrong.call('get_image', { imageId: 'photo' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/GENIMIX_API_KEY/);
    expect(textOf(result)).not.toContain(wrongKey);
    expect(wrong.stderr()).not.toContain(wrongKey);
  });
});
