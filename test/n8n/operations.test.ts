/**
 * The Genimix node's operations, run by n8n-core (see harness.ts) against the emulator over
 * loopback: requests go through n8n's httpRequestWithAuthentication, binaries through n8n's
 * BinaryDataService.
 */

import type { INodeExecutionData } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PNG_SIGNATURE, readPhoto, TINY_PNG } from '../helpers/images.js';
import { API_KEY, OTHER_PROJECT, PROJECT, startEmulator, type TestEmulator, VALID_ID } from './emulator.js';
import {
  BinaryDataService,
  type BinaryMode,
  binaryItem,
  Container,
  captureBinaryStreams,
  type RunNodeResult,
  readBinary,
  runNode,
} from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
});
afterAll(async () => {
  await api.close();
});

const IMAGEN = { provider: 'google', modelId: 'imagen-3.0-generate-002' };

function items(run: RunNodeResult): INodeExecutionData[] {
  if (run.error) throw run.error;
  expect(run.output).toHaveLength(1);
  return run.output![0]!;
}

function only(run: RunNodeResult): INodeExecutionData {
  const out = items(run);
  expect(out).toHaveLength(1);
  return out[0]!;
}

async function stored(projectId: string, imageId: string) {
  const image = await api.emulator.store.get(projectId, imageId);
  expect(image, `${projectId}/${imageId} is stored`).toBeDefined();
  return image!;
}

describe('Generate', () => {
  it('generates with a catalog model and downloads the image into binary "data" by default', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'google/imagen-3.0-generate-002',
        prompt: 'A red fox in the snow',
        imageId: 'fox',
      },
    });
    const item = only(run);
    const image = await stored(PROJECT, 'fox');
    expect(item.json).toMatchObject({
      imageId: 'fox',
      projectId: PROJECT,
      imageUrl: `${api.emulator.url}/v1/${PROJECT}/image/fox`,
      ...IMAGEN,
      mimeType: 'image/png',
      size: image.size,
    });
    expect(item.json.fileName).toMatch(/\.png$/);
    expect(item.pairedItem).toEqual({ item: 0 });

    const binary = item.binary?.data;
    expect(binary, 'binary property "data"').toBeDefined();
    expect(binary!.mimeType).toBe('image/png');
    expect(binary!.fileName).toBe(item.json.fileName);
    const bytes = await readBinary(binary!);
    expect(bytes.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(bytes.equals(Buffer.from(image.bytes))).toBe(true);
  });

  it('puts the image into the binary property it is given, and leaves it out when Download Image is off', async () => {
    const named = only(
      await runNode({
        credentials: api.credentials(),
        parameters: {
          resource: 'image',
          operation: 'generate',
          model: 'openai/dall-e-3',
          prompt: 'A lighthouse',
          imageId: 'lighthouse',
          binaryPropertyName: 'picture',
        },
      }),
    );
    expect(Object.keys(named.binary ?? {})).toEqual(['picture']);
    expect(named.json).toMatchObject({ provider: 'openai', modelId: 'dall-e-3' });

    const noDownload = only(
      await runNode({
        credentials: api.credentials(),
        parameters: {
          resource: 'image',
          operation: 'generate',
          model: 'openai/dall-e-2',
          prompt: 'A boat',
          imageId: 'boat',
          download: false,
        },
      }),
    );
    expect(noDownload.binary).toBeUndefined();
    expect(noDownload.json).toMatchObject({
      imageId: 'boat',
      projectId: PROJECT,
      imageUrl: `${api.emulator.url}/v1/${PROJECT}/image/boat`,
      provider: 'openai',
      modelId: 'dall-e-2',
    });
    await stored(PROJECT, 'boat');
    // Without a download, only the Generate request went out.
    expect(api.log.filter((e) => e.path.endsWith('/boat')).map((e) => e.method)).toEqual(['PUT']);
  });

  it('uses a fresh, valid, unique image id when Image ID is empty', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      items: [{ json: {} }, { json: {} }],
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'google/imagen-3.0-generate-002',
        prompt: 'A cat',
        imageId: '',
        download: false,
      },
    });
    const [a, b] = items(run);
    const ids = [a!.json.imageId, b!.json.imageId] as string[];
    for (const id of ids) {
      expect(id).toMatch(VALID_ID);
      await stored(PROJECT, id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('sends a custom provider and model id as given', async () => {
    const item = only(
      await runNode({
        credentials: api.credentials(),
        parameters: {
          resource: 'image',
          operation: 'generate',
          model: 'custom',
          provider: 'google',
          modelId: 'gemini-2.0-flash-preview-image-generation',
          prompt: 'A map',
          imageId: 'map',
        },
      }),
    );
    expect(item.json).toMatchObject({
      imageId: 'map',
      provider: 'google',
      modelId: 'gemini-2.0-flash-preview-image-generation',
      mimeType: 'image/png',
    });
    await stored(PROJECT, 'map');
  });
});

