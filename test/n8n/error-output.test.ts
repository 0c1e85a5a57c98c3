/**
 * Where a failed item goes, by the node's Settings → On Error, with n8n-core's own routing code
 * (`WorkflowExecute.handleNodeErrorOutput` and `normalizeNodeErrors`, see the harness's `routed`):
 * - "Continue (using error output)": every failed item on output 2 and only there, with its
 *   pairedItem, its JSON exactly `{ error, message, details }` (n8n's rule for the error output);
 * - "Continue (using regular output)": the same item, in place, on output 1;
 * - no Continue: the run fails on the failed item, with the same words.
 * For a Genimix error, a validation error and a bad credential.
 */

import type { INodeExecutionData } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPhoto } from '../helpers/images.js';
import { API_KEY, PROJECT, startEmulator, type TestEmulator, WRONG_KEY } from './emulator.js';
import { errorTexts, NodeApiError, NodeOperationError, type RunNodeOptions, runNode } from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
  const put = await fetch(`${api.emulator.url}/v1/${PROJECT}/image/eo-existing`, {
    method: 'PUT',
    headers: { 'x-api-key': API_KEY, 'content-type': 'image/jpeg' },
    body: await readPhoto(),
  });
  expect(put.status).toBe(200);
});
afterAll(async () => {
  await api.close();
});

const getById = { resource: 'image', operation: 'get', imageId: '={{ $json.id }}' };
const generateById = {
  resource: 'image',
  operation: 'generate',
  model: 'google/imagen-3.0-generate-002',
  prompt: 'A fox',
  imageId: '={{ $json.id }}',
  download: false,
};
const ids = (...values: string[]): INodeExecutionData[] => values.map((id) => ({ json: { id } }));

/** Runs with "Continue (using error output)" and returns the success and error outputs as n8n routes them. */
async function runWithErrorOutput(
  options: Omit<RunNodeOptions, 'onError'>,
): Promise<{ success: INodeExecutionData[]; errors: INodeExecutionData[] }> {
  const run = await runNode({ ...options, onError: 'continueErrorOutput' });
  expect(run.error).toBeUndefined();
  expect(run.routed, 'two outputs: success and error').toHaveLength(2);
  const [success, errors] = run.routed as [INodeExecutionData[], INodeExecutionData[]];
  expect(JSON.stringify(run.routed)).not.toContain(API_KEY);
  return { success, errors };
}

/** A failed item as the error output carries it: only `error`, `message`, `details`; paired; no binary. */
function expectFailedItem(
  item: INodeExecutionData | undefined,
  itemIndex: number,
): { error: string; message: string; details: Record<string, unknown> } {
  expect(item).toBeDefined();
  expect(Object.keys(item!.json).sort()).toEqual(['details', 'error', 'message']);
  expect(item!.pairedItem).toEqual({ item: itemIndex });
  expect(item!.binary).toBeUndefined();
  expect(item!.error, 'no item.error: n8n would replace the JSON by { error }').toBeUndefined();
  const { error, message, details } = item!.json as {
    error: string;
    message: string;
    details: Record<string, unknown>;
  };
  expect(typeof error).toBe('string');
  expect(typeof message).toBe('string');
  expect(details.itemIndex).toBe(itemIndex);
  expect(typeof details.description).toBe('string');
  return { error, message, details };
}

describe('a Genimix error', () => {
  it("Get of a missing image: on the error output only, with what failed, the status as a number, the request id and Genimix's message", async () => {
    const server = await api.raw('GET', `/v1/${PROJECT}/image/eo-missing`);
    expect(server.status).toBe(404);
    const before = api.log.length;

    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials(),
      items: ids('eo-existing', 'eo-missing', 'eo-existing'),
      parameters: getById,
    });
    expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
    expect(success.map((item) => item.json.imageId)).toEqual(['eo-existing', 'eo-existing']);
    expect(errors).toHaveLength(1);
    const failed = expectFailedItem(errors[0], 1);
    const request = api.log.slice(before).find((entry) => entry.path.endsWith('/eo-missing'))!;
    expect(failed.error).toBe(`Get of image eo-missing failed: 404 Not Found: ${server.body.message}`);
    expect(failed.message).toBe(server.body.message);
    expect(failed.details).toMatchObject({
      operation: 'get',
      imageId: 'eo-missing',
      projectId: PROJECT,
      status: 404,
      requestId: request.requestId,
      attempts: 1,
    });
    expect(failed.details.description).toContain('eo-missing');
    expect(failed.details.description).toContain(request.requestId);
  });

  it('a 500 on Generate: on the error output, saying the image may have been made and billed, and to check with Get', async () => {
    api.emulator.faults.add({ kind: 'status', status: 500, route: 'generate', imageId: 'eo-gen-500' });
    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials(),
      items: ids('eo-gen-ok', 'eo-gen-500'),
      parameters: generateById,
    });
    expect(success).toHaveLength(1);
    expect(success[0]).toMatchObject({ json: { imageId: 'eo-gen-ok' }, pairedItem: { item: 0 } });
    const failed = expectFailedItem(errors[0], 1);
    expect(failed.error).toMatch(/^Generate of image eo-gen-500 failed: 500 Internal Server Error/);
    expect(failed.details).toMatchObject({
      operation: 'generate',
      imageId: 'eo-gen-500',
      status: 500,
      mayHaveBeenBilled: true,
    });
    expect(failed.details.description).toMatch(
      /Check with Get \(Operation: Get, Image ID "eo-gen-500"\) before generating again/,
    );
  });
});

