/**
 * The genimixApi credential's test (the node's methods.credentialTest, named by testedBy), run in
 * n8n-core's CredentialTestContext against the emulator: the API has no "who am I" endpoint, so
 * the test asks for an image that cannot exist; 404 means the key works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, crossOriginRedirect, refusedUrl, SCOPED_KEY, startEmulator, type TestEmulator, WRONG_KEY } from './emulator.js';
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

  it('passes with the right key, and asks for one image without creating anything', async () => {
    const before = api.log.length;
    const { result, error } = await runCredentialTest(api.credentials());
    expect(error).toBeUndefined();
    expect(result?.status).toBe('OK');
    const requests = api.log.slice(before);
    expect(requests.length).toBeGreaterThanOrEqual(1);
    expect(requests.every((r) => r.method === 'GET' && r.status === 404)).toBe(true);
    expect(await api.emulator.store.list('n8n')).toEqual([]);
  });

  it('says "wrong API key" for a key the server refuses (401)', async () => {
    const { result, error } = await runCredentialTest(api.credentials({ apiKey: WRONG_KEY }));
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/wrong API key/i);
    expect(result?.message).not.toContain(WRONG_KEY);
  });

  it('says "wrong API key" for a key that may not use the project (403)', async () => {
    const { result } = await runCredentialTest(api.credentials({ apiKey: SCOPED_KEY }));
    expect(result?.status).toBe('Error');
    expect(result?.message).toMatch(/wrong API key/i);
    expect(result?.message).not.toContain(SCOPED_KEY);
  });

  it('reports an unreachable base URL with its own message, as a result, not a crash', async () => {
    const { result, error } = await runCredentialTest(api.credentials({ baseUrl: await refusedUrl() }));
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).not.toMatch(/wrong API key/i);
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
