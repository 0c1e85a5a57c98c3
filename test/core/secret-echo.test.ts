import { inspect } from 'node:util';
import { GenimixClient, GenimixError, REDACTED, Redactor } from '@genimix/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedServer } from '../helpers/scripted-server.js';
import { echoedForms, leakedForm, urlsWithKey } from '../helpers/secret-forms.js';

// Characters that URL-encoding and base64 treat differently from letters and digits.
const API_KEY = 'sk_test_echo+key/with=odd%chars~42';
let server: Awaited<ReturnType<typeof startScriptedServer>>;
let client: GenimixClient;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startScriptedServer();
  client = new GenimixClient({
    apiKey: API_KEY,
    projectId: 'p',
    baseUrl: server.url,
    maxRetries: 0,
    logger: { debug: (line) => logLines.push(line) },
  });
});
afterAll(() => server.close());

const generated = (imageUrl: string) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ success: true, message: 'Image generated successfully', imageUrl }),
});

describe('a server that echoes the API key in any form leaks it nowhere', () => {
  it.each(echoedForms(API_KEY))('%s, in an error body, a header and a log line', async (_form, echoed) => {
    server.next = {
      status: 400,
      headers: { 'content-type': 'application/json', 'x-request-id': `req-${echoed}` },
      body: JSON.stringify({ message: `Bad key ${echoed} sent` }),
    };
    const error = (await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixError;
    expect(error).toBeInstanceOf(GenimixError);
    for (const text of [error.message, error.serverMessage ?? '', error.requestId ?? '', inspect(error), ...logLines]) {
      expect(leakedForm(text, API_KEY), text).toBeUndefined();
    }
    expect(error.serverMessage).toContain(REDACTED);
  });

  it.each(echoedForms(API_KEY))("%s, in a success body's message", async (_form, echoed) => {
    server.next = {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        success: true,
        message: `generated for ${echoed}`,
        imageUrl: `${server.url}/v1/p/image/x`,
      }),
    };
    const result = await client.generateImage({
      imageId: 'x',
      provider: 'google',
      modelId: 'imagen-3.0-generate-002',
      prompt: 'A cat',
    });
    expect(leakedForm(JSON.stringify(result), API_KEY)).toBeUndefined();
  });

  it.each(urlsWithKey('http://127.0.0.1:1', API_KEY))(
    'an imageUrl with the key %s is returned with that part removed',
    async (_where, imageUrl) => {
      server.next = generated(imageUrl);
      const result = await client.generateImage({
        imageId: 'x',
        provider: 'google',
        modelId: 'imagen-3.0-generate-002',
        prompt: 'A cat',
      });
      expect(leakedForm(result.imageUrl, API_KEY), result.imageUrl).toBeUndefined();
      const shown = new URL(result.imageUrl);
      expect(shown.username + shown.password).toBe('');
      expect(shown.host).toBe('127.0.0.1:1');
      expect(shown.pathname).toMatch(/^\/v1\/p\//);
    },
  );

  it.each([
    [
      'JSON without a message field, the key \\u-escaped',
      'application/json',
      JSON.stringify({ detail_code: 7, echo: 'KEY' }).replace(
        'KEY',
        [...API_KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
      ),
    ],
    [
      'JSON without a message field, "/" escaped as \\/',
      'application/json',
      JSON.stringify({ echo: API_KEY }).replaceAll('/', '\\/'),
    ],
    [
      'an HTML page with the key in numeric entities',
      'text/html',
      `<html><title>Denied ${[...API_KEY].map((c) => (/[a-z0-9]/i.test(c) ? c : `&#x${c.charCodeAt(0).toString(16)};`)).join('')}</title></html>`,
    ],
    [
      'an HTML page with the key in decimal entities',
      'text/html',
      `<html><title>Denied ${[...API_KEY].map((c) => `&#${c.charCodeAt(0)};`).join('')}</title></html>`,
    ],
    ['a body cut off in the middle of the key', 'text/plain', `${'x'.repeat(64 * 1024 - 20)}${API_KEY}`],
  ])('%s', async (_kind, contentType, body) => {
    server.next = { status: 400, headers: { 'content-type': contentType }, body };
    const error = (await client.getImage({ imageId: 'img' }).catch((e: unknown) => e)) as GenimixError;
    for (const text of [error.message, error.serverMessage ?? '']) {
      expect(leakedForm(text, API_KEY), text).toBeUndefined();
      // Not even a long start of it: the first 12 characters would already be enough to search for.
      expect(text).not.toContain(API_KEY.slice(0, 12));
    }
  });

  it('an imageUrl whose host name is the key (the URL parser lower-cases it) is shown without it', async () => {
    const hostKey = 'sk_test_HostKey1234567';
    const hostClient = new GenimixClient({ apiKey: hostKey, projectId: 'p', baseUrl: server.url, maxRetries: 0 });
    server.next = generated(`https://${hostKey}.cdn.example/v1/p/image/x`);
    const { imageUrl } = await hostClient.generateImage({
      imageId: 'x',
      provider: 'google',
      modelId: 'imagen-3.0-generate-002',
      prompt: 'A cat',
    });
    expect(imageUrl.toLowerCase()).not.toContain(hostKey.toLowerCase());
    expect(imageUrl).toBe('https://redacted.invalid/v1/p/image/x');
  });

  it('an imageUrl without the key is left as it is, other query parameters kept', async () => {
    const clean = `${server.url}/v1/p/image/x?w=1024&h=1024`;
    server.next = generated(clean);
    expect(
      (
        await client.generateImage({
          imageId: 'x',
          provider: 'google',
          modelId: 'imagen-3.0-generate-002',
          prompt: 'A cat',
        })
      ).imageUrl,
    ).toBe(clean);
  });
});

describe('Redactor', () => {
  it('leaves text alone that only shares short fragments with the key', () => {
    const redactor = new Redactor('abc');
    expect(redactor.redact('YWJj is the base64 of the key, too short to redact alone; abc is not')).toBe(
      `YWJj is the base64 of the key, too short to redact alone; ${REDACTED} is not`,
    );
  });

  it('searches a long run of backslashes (an error body, bytes of an image) in one pass, and finds the key escaped four times after it', () => {
    // Each JSON escaping doubles the backslashes before "/" and adds one: "\\/" becomes "\\\\\\/".
    let escaped = API_KEY;
    for (let i = 0; i < 4; i++) escaped = escaped.replace(/["\\/]/g, '\\$&');
    const run = '\\'.repeat(128 * 1024);
    const redactor = new Redactor(API_KEY);
    // The key's forms began with "one or more backslashes": from each position of the run the
    // engine went to its end, n² steps (here half a minute with the process held; an image's
    // megabytes, hours).
    expect(redactor.occursIn(run)).toBe(false);
    const redacted = redactor.redact(`${run}${escaped} sent`);
    expect(leakedForm(redacted, API_KEY)).toBeUndefined();
    expect(redacted.endsWith(`${REDACTED} sent`)).toBe(true);
  });

  it("keeps a URL's other parts and drops credentials that are not the key too", () => {
    const redactor = new Redactor(API_KEY);
    expect(redactor.redactUrl('https://admin:hunter2@cdn.example/img.png?size=2')).toBe(
      'https://cdn.example/img.png?size=2',
    );
  });
});
