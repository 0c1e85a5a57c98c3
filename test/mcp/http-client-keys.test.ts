import { createEmulator, type Emulator } from '@genimix/emulator';
import type { FetchLike } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import {
  connectHttpClient,
  type HttpClient,
  type HttpServer,
  messagesOf,
  postToolsList,
  startHttpServer,
} from '../helpers/http-server.js';
import { TINY_PNG } from '../helpers/images.js';
import { echoedForms } from '../helpers/secret-forms.js';
import { startUploadTap, type UploadTap } from '../helpers/upload-tap.js';

/**
 * Per-user Genimix keys (GENIMIX_CLIENT_KEYS=allow): each request is served with the key and
 * project its headers bring, and no key comes back in any answer or log. A recording proxy
 * between the server and the emulator sees which key each request to Genimix carried.
 */
const SERVER_KEY = 'sk_test_server+own/key=0123456789';
const KEY_A = 'sk_test_userA+key/A=0123456789abc';
const KEY_B = 'sk_test_userB+key/B=9876543210xyz';
const USERS = [
  { name: 'A', key: KEY_A, projectId: 'projA' },
  { name: 'B', key: KEY_B, projectId: 'projB' },
] as const;
const KEYS = [SERVER_KEY, KEY_A, KEY_B];

let emulator: Emulator;
let tap: UploadTap;
const started: HttpServer[] = [];

beforeAll(async () => {
  // Each key may use its own project only: a request sent with the wrong key answers 403.
  emulator = await createEmulator({
    port: 0,
    apiKeys: { [SERVER_KEY]: ['projS'], [KEY_A]: ['projA'], [KEY_B]: ['projB'] },
  });
  tap = await startUploadTap(emulator.url);
});
afterAll(async () => {
  await Promise.allSettled(started.map((s) => s.stop()));
  await tap?.close();
  await emulator?.close();
});