describe('a validation error', () => {
  it('a bad image id: on the error output, naming the parameter, nothing sent for it', async () => {
    const before = api.log.length;
    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials(),
      items: ids('eo-existing', 'bad id!'),
      parameters: getById,
    });
    expect(success.map((item) => item.pairedItem)).toEqual([{ item: 0 }]);
    const failed = expectFailedItem(errors[0], 1);
    expect(failed.error).toMatch(/^Invalid Image ID in item 1: /);
    expect(failed.details).toMatchObject({ operation: 'get', parameter: 'Image ID' });
    expect(failed.details.description).toMatch(/nothing was sent/);
    expect(api.log.slice(before).map((entry) => entry.path)).toEqual([`/v1/${PROJECT}/image/eo-existing`]);
  });

  it('a bad option: every item on the error output, naming the option', async () => {
    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials(),
      items: ids('eo-existing', 'eo-existing'),
      parameters: { ...getById, options: { concurrency: 0 } },
    });
    expect(success).toEqual([]);
    expect(errors).toHaveLength(2);
    for (const [index, item] of errors.entries()) expect(expectFailedItem(item, index).error).toMatch(/Concurrency/);
  });
});

describe('a bad credential', () => {
  it('a wrong API key: every item on the error output with the 401', async () => {
    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials({ apiKey: WRONG_KEY }),
      items: ids('eo-existing', 'eo-existing'),
      parameters: getById,
    });
    expect(success).toEqual([]);
    expect(errors.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
    for (const [index, item] of errors.entries()) {
      const failed = expectFailedItem(item, index);
      expect(failed.details.status).toBe(401);
      expect(failed.details.description).toMatch(/API Key/);
    }
    expect(JSON.stringify(errors)).not.toContain(WRONG_KEY);
  });

  it('an invalid Base URL (the client is never made): every item on the error output', async () => {
    const { success, errors } = await runWithErrorOutput({
      credentials: api.credentials({ baseUrl: 'ftp://example.com' }),
      items: ids('a', 'b'),
      parameters: getById,
    });
    expect(success).toEqual([]);
    expect(errors).toHaveLength(2);
    for (const [index, item] of errors.entries()) expect(expectFailedItem(item, index).error).toMatch(/Base URL/);
  });
});

describe('the other On Error settings', () => {
  it('"Continue (using regular output)": the failed item stays on output 1, in its place, unchanged', async () => {
    const run = await runNode({
      onError: 'continueRegularOutput',
      credentials: api.credentials(),
      items: ids('eo-existing', 'eo-missing', 'eo-existing'),
      parameters: getById,
    });
    expect(run.error).toBeUndefined();
    expect(run.routed).toHaveLength(1);
    const [out] = run.routed!;
    expect(out!.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
    const failed = expectFailedItem(out![1], 1);
    expect(failed.details.status).toBe(404);
  });

  it('no Continue: the run fails on the failed item, with the same words as its error item', async () => {
    const parameters = getById;
    const items = ids('eo-existing', 'eo-missing', 'eo-existing');
    const { errors } = await runWithErrorOutput({ credentials: api.credentials(), items, parameters });
    const run = await runNode({ credentials: api.credentials(), items, parameters });
    expect(run.output).toBeUndefined();
    expect(run.error).toBeInstanceOf(NodeApiError);
    const error = run.error as InstanceType<typeof NodeApiError>;
    expect(error.message).toBe(errors[0]!.json.error);
    expect(error.httpCode).toBe('404');
    expect(error.context.itemIndex).toBe(1);
    expect(String(error.description)).toContain('eo-missing');
    expect(errorTexts(error)).not.toContain(API_KEY);
  });

  it('no Continue, bad input: a NodeOperationError with the same words as its error item', async () => {
    const items = ids('bad id!');
    const { errors } = await runWithErrorOutput({ credentials: api.credentials(), items, parameters: getById });
    const run = await runNode({ credentials: api.credentials(), items, parameters: getById });
    expect(run.error).toBeInstanceOf(NodeOperationError);
    expect(run.error!.message).toBe(errors[0]!.json.error);
  });
});
