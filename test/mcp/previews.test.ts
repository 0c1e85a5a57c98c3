import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Emulator, REALISTIC_MODELS, renderPhoto } from '@genimix/emulator';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, readResource, resourceLinkOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import { type McpConnection, type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

/**
 * What a model receives of a large image: an image block it can see, within the hosts' limits
 * (Claude Desktop refuses results over 1 MiB; Claude Code counts 25,000 tokens; Claude's vision
 * uses 1,568 px on the long edge and refuses a side over 8,000 px), and the full image by
 * resource and by file.
 */
const MAX_RESULT_BYTES = 1024 * 1024;
const MAX_PREVIEW_BASE64_CHARS = 100_000;
let fx: McpFixture;
let emulator: Emulator;
let server: McpConnection;

beforeAll(async () => {
  fx = await startMcpFixture('previews', { emulator: { profile: 'realistic', latencyScale: 0 } });
  ({ emulator, server } = fx);
});
afterAll(() => fx?.close());

/** Checks what the model sees of `full` in `result`, and that the full image is reachable both ways. */
async function expectPreviewOf(
  result: ToolResult,
  full: Buffer,
  budgetChars = MAX_PREVIEW_BASE64_CHARS,
): Promise<void> {
  expect(result.isError, textOf(result)).toBeFalsy();
  expect(Buffer.byteLength(JSON.stringify(result))).toBeLessThan(MAX_RESULT_BYTES);
  const block = result.content.find((c) => c.type === 'image')!;
  expect(block.data!.length).toBeLessThanOrEqual(budgetChars);
  const source = await sharp(full).metadata();
  const seen = await sharp(imageOf(result)).metadata();
  const details = detailsOf(result);
  // Facts, never the bytes: hosts put structured content into the model's context as text.
  expect(JSON.stringify(details).length).toBeLessThan(2000);
  expect(details).toMatchObject({ width: source.width, height: source.height, size: full.length });
  expect(details.preview).toMatchObject({
    original: false,
    mimeType: 'image/jpeg',
    width: seen.width,
    height: seen.height,
    size: imageOf(result).length,
  });
  expect(Math.max(seen.width!, seen.height!)).toBeLessThanOrEqual(1568);
  expect(Math.max(seen.width!, seen.height!)).toBeGreaterThanOrEqual(
    Math.min(512, Math.max(source.width!, source.height!)),
  );
  // The shape is kept: the preview's aspect ratio is the image's, to a pixel of rounding.
  expect(Math.abs(seen.width! / seen.height! - source.width! / source.height!)).toBeLessThan(
    Math.max(source.width! / source.height!, 1) * 0.05 + 0.05,
  );
  expect(textOf(result)).toMatch(new RegExp(`preview, ${seen.width}×${seen.height} JPEG`));
  expect(textOf(result)).toContain(String(details.savedTo));
  expect((await readFile(String(details.savedTo))).equals(full)).toBe(true);
  expect((await readResource(server.client, resourceLinkOf(result).uri)).equals(full)).toBe(true);
}

describe("every model's real-size images", () => {
  it.each(REALISTIC_MODELS.map((m) => [`${m.provider}/${m.modelId}`, m] as const))(
    '%s: the generated image is seen as a preview, whole by resource and file',
    async (_name, model) => {
      const result = await server.call('generate_image', {
        prompt: `A harbour at dusk, by ${model.modelId}`,
        provider: model.provider,
        modelId: model.modelId,
      });
      const stored = (await emulator.store.get('previews', String(detailsOf(result).imageId)))!;
      expect(stored.size).toBeGreaterThan(1024 * 1024);
      const full = Buffer.from(stored.bytes);
      expect(model.sizes).toContainEqual({ width: detailsOf(result).width, height: detailsOf(result).height });
      await expectPreviewOf(result, full);
    },
  );
});

describe('uploaded images of 2–8 MB and extreme shapes', () => {
  it.each([
    ['a 1792×1024 PNG', { width: 1792, height: 1024 }],
    ['a very wide 8000×300 PNG', { width: 8000, height: 300 }],
    ['a very tall 300×8000 PNG', { width: 300, height: 8000 }],
    ['a 12000×250 strip, wider than Claude takes', { width: 12_000, height: 250 }],
    ['a 2400×1800 PNG of about 7 MB', { width: 2400, height: 1800 }],
    ['a 4000×3000 JPEG', { width: 4000, height: 3000, format: 'jpeg' as const }],
  ])('%s', async (_kind, size) => {
    const full = await renderPhoto({ ...size, seed: `${size.width}x${size.height}` });
    expect(full.length).toBeGreaterThan(('format' in size ? 1 : 2) * 1024 * 1024);
    expect(full.length).toBeLessThan(9 * 1024 * 1024);
    const imageId = `upload-${size.width}x${size.height}`;
    const uploaded = await server.call('upload_image', { data: full.toString('base64'), imageId });
    expect(uploaded.isError, textOf(uploaded)).toBeFalsy();
    await expectPreviewOf(await server.call('get_image', { imageId }), full);
  });
});

describe('GENIMIX_PREVIEW_MAX_BYTES', () => {
  it("sets the preview's budget", async () => {
    const small = await fx.connect({
      ...fx.env,
      GENIMIX_OUTPUT_DIR: path.join(fx.workDir, 'small'),
      GENIMIX_PREVIEW_MAX_BYTES: '30000',
    });
    const full = await renderPhoto({ width: 1024, height: 1024, seed: 'budget' });
    await small.call('upload_image', { data: full.toString('base64'), imageId: 'budget' });
    const result = await small.call('get_image', { imageId: 'budget' });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(imageOf(result).length).toBeLessThanOrEqual(30_000);
    const seen = await sharp(imageOf(result)).metadata();
    expect(Math.max(seen.width!, seen.height!)).toBeGreaterThanOrEqual(512);
  });
});
