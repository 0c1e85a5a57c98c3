/**
 * Time-outs and lost answers a user can act on: Options → Timeout sets the time per attempt; a
 * time-out names the operation, the image id, the time per attempt and the attempts; a Generate
 * that may have reached Genimix (time-out, reset, 5xx, cut-off answer) says so and says to check
 * with Get before generating again; and n8n never replaces the node's message with its generic
 * one ("You can retry the request immediately", "The connection timed out", …).
 */

import type { INodeParameters } from 'n8n-workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { droppingServer, PROJECT, silentServer, startEmulator, type TestEmulator } from './emulator.js';
import { errorTexts, NodeApiError, type RunNodeResult, runNode } from './harness.js';

/** n8n's generic replacements for messages that mention an error code (n8n-workflow's NodeError). */
const N8N_GENERIC =
  /retry the request immediately|closed unexpectedly|The connection timed out|The connection was aborted|The service was not able|The service failed/;

const get = (imageId: string, options: INodeParameters = {}) => ({
  resource: 'image',
  operation: 'get',
  imageId,
  options,
});
const generate = (imageId: string, options: INodeParameters = {}) => ({
  resource: 'image',
  operation: 'generate',
  model: 'google/imagen-3.0-generate-002',
  prompt: 'A fox',
  imageId,
  download: false,
  options,
});
const credentials = (baseUrl: string) => ({ apiKey: 'sk_test_timeouts_key', projectId: PROJECT, baseUrl });

function apiError(run: RunNodeResult): InstanceType<typeof NodeApiError> {
  expect(run.output, 'the node should have failed').toBeUndefined();
  expect(run.error).toBeInstanceOf(NodeApiError);
  expect(run.error!.message).not.toMatch(N8N_GENERIC);
  expect(errorTexts(run.error)).not.toContain('sk_test_timeouts_key');
  return run.error as InstanceType<typeof NodeApiError>;
}

const CHECK_WITH_GET = (imageId: string) =>
  `Check with Get (Operation: Get, Image ID "${imageId}") before generating again`;

describe('a server that never answers', () => {
  it('Get times out after its attempts, each of Options → Timeout, and says so', async () => {
    let requests = 0;
    const server = await silentServer(() => requests++);
    try {
      const error = apiError(
        await runNode({ credentials: credentials(server.url), parameters: get('t-hang', { timeout: 0.5 }) }),
      );
      expect(error.message).toBe('Get of image t-hang timed out: 3 attempts of 0.5 s each');
      expect(String(error.description)).toMatch(/Options → Timeout/);
      expect(requests).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('with "Continue (using error output)" the same words, and the attempts and time per attempt in details', async () => {
    const server = await silentServer(() => {});
    try {
      const run = await runNode({
        onError: 'continueErrorOutput',
        credentials: credentials(server.url),
        parameters: get('t-hang', { timeout: 0.5 }),
      });
      const [success, errors] = run.routed!;
      expect(success).toEqual([]);
      expect(errors![0]!.json).toMatchObject({
        error: 'Get of image t-hang timed out: 3 attempts of 0.5 s each',
        details: { operation: 'get', imageId: 't-hang', attempts: 3, timeoutSeconds: 0.5 },
      });
    } finally {
      await server.close();
    }
  });

  it('Generate is tried once (it is billed), and the user is told it may have been made and to check with Get', async () => {
    let requests = 0;
    const server = await silentServer(() => requests++);
    try {
      const error = apiError(
        await runNode({ credentials: credentials(server.url), parameters: generate('t-gen-hang', { timeout: 0.5 }) }),
      );
      expect(error.message).toBe('Generate of image t-gen-hang timed out: 1 attempt of 0.5 s');
      expect(String(error.description)).toContain('may have generated image "t-gen-hang" and billed it');
      expect(String(error.description)).toContain(CHECK_WITH_GET('t-gen-hang'));
      expect(requests).toBe(1);
    } finally {
      await server.close();
    }
  });

  it.each([-1, 3601, 'soon'])('Timeout %j is refused naming the option, before any request', async (timeout) => {
    let requests = 0;
    const server = await silentServer(() => requests++);
    try {
      const run = await runNode({ credentials: credentials(server.url), parameters: get('t-any', { timeout }) });
      expect(run.error?.message).toMatch(/Invalid Timeout option/);
      expect(requests).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('a connection reset', () => {
  it("on Generate: the node's own message (n8n's ECONNRESET text never replaces it), sent once, check with Get", async () => {
    const server = await droppingServer();
    try {
      const error = apiError(await runNode({ credentials: credentials(server.url), parameters: generate('t-reset') }));
      expect(error.message).toMatch(/^Generate of image t-reset failed: no response/);
      expect(String(error.description)).toContain(CHECK_WITH_GET('t-reset'));
      expect(server.connections()).toBe(1);
    } finally {
      await server.close();
    }
  });

  it("on Get: retried, then the node's own message with the advice", async () => {
    const server = await droppingServer();
    try {
      const error = apiError(await runNode({ credentials: credentials(server.url), parameters: get('t-reset') }));
      expect(error.message).toMatch(/^Get of image t-reset failed: no response/);
      expect(String(error.description)).toMatch(/Base URL/);
      expect(server.connections()).toBe(3);
    } finally {
      await server.close();
    }
  });
});

describe('Genimix answered, but not with the image', () => {
  let api: TestEmulator;
  beforeAll(async () => {
    api = await startEmulator();
  });
  afterAll(async () => {
    await api.close();
  });

  it("a 5xx on Generate: may have been made, check with Get; n8n's 5xx text does not replace the message", async () => {
    api.emulator.faults.add({ kind: 'status', status: 502, route: 'generate', imageId: 't-502' });
    const error = apiError(await runNode({ credentials: api.credentials(), parameters: generate('t-502') }));
    expect(error.message).toMatch(/^Generate of image t-502 failed: 502 Bad Gateway/);
    expect(error.httpCode).toBe('502');
    expect(String(error.description)).toContain(CHECK_WITH_GET('t-502'));
  });

  it('a Generate answer cut off mid-way: the image was made; the user is told to check with Get', async () => {
    api.emulator.faults.add({ kind: 'drop', when: 'mid-body', route: 'generate', imageId: 't-cut' });
    const error = apiError(await runNode({ credentials: api.credentials(), parameters: generate('t-cut') }));
    expect(error.message).toMatch(/^Generate of image t-cut failed: /);
    expect(String(error.description)).toContain(CHECK_WITH_GET('t-cut'));
    // The emulator did make it: checking with Get, as told, finds it.
    expect(await api.emulator.store.has(PROJECT, 't-cut')).toBe(true);
  });

  it('a 429 on Generate says nothing of billing: Genimix refused it', async () => {
    api.emulator.faults.add({ kind: 'status', status: 429, route: 'generate', imageId: 't-429' });
    const error = apiError(await runNode({ credentials: api.credentials(), parameters: generate('t-429') }));
    expect(error.message).toMatch(/^Generate of image t-429 failed: 429 Too Many Requests/);
    expect(String(error.description)).not.toMatch(/billed/);
  });
});
