/**
 * The genimixApi credential's test (the node's methods.credentialTest, named by testedBy), run in
 * n8n-core's CredentialTestContext against the emulator and against servers that are not Genimix:
 * it passes only where a request without the key is refused (401) and one with it gets Genimix's
 * JSON 404 for an image that cannot exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer } from '../helpers/scripted-server.js';
import {
  API_KEY,
  crossOriginRedirect,
  refusedUrl,
  SCOPED_KEY,
  startEmulator,
  type TestEmulator,
  WRONG_KEY,
} from './emulator.js';
import { loadNode, runCredentialTest } from './harness.js';

let api: TestEmulator;
beforeAll(async () => {
  api = await startEmulator();
});
afterAll(async () => {
  await api.close();
});

describe('the genimixApi credential test', () => {
  it('is wired as n8n finds it: the node names it in testedBy', () => {
    const { nodeType, credentialType } = loadNode();
    expect(credentialType.name).toBe('genimixApi');
    const description = nodeType.description.credentials?.find((c) => c.name === 'genimixApi');
    expect(description).toMatchObject({ name: 'genimixApi', required: true, testedBy: 'genimixApiTest' });
    expect(typeof nodeType.methods?.credentialTest?.genimixApiTest).toBe('function');
  });

  it('passes with the right key: one probe without the key (401), one with it (404), nothing created', async () => {
    const before = api.log.length;
    const { result, error } = await runCredentialTest(api.credentials());
    expect(error).toBeUndefined();
    expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/^Connection successful/) });
    expect(api.log.slice(before).map((r) => `${r.method} ${r.status}`)).toEqual(['GET 401', 'GET 404']);
    expect(await api.emulator.store.list('n8n')).toEqual([]);
  });

  it('says "the key was refused" for a key Genimix refuses (401)', async () => {
    const { result, error } = await runCredentialTest(api.credentials({ apiKey: WRONG_KEY }));
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/^The key was refused: Genimix answered 401/);
    expect(result?.message).not.toContain(WRONG_KEY);
  });

  it('says "the key was refused" for the project, for a key that may not use it (403)', async () => {
    const { result } = await runCredentialTest(api.credentials({ apiKey: SCOPED_KEY }));
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/^The key was refused for project "n8n": Genimix answered 403/);
    expect(result?.message).not.toContain(SCOPED_KEY);
  });

  // Servers that are not Genimix: a check that took any 404 as success passed every one of them,
  // with any key, and the workflow then failed with a bare "Error".
  describe.each([
    [
      'another service that answers 404 to everything',
      () => ({ status: 404, headers: { 'content-type': 'application/json' }, body: '{"message":"Not Found"}' }),
    ],
    [
      'a web server whose 404 is an HTML page',
      () => ({
        status: 404,
        headers: { 'content-type': 'text/html' },
        body: '<html><body><h1>404 Not Found</h1></body></html>',
      }),
    ],
    [
      'an app (n8n itself) that serves its page at every path',
      () => ({
        status: 200,
        headers: { 'content-type': 'text/html' },
        body: '<!doctype html><title>n8n.io - Workflow Automation</title>',
      }),
    ],
    [
      'an API that wants a key but answers its 404 as HTML',
      (key?: string) =>
        key
          ? { status: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not Found</h1>' }
          : { status: 401, body: 'Unauthorized' },
    ],
    [
      'an API that wants a key and answers 200 with JSON',
      (key?: string) =>
        key
          ? { status: 200, headers: { 'content-type': 'application/json' }, body: '{"items":[]}' }
          : { status: 401, body: 'Unauthorized' },
    ],
  ])('%s', (_name, answer) => {
    it.each([
      ['the right key', API_KEY],
      ['a wrong key', WRONG_KEY],
    ])('fails with %s: "this URL does not look like the Genimix API"', async (_k, apiKey) => {
      const server = await startScriptedServer();
      try {
        server.byRoute = (_method, _url) => answer(server.seen.at(-1)?.['x-api-key'] as string | undefined);
        const { result, error } = await runCredentialTest({ apiKey, projectId: 'n8n', baseUrl: server.url });
        expect(error).toBeUndefined();
        expect(result?.status).toBe('Error');
        expect(result?.message).toMatch(/^This URL does not look like the Genimix API/);
        expect(result?.message).toContain(server.url);
        expect(result?.message).not.toContain(apiKey);
      } finally {
        await server.close();
      }
    });
  });

  it('fails for the right host with a wrong path in the Base URL', async () => {
    const { result } = await runCredentialTest(api.credentials({ baseUrl: `${api.emulator.url}/api` }));
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/^This URL does not look like the Genimix API/);
  });

  it('says the server is busy, not that the key is wrong, on 503', async () => {
    const server = await startScriptedServer();
    try {
      server.next = {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '1' },
        body: '{"message":"overloaded"}',
      };
      const { result } = await runCredentialTest({ apiKey: API_KEY, projectId: 'n8n', baseUrl: server.url });
      expect(result?.status).toBe('Error');
      expect(result?.message).toMatch(/503 \(overloaded\): the server is busy or failing/);
      // A check answers at once: no retry after Retry-After.
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('reports an unreachable base URL with its own message, as a result, not a crash', async () => {
    const { result, error } = await runCredentialTest(api.credentials({ baseUrl: await refusedUrl() }));
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/^Genimix could not be reached at http:\/\/127\.0\.0\.1:\d+/);
    expect(result?.message.length).toBeGreaterThan(0);
    expect(result?.message).not.toContain(API_KEY);
  });

  it('does not send the key on to another origin when the server redirects', async () => {
    const redirect = await crossOriginRedirect();
    try {
      const { result, error } = await runCredentialTest(api.credentials({ baseUrl: redirect.from }));
      expect(error).toBeUndefined();
      expect(redirect.seenAtTarget.filter((headers) => headers['x-api-key'] !== undefined)).toEqual([]);
      expect(result?.status).toBe('Error');
    } finally {
      await redirect.close();
    }
  });

  it('reports an invalid project id without sending the key anywhere', async () => {
    const before = api.log.length;
    const { result, error } = await runCredentialTest(api.credentials({ projectId: 'not a/project' }));
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/project/i);
    expect(api.log.length).toBe(before);
  });
});
