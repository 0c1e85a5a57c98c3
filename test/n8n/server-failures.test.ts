/**
 * Answers the emulator never gives, scripted with nock (n8n's helpers use axios over Node's http,
 * which nock intercepts): a proxy's HTML error page. (A dropped connection is a real socket in
 * errors.test.ts: nock's replyWithError leaves n8n's axios request hanging until its timeout.)
 */
import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY, PROJECT } from './emulator.js';
import { errorTexts, NodeApiError, runCredentialTest, runNode } from './harness.js';

const BASE = 'http://genimix.nock.test';
const credentials = { apiKey: API_KEY, projectId: PROJECT, baseUrl: BASE };

const HTML_500 = `<!DOCTYPE html>
<html><head><title>Upstream proxy error</title><style>body { color: red }</style></head>
<body><h1>500 Internal Server Error</h1><p>The upstream server did not answer. ${'Filler text. '.repeat(200)}</p></body></html>`;

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('a 500 with an HTML page (a proxy in front of the API)', () => {
  it('is a NodeApiError 500 with a short readable message, not the page', async () => {
    // Get is idempotent: the node may retry it on a 5xx (the contract allows it), hence times(3).
    nock(BASE)
      .get(`/v1/${PROJECT}/image/behind-proxy`)
      .times(3)
      .reply(500, HTML_500, { 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'req-proxy-500' });
    const run = await runNode({ credentials, parameters: { resource: 'image', operation: 'get', imageId: 'behind-proxy' } });
    expect(run.error).toBeInstanceOf(NodeApiError);
    const error = run.error as InstanceType<typeof NodeApiError>;
    expect(error.httpCode).toBe('500');
    expect(error.message).toContain('Upstream proxy error');
    expect(error.message).not.toMatch(/<[a-z!]/i);
    expect(error.message.length).toBeLessThan(400);
    expect(String(error.description)).toContain('req-proxy-500');
    expect(errorTexts(error)).not.toContain(API_KEY);
    expect(errorTexts(error)).not.toContain('Filler text. Filler text. Filler text.');
  });

  it('does not repeat a billed Generate after a 500', async () => {
    let generates = 0;
    nock(BASE)
      .put(`/v1/${PROJECT}/generate/billed`)
      .times(5)
      .reply(() => {
        generates++;
        return [500, HTML_500, { 'content-type': 'text/html' }];
      });
    const run = await runNode({
      credentials,
      parameters: { resource: 'image', operation: 'generate', model: 'google/imagen-3.0-generate-002', prompt: 'A fox', imageId: 'billed', download: false },
    });
    expect(run.error).toBeInstanceOf(NodeApiError);
    expect((run.error as InstanceType<typeof NodeApiError>).httpCode).toBe('500');
    expect(generates).toBe(1);
  });
});

describe('the credential test', () => {
  it('reports a server failure with its own message', async () => {
    nock(BASE).get(/\/v1\/n8n\/image\/.+/).reply(500, HTML_500, { 'content-type': 'text/html' });
    const { result, error } = await runCredentialTest(credentials);
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).not.toMatch(/api key/i);
    expect(result?.message).toMatch(/500|Upstream proxy error/);
    expect(result?.message).not.toContain(API_KEY);
  });
});
