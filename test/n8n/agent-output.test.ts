/**
 * What an AI Agent gets from the node: n8n passes a tool's JSON only (binary data does not cross
 * the agent boundary, n8n#38357), so every operation's JSON must name the image on its own, and
 * as a tool (`…genimixTool`) nothing is downloaded that the agent cannot see. Run by n8n-core
 * (see harness.ts) against the emulator; n8n's own tool wrapper is exercised in real n8n by
 * `pnpm test:n8n`.
 */

import { renderPhoto } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPhoto } from '../helpers/images.js';
import { PROJECT, startEmulator, type TestEmulator } from './emulator.js';
import { binaryItem, loadNode, type RunNodeResult, runNode } from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
});
afterAll(async () => {
  await api.close();
});

function only(run: RunNodeResult) {
  if (run.error) throw run.error;
  expect(run.output?.[0]).toHaveLength(1);
  return run.output![0]![0]!;
}

const imageUrl = (imageId: string) => `${api.emulator.url}/v1/${PROJECT}/image/${imageId}`;
const generate = { resource: 'image', operation: 'generate', model: 'openai/dall-e-3', prompt: 'A harbour at night' };

describe('every operation answers with JSON that is whole without its binary', () => {
  it('Generate (downloading): imageId, projectId, imageUrl, mimeType, size, width and height', async () => {
    const item = only(
      await runNode({ credentials: api.credentials(), parameters: { ...generate, imageId: 'agent-gen' } }),
    );
    const stored = await api.emulator.store.get(PROJECT, 'agent-gen');
    expect(item.json).toMatchObject({
      imageId: 'agent-gen',
      projectId: PROJECT,
      imageUrl: imageUrl('agent-gen'),
      mimeType: 'image/png',
      size: stored!.size,
    });
    expect(item.json.width).toEqual(expect.any(Number));
    expect(item.json.height).toEqual(expect.any(Number));
  });

  it('Get: the same facts, with the image URL, and the real pixel size of a photo', async () => {
    const photo = await readPhoto();
    const upload = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'upload', imageId: 'agent-photo' },
        items: [await binaryItem(photo, { mimeType: 'image/jpeg', fileName: 'p.jpg' })],
      }),
    );
    expect(upload.json).toMatchObject({
      imageId: 'agent-photo',
      projectId: PROJECT,
      imageUrl: imageUrl('agent-photo'),
      mimeType: 'image/jpeg',
    });
    const item = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'get', imageId: 'agent-photo' },
      }),
    );
    expect(item.json).toEqual({
      imageId: 'agent-photo',
      projectId: PROJECT,
      imageUrl: imageUrl('agent-photo'),
      mimeType: 'image/jpeg',
      size: photo.length,
      width: expect.any(Number),
      height: expect.any(Number),
      fileName: 'agent-photo.jpg',
    });
    expect(item.binary?.data).toBeDefined();
  });

  it.each(['memory', 'filesystem'] as const)(
    'Upload (binary in %s mode, streamed from disk in filesystem mode): width and height from the header',
    async (binaryMode) => {
      const png = await renderPhoto({ width: 1024, height: 1792, seed: 'tall' });
      const photo = await readPhoto();
      const items = [
        await binaryItem(png, { mimeType: 'image/png', binaryMode }),
        await binaryItem(photo, { mimeType: 'image/jpeg', binaryMode }),
      ];
      const run = await runNode({
        binaryMode,
        credentials: api.credentials(),
        parameters: {
          resource: 'image',
          operation: 'upload',
          imageId: `={{ 'agent-up-${binaryMode}-' + $itemIndex }}`,
        },
        items,
      });
      if (run.error) throw run.error;
      const [tall, jpeg] = run.output![0]!;
      expect(tall!.json).toEqual({
        imageId: `agent-up-${binaryMode}-0`,
        projectId: PROJECT,
        imageUrl: imageUrl(`agent-up-${binaryMode}-0`),
        mimeType: 'image/png',
        size: png.length,
        width: 1024,
        height: 1792,
      });
      const got = only(
        await runNode({
          credentials: api.credentials(),
          parameters: { resource: 'image', operation: 'get', imageId: `agent-up-${binaryMode}-1` },
        }),
      );
      expect(jpeg!.json).toMatchObject({
        mimeType: 'image/jpeg',
        size: photo.length,
        width: got.json.width,
        height: got.json.height,
      });
    },
  );

  it('Get of a 1792×1024 image reports 1792×1024', async () => {
    const png = await renderPhoto({ width: 1792, height: 1024, seed: 'wide' });
    only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'upload', imageId: 'agent-wide' },
        items: [await binaryItem(png, { mimeType: 'image/png' })],
      }),
    );
    const item = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'get', imageId: 'agent-wide' },
      }),
    );
    expect(item.json).toMatchObject({ width: 1792, height: 1024 });
  });

  it('Delete: imageId, projectId and the URL the image had', async () => {
    only(
      await runNode({
        credentials: api.credentials(),
        parameters: { ...generate, imageId: 'agent-del', download: false },
      }),
    );
    const item = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'delete', imageId: 'agent-del' },
      }),
    );
    expect(item.json).toEqual({
      deleted: true,
      imageId: 'agent-del',
      projectId: PROJECT,
      imageUrl: imageUrl('agent-del'),
    });
  });
});

describe('as an AI Agent tool (genimixTool)', () => {
  it('Generate does not download: one request, no binary, the JSON names the image', async () => {
    const before = api.log.length;
    const item = only(
      await runNode({
        asTool: true,
        credentials: api.credentials(),
        parameters: { ...generate, imageId: 'tool-gen', download: true },
      }),
    );
    expect(api.log.slice(before).map((r) => r.method)).toEqual(['PUT']);
    expect(item.binary).toBeUndefined();
    expect(item.json).toEqual({
      imageId: 'tool-gen',
      projectId: PROJECT,
      imageUrl: imageUrl('tool-gen'),
      provider: 'openai',
      modelId: 'dall-e-3',
    });
  });

  it('Get returns the facts without a binary the agent could not see', async () => {
    only(
      await runNode({
        credentials: api.credentials(),
        parameters: { ...generate, imageId: 'tool-get', download: false },
      }),
    );
    const item = only(
      await runNode({
        asTool: true,
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'get', imageId: 'tool-get' },
      }),
    );
    expect(item.binary).toBeUndefined();
    expect(item.json).toMatchObject({
      imageId: 'tool-get',
      projectId: PROJECT,
      imageUrl: imageUrl('tool-get'),
      mimeType: 'image/png',
      width: 1024,
      height: 1024,
    });
  });

  it('Upload is not offered: the tool variant lists Generate, Get and Delete only, and a saved Upload is refused with the reason', async () => {
    const { nodeType } = loadNode();
    const operationLists = nodeType.description.properties.filter((p) => p.name === 'operation');
    const asTool = operationLists.find((p) => JSON.stringify(p.displayOptions?.show?.['@tool']) === '[true]');
    expect(asTool?.options?.map((o) => ('value' in o ? o.value : undefined))).toEqual(['delete', 'generate', 'get']);

    const before = api.log.length;
    const run = await runNode({
      asTool: true,
      credentials: api.credentials(),
      parameters: { resource: 'image', operation: 'upload', imageId: 'tool-up' },
      items: [await binaryItem(await readPhoto(), { mimeType: 'image/jpeg' })],
    });
    expect(run.error?.message).toBe('Upload is not available as an AI Agent tool');
    expect((run.error as { description?: string }).description).toMatch(/cannot pass binary data/);
    expect(api.log.length).toBe(before);
  });
});
