/**
 * How the Genimix node fails inside n8n: API failures as NodeApiError (status, the server's
 * message, the request id), bad input as NodeOperationError (the parameter and the item index),
 * continueOnFail as error items with pairedItem. Never the API key in any of it.
 */

import { createEmulator } from '@genimix/emulator';
import type { INodeExecutionData } from 'n8n-workflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readPhoto, TINY_PNG } from '../helpers/images.js';
import {
  API_KEY,
  crossOriginRedirect,
  droppingServer,
  PROJECT,
  refusedUrl,
  SCOPED_KEY,
  silentServer,
  startEmulator,
  type TestEmulator,
  WRONG_KEY,
} from './emulator.js';
import {
  binaryItem,
  captureBinaryStreams,
  errorTexts,
  NodeApiError,
  NodeOperationError,
  type RunNodeResult,
  runNode,
} from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
  // An image to find, and one to fail on later.
  const photo = await readPhoto();
  const put = await fetch(`${api.emulator.url}/v1/${PROJECT}/image/existing`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'image/jpeg' },
    body: photo,
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await api.close();
});
let logStart = 0;
beforeEach(() => {
  logStart = api.log.length;
});
/** Requests the emulator saw since the test began. */
const sent = () => api.log.slice(logStart);

type ApiError = InstanceType<typeof NodeApiError>;
type OperationError = InstanceType<typeof NodeOperationError>;

function apiError(run: RunNodeResult): ApiError {
  expect(run.output, 'the node should have failed').toBeUndefined();
  expect(run.error).toBeInstanceOf(NodeApiError);
  assertNoKey(run.error);
  return run.error as ApiError;
}

function operationError(run: RunNodeResult): OperationError {
  expect(run.output, 'the node should have failed').toBeUndefined();
  expect(run.error).toBeInstanceOf(NodeOperationError);
  assertNoKey(run.error);
  return run.error as OperationError;
}

/** Every binary file stream n8n handed the node was closed by the end of the run (no fd leak). */
function expectAllClosed(streams: NodeJS.ReadableStream[]): void {
  const open = streams.filter((stream) => !(stream as unknown as { destroyed: boolean }).destroyed);
  expect(open.length, 'binary streams left open after the run').toBe(0);
}

function assertNoKey(error: unknown): void {
  const text = errorTexts(error);
  for (const key of [API_KEY, WRONG_KEY, SCOPED_KEY]) expect(text).not.toContain(key);
}

const get = (imageId: string) => ({ resource: 'image', operation: 'get', imageId });
const generate = (extra: Record<string, unknown>) => ({
  resource: 'image',
  operation: 'generate',
  model: 'google/imagen-3.0-generate-002',
  prompt: 'A fox',
  imageId: 'err-gen',
  download: false,
  ...extra,
});

