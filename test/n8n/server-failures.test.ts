/**
 * Answers the emulator never gives, from a scripted server on loopback: a proxy's HTML error page.
 * (Real HTTP rather than nock: nock left n8n's keep-alive PUT waiting on a 500 forever.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer } from '../helpers/scripted-server.js';
import { API_KEY, PROJECT } from './emulator.js';
import { errorTexts, NodeApiError, runCredentialTest, runNode } from './harness.js';

const HTML_500 = `<!DOCTYPE html>
<html><head><title>Upstream proxy error</title><style>body { color: red }</style></head>
<body><h1>500 Internal Server Error</h1><p>The upstream server did not answer. ${'Filler text. '.repeat(200)}</p></body></html>`;

let server: Awaited<ReturnType<typeof startScriptedServer>>;
let credentials: { apiKey: string; projectId: string; baseUrl: string };
beforeAll(async () => {
  server = await startScriptedServer();
  credentials = { apiKey: API_KEY, projectId: PROJECT, baseUrl: server.url };
});
afterAll(() => server.close());

describe('a 500 with an HTML page (a proxy in front of the API)', () => {
  it('is a NodeApiError 500 with a short readable message, not the page', async () => {
    // Get is idempotent: the node may retry it on a 5xx (the contract allows it), hence times(3).
    server.next = {
      status: 500,
      headers: { 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'req-proxy-500' },
      body: HTML_500,
    };
    const run = await runNode({
      credentials,
      parameters: { resource: 'image', operation: 'get', imageId: 'behind-proxy' },
    });
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
    server.next = { status: 500, headers: { 'content-type': 'text/html' }, body: HTML_500 };
    const before = server.requests.length;
    const run = await runNode({
      credentials,
      parameters: {
        resource: 'image',
        operation: 'generate',
        model: 'google/imagen-3.0-generate-002',
        prompt: 'A fox',
        imageId: 'billed',
        download: false,
      },
    });
    expect(run.error).toBeInstanceOf(NodeApiError);
    expect((run.error as InstanceType<typeof NodeApiError>).httpCode).toBe('500');
    expect(server.requests.slice(before).filter((r) => r.url === `/v1/${PROJECT}/generate/billed`)).toHaveLength(1);
  });
});

describe('the credential test', () => {
  it('reports a server failure with its own message', async () => {
    server.next = { status: 500, headers: { 'content-type': 'text/html' }, body: HTML_500 };
    const { result, error } = await runCredentialTest(credentials);
    expect(error).toBeUndefined();
    expect(result?.status).toBe('Error');
    expect(result?.message).not.toMatch(/api key/i);
    expect(result?.message).toMatch(/500|Upstream proxy error/);
    expect(result?.message).not.toContain(API_KEY);
  });
});
