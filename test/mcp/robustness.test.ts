import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectServer, detailsOf, textOf } from '../../scripts/mcp-client.js';
import { PNG_SIGNATURE } from '../helpers/images.js';
import { startScriptedServer } from '../helpers/scripted-server.js';

/** Bytes that start like a PNG (all the contract sniffs) and weigh `size` bytes. */
function pngLike(size: number): Buffer {
  const bytes = Buffer.alloc(size, 7);
  PNG_SIGNATURE.copy(bytes);
  return bytes;
}

describe('against the emulator', () => {
  let emulator: Emulator;
  let server: Awaited<ReturnType<typeof connectServer>>;
  let workDir: string;
  let allowedDir: string;
  let outputDir: string;

  beforeAll(async () => {
    emulator = await createEmulator({ port: 0, apiKeys: ['robust-key'] });
    workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-mcp-robust-'));
    allowedDir = path.join(workDir, 'allowed');
    outputDir = path.join(workDir, 'out');
    await mkdir(allowedDir);
    server = await connectServer({
      GENIMIX_API_KEY: 'robust-key',
      GENIMIX_PROJECT_ID: 'robust',
      GENIMIX_BASE_URL: emulator.url,
      GENIMIX_OUTPUT_DIR: outputDir,
      GENIMIX_ALLOWED_DIRS: allowedDir,
    });
  });
  afterAll(async () => {
    await server?.close();
    await emulator?.close();
    await rm(workDir, { recursive: true, force: true });
  });

  it("takes an 8 MiB image as base64, more than the SDK's default 10 MB message limit allows", async () => {
    const big = pngLike(8 * 1024 * 1024);
    const uploaded = await server.call('upload_image', { data: big.toString('base64'), imageId: 'eight-mib' });
    expect(uploaded.isError).toBeFalsy();
    expect((await emulator.store.get('robust', 'eight-mib'))?.size).toBe(big.length);
  });

  it('serves parallel get_image calls for one large image, each writing the file whole', async () => {
    const big = pngLike(900 * 1024);
    await server.call('upload_image', { data: big.toString('base64'), imageId: 'parallel' });
    const results = await Promise.all(
      Array.from({ length: 12 }, () => server.call('get_image', { imageId: 'parallel' })),
    );
    for (const result of results) expect(result.isError, textOf(result)).toBeFalsy();
    expect((await readFile(path.join(outputDir, 'robust', 'parallel.png'))).equals(big)).toBe(true);
  });

  it.each([
    ['a FIFO', (p: string) => execFileSync('mkfifo', [p])],
    ['a directory', (p: string) => execFileSync('mkdir', [p])],
  ])('refuses %s as path at once, and keeps serving', async (_kind, make) => {
    const target = path.join(allowedDir, `special-${_kind.replace(/\W/g, '')}`);
    make(target);
    const result = await server.call('upload_image', { path: target });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/not a regular file/);
    expect((await server.call('upload_image', { data: pngLike(100).toString('base64') })).isError).toBeFalsy();
  });

  it("names data, not contentType, when a data: URI's type contradicts its bytes", async () => {
    const result = await server.call('upload_image', {
      data: `data:image/gif;base64,${pngLike(100).toString('base64')}`,
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/^Invalid argument data: the data: URI's type "image\/gif" does not fit the data/);
  });
});

describe('generate_image is billed: a failure tells the model whether it may have been charged', () => {
  let api: Awaited<ReturnType<typeof startScriptedServer>>;
  let server: Awaited<ReturnType<typeof connectServer>>;
  beforeAll(async () => {
    api = await startScriptedServer();
    server = await connectServer({
      GENIMIX_API_KEY: 'sk_test_billing_key_42',
      GENIMIX_PROJECT_ID: 'p',
      GENIMIX_BASE_URL: api.url,
    });
  });
  afterAll(async () => {
    await server?.close();
    await api?.close();
  });
  const generated = {
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      success: true,
      message: 'Image generated successfully',
      imageUrl: 'https://api.genimix.dev/v1/p/image/x',
    }),
  };

  it('generated, but fetching it failed: not an error, and says not to generate again', async () => {
    api.byRoute = (method) => (method === 'PUT' ? generated : { status: 500, body: 'boom' });
    const result = await server.call('generate_image', { prompt: 'A cat', imageId: 'x' });
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/Generated image "x"/);
    expect(textOf(result)).toMatch(/do not generate it again/);
    expect(detailsOf(result)).toMatchObject({ imageId: 'x', imageUrl: 'https://api.genimix.dev/v1/p/image/x' });
  });

  it.each([
    ['a 502', { status: 502, body: 'bad gateway' }],
    ['a 200 cut off mid-body', { ...generated, cutAfterBytes: 5 }],
    ['a 200 that is no JSON', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>hi</html>' }],
  ])('%s: says it may have been billed and to check with get_image', async (_kind, answer) => {
    api.byRoute = () => answer;
    const result = await server.call('generate_image', { prompt: 'A cat', imageId: 'maybe' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/may have reached Genimix and been billed: call get_image with imageId "maybe"/);
    expect(textOf(result)).not.toMatch(/Try again/);
  });

  it('an image over the 50 MiB the server reads: says what the user can do, not a setting the model cannot change', async () => {
    const huge = Buffer.alloc(51 * 1024 * 1024, 1);
    PNG_SIGNATURE.copy(huge);
    api.byRoute = () => ({ status: 200, headers: { 'content-type': 'image/png' }, body: huge });
    const result = await server.call('get_image', { imageId: 'huge' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/larger than 50 MB, the most this server reads/);
    expect(textOf(result)).toMatch(/Tell the user/);
    expect(textOf(result)).not.toMatch(/maxBytes/);
  });

  it.each([
    [
      'a 429 asking for a wait longer than the client waits',
      { status: 429, headers: { 'retry-after': '120' } },
      /Wait 120 s/,
    ],
    ['a 400', { status: 400, body: JSON.stringify({ message: 'Unknown model' }) }, /Unknown model/],
    ['a 402', { status: 402 }, /quota is used up/],
  ])('%s: no talk of billing', async (_kind, answer, message) => {
    api.byRoute = () => answer;
    const result = await server.call('generate_image', { prompt: 'A cat' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(message);
    expect(textOf(result)).not.toMatch(/billed/);
  });
});