describe("API failures are NodeApiError with the status, the server's message and the request id", () => {
  it('a wrong API key: 401', async () => {
    const server = await api.raw('GET', `/v1/${PROJECT}/image/existing`, { key: WRONG_KEY });
    expect(server.status).toBe(401);
    logStart = api.log.length;

    const error = apiError(
      await runNode({ credentials: api.credentials({ apiKey: WRONG_KEY }), parameters: get('existing') }),
    );
    expect(error.httpCode).toBe('401');
    expect(error.message).toContain(server.body.message);
    const last = sent().at(-1)!;
    expect(last.status).toBe(401);
    expect(String(error.description)).toContain(last.requestId);
  });

  it('a key that may not use the project: 403', async () => {
    const error = apiError(
      await runNode({ credentials: api.credentials({ apiKey: SCOPED_KEY }), parameters: get('existing') }),
    );
    expect(error.httpCode).toBe('403');
    expect(String(error.description)).toContain(sent().at(-1)!.requestId);
  });

  it('a missing image: 404, for Get and for Delete', async () => {
    const server = await api.raw('GET', `/v1/${PROJECT}/image/no-such-image`);
    expect(server.status).toBe(404);
    logStart = api.log.length;

    const onGet = apiError(await runNode({ credentials: api.credentials(), parameters: get('no-such-image') }));
    expect(onGet.httpCode).toBe('404');
    expect(onGet.message).toContain(server.body.message);
    expect(String(onGet.description)).toContain(sent().at(-1)!.requestId);

    const onDelete = apiError(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'delete', imageId: 'no-such-image' },
      }),
    );
    expect(onDelete.httpCode).toBe('404');
    expect(String(onDelete.description)).toContain(sent().at(-1)!.requestId);
  });

  it("a custom model the server refuses: 400 with the server's message", async () => {
    const server = await api.raw('PUT', `/v1/${PROJECT}/generate/err-custom`, {
      json: { provider: 'acme', modelId: 'imaginary-1', prompt: 'A fox' },
    });
    expect(server.status).toBe(400);
    logStart = api.log.length;

    const error = apiError(
      await runNode({
        credentials: api.credentials(),
        parameters: generate({ model: 'custom', provider: 'acme', modelId: 'imaginary-1', imageId: 'err-custom' }),
      }),
    );
    expect(error.httpCode).toBe('400');
    expect(error.message).toContain(server.body.message);
    expect(String(error.description)).toContain(sent().at(-1)!.requestId);
    // The server decides: the node sent the model although it does not know it.
    expect(sent().map((e) => `${e.method} ${e.path}`)).toContain(`PUT /v1/${PROJECT}/generate/err-custom`);
  });

  it("an image over the server's size limit: 413", async () => {
    const small = await createEmulator({ port: 0, apiKeys: [API_KEY], maxUploadBytes: 1024 });
    try {
      const input = await binaryItem(await readPhoto(), { mimeType: 'image/jpeg' });
      const error = apiError(
        await runNode({
          credentials: api.credentials({ baseUrl: small.url }),
          items: [input],
          parameters: { resource: 'image', operation: 'upload', imageId: 'too-large' },
        }),
      );
      expect(error.httpCode).toBe('413');
      expect(error.message.length).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });

  it('a base URL where nothing listens: a clear error, no key', async () => {
    const run = await runNode({
      credentials: api.credentials({ baseUrl: await refusedUrl() }),
      parameters: get('existing'),
    });
    expect(run.error).toBeInstanceOf(Error);
    expect(['NodeApiError', 'NodeOperationError']).toContain(run.error!.name);
    expect(errorTexts(run.error)).toMatch(/refused|connect|reach/i);
    assertNoKey(run.error);
  });

  it('a connection that drops before any answer: a clear error, no key, and a billed Generate is not repeated', async () => {
    const server = await droppingServer();
    try {
      const onGet = await runNode({
        credentials: api.credentials({ baseUrl: server.url }),
        parameters: get('existing'),
      });
      expect(['NodeApiError', 'NodeOperationError']).toContain(onGet.error?.name);
      expect(errorTexts(onGet.error)).toMatch(/closed|reset|hang up|no response/i);
      assertNoKey(onGet.error);

      const before = server.connections();
      const onGenerate = await runNode({
        credentials: api.credentials({ baseUrl: server.url }),
        parameters: generate({}),
      });
      expect(['NodeApiError', 'NodeOperationError']).toContain(onGenerate.error?.name);
      assertNoKey(onGenerate.error);
      // The request may have reached the server: Generate is billed, so it is not retried.
      expect(server.connections() - before).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe("the API key goes to the base URL's origin only", () => {
  it('is not sent on when the server redirects to another origin', async () => {
    const redirect = await crossOriginRedirect();
    try {
      const run = await runNode({
        credentials: api.credentials({ baseUrl: redirect.from }),
        parameters: get('redirected'),
      });
      const leaked = redirect.seenAtTarget.filter((headers) => headers['x-api-key'] !== undefined);
      expect(leaked, 'requests that carried x-api-key to the redirect target').toEqual([]);
      if (run.error) assertNoKey(run.error);
    } finally {
      await redirect.close();
    }
  });
});

describe('cancelling the execution', () => {
  it('cancels a request in flight and fails the node promptly', async () => {
    const abort = new AbortController();
    const server = await silentServer(() => abort.abort());
    try {
      const run = await runNode({
        abortSignal: abort.signal,
        credentials: api.credentials({ baseUrl: server.url }),
        parameters: get('never-answered'),
      });
      expect(run.output).toBeUndefined();
      expect(run.error).toBeInstanceOf(Error);
      expect(errorTexts(run.error)).toMatch(/cancel|abort/i);
      assertNoKey(run.error);
    } finally {
      await server.close();
    }
  });
});

describe('bad input is NodeOperationError naming the parameter and the item, before any request', () => {
  it('an invalid image id', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      items: [{ json: {} }, { json: { id: 'bad id!' } }],
      parameters: { ...get('={{ $json.id ?? "existing" }}') },
    });
    const error = operationError(run);
    expect(errorTexts(error)).toMatch(/image ?id/i);
    expect(error.context.itemIndex).toBe(1);
    expect(sent().filter((e) => e.path.includes('bad'))).toEqual([]);
  });

  for (const operation of ['generate', 'upload', 'delete'] as const) {
    it(`an invalid image id on ${operation}`, async () => {
      const items = operation === 'upload' ? [await binaryItem(TINY_PNG, { mimeType: 'image/png' })] : [{ json: {} }];
      const parameters =
        operation === 'generate'
          ? generate({ imageId: '../escape' })
          : { resource: 'image', operation, imageId: '../escape' };
      const error = operationError(await runNode({ credentials: api.credentials(), items, parameters }));
      expect(errorTexts(error)).toMatch(/image ?id/i);
      expect(error.context.itemIndex).toBe(0);
      expect(sent()).toEqual([]);
    });
  }

  it('an empty prompt', async () => {
    const error = operationError(
      await runNode({ credentials: api.credentials(), parameters: generate({ prompt: '   ' }) }),
    );
    expect(errorTexts(error)).toMatch(/prompt/i);
    expect(error.context.itemIndex).toBe(0);
    expect(sent()).toEqual([]);
  });

  it('an invalid project id override', async () => {
    const error = operationError(
      await runNode({
        credentials: api.credentials(),
        parameters: { ...get('existing'), options: { projectId: 'no/such project' } },
      }),
    );
    expect(errorTexts(error)).toMatch(/project ?id/i);
    expect(error.context.itemIndex).toBe(0);
    expect(sent()).toEqual([]);
  });

  it('a binary property the item does not have names the property (n8n#17717)', async () => {
    const noBinary = operationError(
      await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'upload', binaryPropertyName: 'photo', imageId: 'x' },
      }),
    );
    expect(noBinary.message).toContain('photo');
    expect(noBinary.context.itemIndex).toBe(0);

    const items = [
      await binaryItem(TINY_PNG, { mimeType: 'image/png' }),
      await binaryItem(TINY_PNG, { mimeType: 'image/png', property: 'other' }),
    ];
    const wrongName = operationError(
      await runNode({
        credentials: api.credentials(),
        items,
        parameters: { resource: 'image', operation: 'upload', binaryPropertyName: 'data', imageId: '' },
      }),
    );
    expect(wrongName.message).toContain('data');
    expect(wrongName.context.itemIndex).toBe(1);
    // Item 0 went out before item 1 failed; item 1 sent nothing.
    expect(sent().filter((e) => e.method === 'PUT')).toHaveLength(1);
  });

  for (const binaryMode of ['memory', 'filesystem'] as const) {
    it(`a binary that is no image (${binaryMode} binary data)`, async () => {
      const text = await binaryItem(Buffer.from('just some text, not a picture\n'.repeat(100)), {
        fileName: 'notes.txt',
        mimeType: 'text/plain',
        binaryMode,
      });
      const opened = captureBinaryStreams();
      let run: RunNodeResult;
      try {
        run = await runNode({
          binaryMode,
          credentials: api.credentials(),
          items: [text],
          parameters: { resource: 'image', operation: 'upload', imageId: 'not-an-image' },
        });
      } finally {
        opened.restore();
      }
      const error = operationError(run);
      expect(errorTexts(error)).toMatch(/png|jpe?g|webp|gif|image/i);
      expect(error.context.itemIndex).toBe(0);
      expect(sent()).toEqual([]);
      expectAllClosed(opened.streams);
    });

    it(`a binary whose declared type contradicts its bytes (${binaryMode} binary data)`, async () => {
      const jpegCalledPng = await binaryItem(await readPhoto(), {
        fileName: 'photo.png',
        mimeType: 'image/png',
        binaryMode,
      });
      const opened = captureBinaryStreams();
      let run: RunNodeResult;
      try {
        run = await runNode({
          binaryMode,
          credentials: api.credentials(),
          items: [jpegCalledPng],
          parameters: { resource: 'image', operation: 'upload', imageId: 'mislabelled' },
        });
      } finally {
        opened.restore();
      }
      const error = operationError(run);
      expect(errorTexts(error)).toMatch(/jpe?g/i);
      expect(error.context.itemIndex).toBe(0);
      expect(sent()).toEqual([]);
      expectAllClosed(opened.streams);
    });
  }

  it('an invalid project id in the credential', async () => {
    const error = operationError(
      await runNode({ credentials: api.credentials({ projectId: 'my project!' }), parameters: get('existing') }),
    );
    expect(errorTexts(error)).toMatch(/project ?id/i);
    expect(sent()).toEqual([]);
  });
});

