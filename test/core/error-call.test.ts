/**
 * Every error that leaves a request says which call it ends (`error.call`: operation, project,
 * image, attempts made, time per attempt), so that a surface can say "Get of image abc timed out:
 * 3 attempts of 60 s each" without guessing; and `mayHaveBeenBilled` tells a Generate that may
 * have reached Genimix from one that surely did not.
 */
import {
  GenimixAbortError,
  GenimixClient,
  GenimixConnectionError,
  GenimixError,
  GenimixRateLimitError,
  GenimixResponseError,
  GenimixServerError,
  GenimixTimeoutError,
  GenimixValidationError,
  mayHaveBeenBilled,
  type Sleep,
} from '@genimix/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_PNG } from '../helpers/images.js';
import { inTurn, startScriptedServer } from '../helpers/scripted-server.js';

let server: Awaited<ReturnType<typeof startScriptedServer>>;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

/** Waits nothing: these tests check what the error says, not the clock. */
const noWait: Sleep = async () => {};
const client = () =>
  new GenimixClient({
    apiKey: 'sk_test_error_call_key',
    projectId: 'p',
    baseUrl: server.url,
    sleep: noWait,
    timeoutMs: 5000,
  });

async function failure(call: Promise<unknown>): Promise<GenimixError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GenimixError);
  return error as GenimixError;
}

describe('error.call', () => {
  it('a Get that failed on every attempt: all attempts counted, with the time per attempt', async () => {
    server.byRoute = undefined;
    server.next = { status: 502 };
    const error = await failure(client().getImage({ imageId: 'three-times' }));
    expect(error.call).toEqual({
      operation: 'get',
      projectId: 'p',
      imageId: 'three-times',
      attempts: 3,
      timeoutMs: 5000,
    });
  });

  it('a Get that failed for good on its second attempt: 2', async () => {
    server.byRoute = inTurn([{ status: 503 }, { status: 404 }]);
    const error = await failure(client().getImage({ imageId: 'twice' }, { timeoutMs: 1234 }));
    expect(error.call).toEqual({ operation: 'get', projectId: 'p', imageId: 'twice', attempts: 2, timeoutMs: 1234 });
    server.byRoute = undefined;
  });

  it('Generate, Upload and Delete name their operation and project', async () => {
    server.next = { status: 500 };
    const c = client();
    expect(
      (
        await failure(
          c.generateImage({
            imageId: 'g',
            projectId: 'other',
            provider: 'google',
            modelId: 'imagen-3.0-generate-002',
            prompt: 'A fox',
          }),
        )
      ).call,
    ).toMatchObject({ operation: 'generate', projectId: 'other', imageId: 'g', attempts: 1 });
    expect((await failure(c.uploadImage({ imageId: 'u', data: TINY_PNG }))).call).toMatchObject({
      operation: 'upload',
      imageId: 'u',
      attempts: 3,
    });
    expect((await failure(c.deleteImage({ imageId: 'd' }))).call).toMatchObject({
      operation: 'delete',
      imageId: 'd',
      attempts: 3,
    });
  });

  it('is undefined for bad input: no request was made', async () => {
    const error = await failure(client().getImage({ imageId: '../x' }));
    expect(error).toBeInstanceOf(GenimixValidationError);
    expect(error.call).toBeUndefined();
  });
});

describe('mayHaveBeenBilled', () => {
  const connection = (code: string, status?: number) =>
    new GenimixConnectionError('x', { code, ...(status === undefined ? {} : { status }) });
  it.each([
    ['a 500', new GenimixServerError('x', { status: 500 }), true],
    ['a 503 without Retry-After', new GenimixServerError('x', { status: 503 }), true],
    [
      'a 503 with Retry-After (come back later)',
      new GenimixServerError('x', { status: 503, retryAfterMs: 1000 }),
      false,
    ],
    ['a 429', new GenimixRateLimitError('x', { status: 429 }), false],
    ['a time-out', new GenimixTimeoutError('x'), true],
    ['a cancelled call', new GenimixAbortError('x'), true],
    ['a reset connection', connection('ECONNRESET'), true],
    ['a refused connection', connection('ECONNREFUSED'), false],
    ['a DNS failure', connection('ENOTFOUND'), false],
    ['a body cut off after a 200', connection('ECONNRESET', 200), true],
    ['a malformed 200', new GenimixResponseError('x', { status: 200 }), true],
    ['bad input', new GenimixValidationError('prompt', 'x'), false],
  ])('%s', (_what, error, expected) => {
    expect(mayHaveBeenBilled(error)).toBe(expected);
  });
});
