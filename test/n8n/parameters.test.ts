/**
 * Parameter values an expression or an AI Agent may produce: numbers where text is expected, a
 * Model that is no "provider/modelId", a bad credential with "Continue" on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../helpers/images.js';
import { API_KEY, PROJECT, startEmulator, type TestEmulator } from './emulator.js';
import { NodeOperationError, runNode } from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
  const put = await fetch(`${api.emulator.url}/v1/${PROJECT}/image/42`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'image/png' },
    body: TINY_PNG,
  });
  expect(put.status).toBe(200);
});
afterAll(() => api.close());

describe('numbers from expressions are ids once written out', () => {
  it('Get with Image ID {{ 42 }}', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      parameters: { resource: 'image', operation: 'get', imageId: '={{ 42 }}' },
    });
    expect(run.error).toBeUndefined();
    expect(run.output![0]![0]!.json).toMatchObject({ imageId: '42', mimeType: 'image/png' });
  });

  it('Generate with Image ID {{ 7 }}', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'google/imagen-3.0-generate-002',
        prompt: 'A fox',
        imageId: '={{ 7 }}',
        download: false,
      },
    });
    expect(run.error).toBeUndefined();
    expect(run.output![0]![0]!.json).toMatchObject({ imageId: '7', projectId: PROJECT });
  });

  it('Options → Project ID {{ 123 }} is sent as the project "123"', async () => {
    const run = await runNode({
      credentials: api.credentials(),
      parameters: { resource: 'image', operation: 'get', imageId: '42', options: { projectId: '={{ 123 }}' } },
    });
    // This emulator's key may use only its own project: the 403 shows which project was asked for.
    expect(run.error?.message).toMatch(/project "123"/);
  });
});

describe('Model', () => {
  it.each(['google', 'dall-e-3', '/dall-e-3'])(
    '%j is refused naming Model, and nothing is sent (Generate is billed)',
    async (model) => {
      const before = api.log.length;
      const run = await runNode({
        credentials: api.credentials(),
        parameters: { resource: 'image', operation: 'generate', model, prompt: 'A fox' },
      });
      expect(run.error).toBeInstanceOf(NodeOperationError);
      expect(run.error!.message).toMatch(/Invalid Model in item 0/);
      expect(api.log.length).toBe(before);
    },
  );
});

describe('a bad credential with "Continue" on', () => {
  it('gives an error item per input item, paired', async () => {
    const run = await runNode({
      credentials: api.credentials({ baseUrl: 'ftp://example.com' }),
      parameters: { resource: 'image', operation: 'get', imageId: '42' },
      items: [{ json: {} }, { json: {} }],
      continueOnFail: true,
    });
    expect(run.error).toBeUndefined();
    expect(run.output![0]).toHaveLength(2);
    run.output![0]!.forEach((item, index) => {
      expect(item.json.error).toMatch(/Base URL/);
      expect(item.pairedItem).toEqual({ item: index });
    });
  });
});