/**
 * An error item as n8n's error output takes it (error-output.test.ts checks the routing): JSON
 * with the keys `error`, `message` and `details` only, its pairedItem, no binary.
 */
function expectErrorItem(item: INodeExecutionData | undefined, index: number, message: RegExp | string): void {
  expect(item).toBeDefined();
  expect(item!.pairedItem).toEqual({ item: index });
  expect(item!.binary).toBeUndefined();
  const error = item!.json.error;
  expect(typeof error).toBe('string');
  if (typeof message === 'string') expect(error).toContain(message);
  else expect(error).toMatch(message);
  expect(Object.keys(item!.json).sort()).toEqual(['details', 'error', 'message']);
  expect(item!.json.details).toMatchObject({ itemIndex: index });
  expect(JSON.stringify(item)).not.toContain(API_KEY);
}

describe('continueOnFail', () => {
  it('turns each failing item into { json: { error, message, details }, pairedItem } and processes the others', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      continueOnFail: true,
      items: [{ json: { id: 'cof-1' } }, { json: { id: 'bad id!' } }, { json: { id: 'cof-3' } }],
      parameters: generate({ imageId: '={{ $json.id }}' }),
    });
    expect(run.error).toBeUndefined();
    const out = run.output![0]!;
    expect(out).toHaveLength(3);
    expect(out[0]).toMatchObject({ json: { imageId: 'cof-1' }, pairedItem: { item: 0 } });
    expectErrorItem(out[1], 1, /image ?id/i);
    expect(out[2]).toMatchObject({ json: { imageId: 'cof-3' }, pairedItem: { item: 2 } });
    expect(await api.emulator.store.has(PROJECT, 'cof-1')).toBe(true);
    expect(await api.emulator.store.has(PROJECT, 'cof-3')).toBe(true);
  });

  it("does the same for API failures, with the server's message", async () => {
    const server = await api.raw('GET', `/v1/${PROJECT}/image/cof-missing`);
    const run = await runNode({
      credentials: api.credentials(),
      continueOnFail: true,
      items: [{ json: { id: 'cof-missing' } }, { json: { id: 'existing' } }],
      parameters: get('={{ $json.id }}'),
    });
    expect(run.error).toBeUndefined();
    const [missing, existing] = run.output![0]!;
    expectErrorItem(missing, 0, server.body.message!);
    expect(missing!.json.message).toBe(server.body.message);
    expect(existing).toMatchObject({ json: { imageId: 'existing', mimeType: 'image/jpeg' }, pairedItem: { item: 1 } });
    expect(existing!.binary?.data?.mimeType).toBe('image/jpeg');
    expect(JSON.stringify(run.output)).not.toContain(API_KEY);
  });

  it('without continueOnFail the same run fails with the item index of the failing item', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      items: [{ json: { id: 'existing' } }, { json: { id: 'cof-missing' } }],
      parameters: get('={{ $json.id }}'),
    });
    const error = apiError(run);
    expect(error.httpCode).toBe('404');
    expect(error.context.itemIndex).toBe(1);
  });
});