async function start(env: Record<string, string>): Promise<HttpServer> {
  const server = await startHttpServer({
    GENIMIX_BASE_URL: tap.url,
    GENIMIX_LOG: 'debug',
    // Large enough to show the emulator's images as they are: no preview to make, for speed.
    GENIMIX_PREVIEW_MAX_BYTES: '700000',
    ...env,
  });
  started.push(server);
  return server;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** A tool call: the tool's name and its arguments. */
type Call = [tool: string, args: Record<string, unknown>];

/** What reached Genimix for `projectId`, as the proxy saw it. */
function tappedFor(projectId: string) {
  return tap.requests.filter((r) => r.path.startsWith(`/v1/${projectId}/`));
}

/** A fetch that keeps every answer's headers and body, raw, as the client received them. */
function recordingFetch(seen: string[]): FetchLike {
  return async (input, init) => {
    const response = await fetch(input, init);
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    seen.push(`${headers}\n\n${await response.clone().text()}`);
    return response;
  };
}

/** Which forms of which key `text` holds, as `key #n: form` (empty: none). */
function keysIn(text: string): string[] {
  return KEYS.flatMap((key, i) =>
    echoedForms(key)
      .filter(([, form]) => text.includes(form))
      .map(([name]) => `key #${i}: ${name}`),
  );
}

/** upload_image of a tiny PNG by a fresh client sending `headers`: what reached Genimix for it. */
async function uploadWith(server: HttpServer, headers: Record<string, string>, imageId: string, projectId: string) {
  const before = tap.requests.length;
  const mcp = await connectHttpClient(server.url, { headers });
  try {
    const result = await mcp.call('upload_image', { data: TINY_PNG.toString('base64'), imageId });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(detailsOf(result).projectId).toBe(projectId);
  } finally {
    await mcp.close();
  }
  return tap.requests.slice(before).map((r) => ({ method: r.method, path: r.path, apiKey: r.apiKey }));
}

/** The error messages of `tools/list` sent with each of `headerSets`: each must be refused with 400, before Genimix. */
async function refusals(server: HttpServer, headerSets: Array<Record<string, string>>): Promise<string[]> {
  const before = tap.requests.length;
  const messages: string[] = [];
  for (const headers of headerSets) {
    const answer = await postToolsList(server.port, headers);
    expect(answer.status, JSON.stringify(headers)).toBe(400);
    expect(keysIn(answer.body)).toEqual([]);
    messages.push(messagesOf(answer.body)[0].error.message);
  }
  expect(tap.requests.length).toBe(before);
  return messages;
}

describe('GENIMIX_CLIENT_KEYS=allow', () => {
  let server: HttpServer;
  beforeAll(async () => {
    server = await start({ GENIMIX_CLIENT_KEYS: 'allow', GENIMIX_API_KEY: SERVER_KEY, GENIMIX_PROJECT_ID: 'projS' });
  });

  it("two users, 50 concurrent calls each: every request reaches Genimix with its own user's key and project, and no key is in any answer or log", async () => {
    const answers: string[] = [];
    const clients: HttpClient[] = [];
    for (const user of USERS) {
      clients.push(
        await connectHttpClient(server.url, {
          headers: { 'X-Genimix-Api-Key': user.key, 'X-Genimix-Project-Id': user.projectId },
          fetch: recordingFetch(answers),
        }),
      );
    }
    try {
      // Images for get_image to fetch and delete_image to delete: uploads with the user's key too.
      const seeds = ['seed-0', 'seed-1', 'del-0', 'del-1', 'del-2', 'del-3', 'del-4'];
      await Promise.all(
        clients.flatMap((mcp) =>
          seeds.map(async (imageId) => {
            const seeded = await mcp.call('upload_image', { data: TINY_PNG.toString('base64'), imageId });
            expect(seeded.isError, textOf(seeded)).toBeFalsy();
          }),
        ),
      );
      tap.requests.length = 0;

      // 50 calls a user at once, each tool of the server: 5 generate_image (a Generate and a Get
      // each), 5 get_image, 5 delete_image, 25 upload_image (one request each) and 10 list_models
      // (none): 45 requests to Genimix a user. Few calls show an image: the server makes their
      // previews one at a time (a worker each), and the emulator draws each generation here.
      const calls: Array<Promise<{ user: (typeof USERS)[number]; tool: string; result: ToolResult }>> = [];
      USERS.forEach((user, u) => {
        const mcp = clients[u]!;
        const plan: Call[] = [
          ...range(5).map(
            (i): Call => ['generate_image', { prompt: `Picture ${i} of ${user.name}`, imageId: `gen-${i}` }],
          ),
          ...range(5).map((i): Call => ['get_image', { imageId: `seed-${i % 2}` }]),
          ...range(5).map((i): Call => ['delete_image', { imageId: `del-${i}` }]),
          ...range(25).map((i): Call => ['upload_image', { data: TINY_PNG.toString('base64'), imageId: `up-${i}` }]),
          ...range(10).map((): Call => ['list_models', {}]),
        ];
        expect(plan).toHaveLength(50);
        for (const [tool, args] of plan) calls.push(mcp.call(tool, args).then((result) => ({ user, tool, result })));
      });
      const results = await Promise.all(calls);

      for (const { user, tool, result } of results) {
        expect(result.isError, `${tool} of ${user.name}: ${textOf(result)}`).toBeFalsy();
        if (tool !== 'list_models') expect(detailsOf(result).projectId).toBe(user.projectId);
      }
      for (const user of USERS) {
        const seen = tappedFor(user.projectId);
        expect(seen, user.name).toHaveLength(45);
        expect(
          seen.filter((r) => r.apiKey !== user.key).map((r) => r.path),
          `requests for ${user.projectId} without ${user.name}'s key`,
        ).toEqual([]);
        expect(seen.filter((r) => r.method === 'PUT' && r.path.includes('/generate/'))).toHaveLength(5);
        expect(seen.filter((r) => r.method === 'DELETE')).toHaveLength(5);
      }
      // Nothing else was sent: no request with the server's own key, none elsewhere.
      expect(tap.requests).toHaveLength(90);
      expect(tap.requests.filter((r) => r.apiKey === SERVER_KEY)).toEqual([]);
      expect(emulator.requests.list().filter((r) => r.status !== 200)).toEqual([]);
    } finally {
      await Promise.allSettled(clients.map((c) => c.close()));
    }
    expect(answers.length).toBeGreaterThanOrEqual(100);
    expect(keysIn(answers.join('\n\n'))).toEqual([]);
    expect(server.stderr()).toContain('[genimix] PUT /v1/projA/generate/');
    expect(keysIn(server.stderr())).toEqual([]);
  }, 120_000);

  it("a caller that brings no key is served with the server's own", async () => {
    expect(await uploadWith(server, {}, 'own', 'projS')).toEqual([
      { method: 'PUT', path: '/v1/projS/image/own', apiKey: SERVER_KEY },
    ]);
  });

  it.each([
    ['a key with spaces', { 'x-genimix-api-key': 'sk_test_bad key_0123456789' }, 'X-Genimix-Api-Key', 'bad key'],
    ['a key of 2,000 characters', { 'x-genimix-api-key': `sk_${'k'.repeat(2000)}` }, 'X-Genimix-Api-Key', 'kkkkkkkk'],
    [
      'a project id with a slash',
      { 'x-genimix-api-key': KEY_A, 'x-genimix-project-id': 'projA/../projB' },
      'X-Genimix-Project-Id',
      undefined,
    ],
    [
      'the key as the project id too',
      { 'x-genimix-api-key': KEY_A, 'x-genimix-project-id': KEY_A },
      'X-Genimix-Project-Id holds the API key',
      KEY_A,
    ],
    [
      'the key in its quotes as the project id',
      { 'x-genimix-api-key': KEY_A, 'x-genimix-project-id': `"${KEY_A}"` },
      'X-Genimix-Project-Id holds the API key',
      KEY_A,
    ],
  ])('%s: 400 naming the header, without its value; nothing sent', async (_name, headers, header, value) => {
    const [message] = await refusals(server, [headers]);
    expect(message).toContain(header);
    if (value) expect(message).not.toContain(value);
  });
});

describe('without GENIMIX_CLIENT_KEYS', () => {
  it("the server's own key serves every caller; a request that brings a key or project gets 400 naming the fix", async () => {
    const server = await start({ GENIMIX_API_KEY: SERVER_KEY, GENIMIX_PROJECT_ID: 'projS' });
    const messages = await refusals(server, [
      { 'x-genimix-api-key': KEY_A, 'x-genimix-project-id': 'projA' },
      { 'x-genimix-api-key': KEY_A },
      { 'x-genimix-project-id': 'projA' },
    ]);
    for (const message of messages) {
      expect(message).toContain('GENIMIX_CLIENT_KEYS=allow');
      expect(message).toContain('remove the X-Genimix-Api-Key and X-Genimix-Project-Id headers');
    }
    expect(await uploadWith(server, {}, 'own-only', 'projS')).toEqual([
      { method: 'PUT', path: '/v1/projS/image/own-only', apiKey: SERVER_KEY },
    ]);
  });
});

describe('GENIMIX_CLIENT_KEYS=allow without a key of its own', () => {
  it('a request without both headers gets 400 asking for them; one with both is served', async () => {
    const server = await start({ GENIMIX_CLIENT_KEYS: 'allow' });
    expect(server.stderr()).toContain('no key of its own (each request brings one)');
    const messages = await refusals(server, [{}, { 'x-genimix-api-key': KEY_A }, { 'x-genimix-project-id': 'projA' }]);
    for (const message of messages) expect(message).toMatch(/X-Genimix-Api-Key.*X-Genimix-Project-Id/);
    const headers = { 'X-Genimix-Api-Key': KEY_B, 'X-Genimix-Project-Id': 'projB' };
    expect(await uploadWith(server, headers, 'keyless-server', 'projB')).toEqual([
      { method: 'PUT', path: '/v1/projB/image/keyless-server', apiKey: KEY_B },
    ]);
    expect(keysIn(server.stderr())).toEqual([]);
  });
});