describe('Upload, then Get: the same bytes and type come back', () => {
  for (const binaryMode of ['memory', 'filesystem'] as const satisfies readonly BinaryMode[]) {
    it(`round-trips the real photograph (${binaryMode} binary data)`, async () => {
      const photo = await readPhoto();
      const input = await binaryItem(photo, { fileName: 'stm32f3-discovery.jpg', mimeType: 'image/jpeg', binaryMode });
      expect(Boolean(input.binary!.data!.id), 'filesystem mode gives binaries an id').toBe(binaryMode === 'filesystem');

      const imageId = `photo-${binaryMode}`;
      const up = only(
        await runNode({
          binaryMode,
          credentials: api.credentials(),
          items: [input],
          parameters: { resource: 'image', operation: 'upload', imageId },
        }),
      );
      expect(up.json).toMatchObject({
        imageId,
        projectId: PROJECT,
        imageUrl: `${api.emulator.url}/v1/${PROJECT}/image/${imageId}`,
        mimeType: 'image/jpeg',
        size: photo.length,
      });
      expect(up.pairedItem).toEqual({ item: 0 });
      const image = await stored(PROJECT, imageId);
      expect(image.contentType).toBe('image/jpeg');
      expect(Buffer.from(image.bytes).equals(photo)).toBe(true);

      const got = only(
        await runNode({
          binaryMode,
          credentials: api.credentials(),
          parameters: { resource: 'image', operation: 'get', imageId, binaryPropertyName: 'data' },
        }),
      );
      expect(got.json).toMatchObject({ imageId, projectId: PROJECT, mimeType: 'image/jpeg', size: photo.length });
      const binary = got.binary?.data;
      expect(binary).toBeDefined();
      expect(Boolean(binary!.id)).toBe(binaryMode === 'filesystem');
      // n8n#5894: downloads arrive as text/plain or without a file name.
      expect(binary!.mimeType).toBe('image/jpeg');
      expect(binary!.fileName).toMatch(/\.jpe?g$/);
      expect(got.json.fileName).toBe(binary!.fileName);
      expect((await readBinary(binary!)).equals(photo)).toBe(true);
    });
  }

  it('uploads a PNG from a named binary property under a fresh id when Image ID is empty', async () => {
    const input = await binaryItem(TINY_PNG, { fileName: 'dot.png', mimeType: 'image/png', property: 'picture' });
    const item = only(
      await runNode({
        credentials: api.credentials(),
        items: [input],
        parameters: { resource: 'image', operation: 'upload', binaryPropertyName: 'picture', imageId: '' },
      }),
    );
    expect(item.json.imageId).toMatch(VALID_ID);
    expect(item.json).toMatchObject({ mimeType: 'image/png', size: TINY_PNG.length });
    expect(Buffer.from((await stored(PROJECT, item.json.imageId as string)).bytes).equals(TINY_PNG)).toBe(true);
  });

  it('takes the type from the bytes when n8n labels the binary application/octet-stream', async () => {
    const input = await binaryItem(TINY_PNG, { fileName: 'download', mimeType: 'application/octet-stream' });
    const item = only(
      await runNode({
        credentials: api.credentials(),
        items: [input],
        parameters: { resource: 'image', operation: 'upload', imageId: 'octet' },
      }),
    );
    expect(item.json).toMatchObject({ imageId: 'octet', mimeType: 'image/png', size: TINY_PNG.length });
    expect((await stored(PROJECT, 'octet')).contentType).toBe('image/png');
  });

  it('streams a large binary that n8n keeps on disk instead of reading it whole (n8n#18764)', async () => {
    // 20 MiB that are a PNG by their magic bytes (the contract checks types by magic bytes).
    const large = Buffer.concat([TINY_PNG, Buffer.alloc(20 * 1024 * 1024 - TINY_PNG.length, 7)]);
    const input = await binaryItem(large, { fileName: 'large.png', mimeType: 'image/png', binaryMode: 'filesystem' });
    const service = Container.get(BinaryDataService);
    const asStream = vi.spyOn(service, 'getAsStream');
    const asBuffer = vi.spyOn(service, 'getAsBuffer');
    const opened = captureBinaryStreams();
    try {
      const item = only(
        await runNode({
          binaryMode: 'filesystem',
          credentials: api.credentials(),
          items: [input],
          parameters: { resource: 'image', operation: 'upload', imageId: 'large' },
        }),
      );
      expect(item.json).toMatchObject({ imageId: 'large', mimeType: 'image/png', size: large.length });
      expect(asStream).toHaveBeenCalled();
      expect(asBuffer).not.toHaveBeenCalled();
      expect(opened.streams.every((stream) => (stream as unknown as { destroyed: boolean }).destroyed)).toBe(true);
    } finally {
      opened.restore();
      asStream.mockRestore();
      asBuffer.mockRestore();
    }
    expect(Buffer.from((await stored(PROJECT, 'large')).bytes).equals(large)).toBe(true);
  });
});

