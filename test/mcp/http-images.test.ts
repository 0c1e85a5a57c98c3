import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, readResource, resourceLinkOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import { connectHttpClient, type HttpClient, type HttpServer, startHttpServer } from '../helpers/http-server.js';
import { readPhoto } from '../helpers/images.js';

/**
 * Images for remote clients: over HTTP the client is on another machine, so nothing is written to
 * the server's disk for it. The result shows a preview inline and links the full image, which
 * `resources/read` of its genimix:// URI returns. The server runs with its home, working folder,
 * temporary folder and GENIMIX_OUTPUT_DIR all empty: they must stay empty.
 */
const KEY = 'sk_test_http_images_0123456789';
const PROJECT = 'images';
/** Under the emulator's 1024² PNGs (about 75 KB): every image here is shown as a preview. */
const PREVIEW_MAX_BYTES = 20_000;

let emulator: Emulator;
let root: string;
let folders: Record<'home' | 'cwd' | 'tmp' | 'out', string>;
let server: HttpServer;
let mcp: HttpClient;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: [KEY] });
  root = await mkdtemp(path.join(os.tmpdir(), 'genimix-http-images-'));
  folders = { home: '', cwd: '', tmp: '', out: '' };
  for (const name of Object.keys(folders) as Array<keyof typeof folders>) {
    folders[name] = await mkdtemp(path.join(root, `${name}-`));
  }
  server = await startHttpServer(
    {
      GENIMIX_API_KEY: KEY,
      GENIMIX_PROJECT_ID: PROJECT,
      GENIMIX_BASE_URL: emulator.url,
      GENIMIX_PREVIEW_MAX_BYTES: String(PREVIEW_MAX_BYTES),
      GENIMIX_OUTPUT_DIR: folders.out,
      HOME: folders.home,
      TMPDIR: folders.tmp,
    },
    { cwd: folders.cwd },
  );
  mcp = await connectHttpClient(server.url);
});
afterAll(async () => {
  await mcp?.close();
  await server?.stop();
  await emulator?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** Everything below `dir`, files and folders, relative to it. */
async function entriesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

/** Checks a result shows a JPEG preview inline and links the full image, saving no file. */
async function expectPreviewAndLink(result: ToolResult, imageId: string, stored: Buffer, mimeType: string) {
  expect(result.isError, textOf(result)).toBeFalsy();
  const facts = detailsOf(result);
  expect(facts).toMatchObject({ status: 'ready', projectId: PROJECT, imageId, mimeType, size: stored.length });
  expect(facts.preview).toMatchObject({ original: false, mimeType: 'image/jpeg' });
  expect(facts).not.toHaveProperty('savedTo');
  const preview = imageOf(result);
  expect(preview.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  expect(preview.length).toBeLessThanOrEqual(PREVIEW_MAX_BYTES);
  const link = resourceLinkOf(result);
  expect(link).toMatchObject({ uri: `genimix://images/${PROJECT}/${imageId}`, mimeType, size: stored.length });
  expect(textOf(result)).not.toContain(folders.out);
  // The full image, byte for byte, through MCP alone.
  const full = await readResource(mcp.client, link.uri);
  expect(Buffer.compare(full, stored)).toBe(0);
}

describe('over HTTP, images reach the client inline and as resources, never as files on the server', () => {
  it('generate_image and get_image of a large image: a JPEG preview inline, a resource_link, resources/read gives the stored bytes', async () => {
    const generated = await mcp.call('generate_image', { prompt: 'A harbour at night, many lights', imageId: 'big' });
    const stored = Buffer.from((await emulator.store.get(PROJECT, 'big'))!.bytes);
    expect(stored.length).toBeGreaterThan(PREVIEW_MAX_BYTES);
    await expectPreviewAndLink(generated, 'big', stored, 'image/png');
    await expectPreviewAndLink(await mcp.call('get_image', { imageId: 'big' }), 'big', stored, 'image/png');
  });

  it('an uploaded photograph (JPEG) comes back the same way: preview inline, the exact bytes by resources/read', async () => {
    const photo = await readPhoto();
    const uploaded = await mcp.call('upload_image', { data: photo.toString('base64'), imageId: 'photo' });
    expect(uploaded.isError, textOf(uploaded)).toBeFalsy();
    await expectPreviewAndLink(await mcp.call('get_image', { imageId: 'photo' }), 'photo', photo, 'image/jpeg');
  });

  it("upload_image's schema has no path, and a call with a path is refused, naming data, with nothing sent", async () => {
    const { tools } = await mcp.client.listTools();
    const upload = tools.find((t) => t.name === 'upload_image')!;
    expect(Object.keys(upload.inputSchema.properties ?? {}).sort()).toEqual([
      'contentType',
      'data',
      'imageId',
      'projectId',
    ]);
    expect(upload.description).not.toContain('GENIMIX_ALLOWED_DIRS');
    const getImage = tools.find((t) => t.name === 'get_image')!;
    expect(getImage.description).not.toContain('local file');

    const before = emulator.requests.list().length;
    for (const args of [{ path: '/etc/hostname' }, { path: path.join(folders.cwd, 'x.png'), imageId: 'p' }]) {
      const refused = await mcp.call('upload_image', args);
      expect(refused.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(refused)).toContain('data');
      expect(textOf(refused)).toContain('"path"');
    }
    expect(emulator.requests.list().length).toBe(before);
  });

  it('after all of it, the home, working, temporary and output folders of the server are still empty', async () => {
    for (const [name, dir] of Object.entries(folders)) expect(await entriesUnder(dir), name).toEqual([]);
  });
});