describe('Delete', () => {
  it('deletes an image and says so', async () => {
    await runNode({
      credentials: api.credentials(),
      items: [await binaryItem(TINY_PNG, { mimeType: 'image/png' })],
      parameters: { resource: 'image', operation: 'upload', imageId: 'to-delete' },
    });
    await stored(PROJECT, 'to-delete');
    const item = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'delete', imageId: 'to-delete' },
      }),
    );
    expect(item.json).toEqual({
      deleted: true,
      imageId: 'to-delete',
      projectId: PROJECT,
      imageUrl: `${api.emulator.url}/v1/${PROJECT}/image/to-delete`,
    });
    expect(item.pairedItem).toEqual({ item: 0 });
    expect(await api.emulator.store.has(PROJECT, 'to-delete')).toBe(false);
  });
});

describe('several items in one run', () => {
  it('processes every item, in order, each with its pairedItem, resolving expressions per item', async () => {
    const input = [
      { json: { id: 'multi-a', subject: 'an owl' } },
      { json: { id: 'multi-b', subject: 'a moth' } },
      { json: { id: 'multi-c', subject: 'a bat' } },
    ];
    const run = await runNode({
      credentials: api.credentials(),
      items: input,
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'openai/dall-e-2',
        prompt: '=A drawing of {{ $json.subject }}',
        imageId: '={{ $json.id }}',
        download: false,
      },
    });
    const out = items(run);
    expect(out.map((i) => i.json.imageId)).toEqual(['multi-a', 'multi-b', 'multi-c']);
    expect(out.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
    expect(await api.emulator.store.list(PROJECT)).toEqual(expect.arrayContaining(['multi-a', 'multi-b', 'multi-c']));

    const got = items(
      await runNode({
        credentials: api.credentials(),
        items: out.map((i) => ({ json: i.json })),
        parameters: { resource: 'image', operation: 'get', imageId: '={{ $json.imageId }}' },
      }),
    );
    expect(got.map((i) => [i.json.imageId, i.binary?.data?.mimeType, i.pairedItem])).toEqual([
      ['multi-a', 'image/png', { item: 0 }],
      ['multi-b', 'image/png', { item: 1 }],
      ['multi-c', 'image/png', { item: 2 }],
    ]);
    // Different prompts gave different images.
    const contents = new Set(
      await Promise.all(
        ['multi-a', 'multi-b', 'multi-c'].map(async (id) =>
          Buffer.from((await stored(PROJECT, id)).bytes).toString('base64'),
        ),
      ),
    );
    expect(contents.size).toBe(3);
  });
});

describe('the per-node Project ID override', () => {
  it("sends every operation to the project given in the options instead of the credential's", async () => {
    const options = { projectId: OTHER_PROJECT };
    const gen = only(
      await runNode({
        credentials: api.credentials(),
        parameters: {
          resource: 'image',
          operation: 'generate',
          model: 'google/imagen-3.0-generate-002',
          prompt: 'A hill',
          imageId: 'ovr-gen',
          download: false,
          options,
        },
      }),
    );
    expect(gen.json).toMatchObject({
      projectId: OTHER_PROJECT,
      imageUrl: `${api.emulator.url}/v1/${OTHER_PROJECT}/image/ovr-gen`,
    });
    await stored(OTHER_PROJECT, 'ovr-gen');
    expect(await api.emulator.store.has(PROJECT, 'ovr-gen')).toBe(false);

    const up = only(
      await runNode({
        credentials: api.credentials(),
        items: [await binaryItem(TINY_PNG, { mimeType: 'image/png' })],
        parameters: { resource: 'image', operation: 'upload', imageId: 'ovr-up', options },
      }),
    );
    expect(up.json).toMatchObject({ imageId: 'ovr-up', projectId: OTHER_PROJECT });
    await stored(OTHER_PROJECT, 'ovr-up');

    const got = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'get', imageId: 'ovr-up', options },
      }),
    );
    expect(got.json).toMatchObject({
      imageId: 'ovr-up',
      projectId: OTHER_PROJECT,
      mimeType: 'image/png',
      size: TINY_PNG.length,
    });

    const del = only(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'delete', imageId: 'ovr-up', options },
      }),
    );
    expect(del.json).toEqual({
      deleted: true,
      imageId: 'ovr-up',
      projectId: OTHER_PROJECT,
      imageUrl: `${api.emulator.url}/v1/${OTHER_PROJECT}/image/ovr-up`,
    });
    expect(await api.emulator.store.has(OTHER_PROJECT, 'ovr-up')).toBe(false);
  });
});

describe('requests', () => {
  it("carry the key only in x-api-key, put there by n8n's credential authentication", async () => {
    const run = await runNode({
      credentials: api.credentials(),
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'google/imagen-3.0-generate-002',
        prompt: 'A key',
        imageId: 'auth-check',
        download: false,
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.credentialsHelper.authenticated.length).toBeGreaterThan(0);
    for (const request of run.credentialsHelper.authenticated) {
      expect(request.headers?.['x-api-key']).toBe(API_KEY);
      expect(String(request.url)).toMatch(new RegExp(`^(${api.emulator.url})?/v1/`));
      expect(JSON.stringify(request.body ?? {})).not.toContain(API_KEY);
    }
  });
});
