/**
 * The harness's own checks, with a tiny probe node (fixtures/probe-dist): that n8n's request
 * helpers really authenticate with the credential's generic auth and reach the server over
 * loopback, that binary data goes through n8n's BinaryDataService in both modes, and that the
 * credential test runs in n8n's CredentialTestContext.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readPhoto, TINY_PNG } from '../helpers/images.js';
import {
  BinaryDataService,
  binaryItem,
  Container,
  NodeApiError,
  readBinary,
  runCredentialTest,
  runNode,
} from './harness.js';

const PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'probe-dist');
const API_KEY = 'sk_test_probe_0123456789';
let emulator: Emulator;
const requests: string[] = [];

beforeAll(async () => {
  emulator = await createEmulator({
    port: 0,
    apiKeys: [API_KEY],
    onRequest: (e) => requests.push(`${e.method} ${e.path} ${e.status}`),
  });
});
afterAll(async () => {
  await emulator.close();
});

const credentials = () => ({ apiKey: API_KEY, projectId: 'probe', baseUrl: emulator.url });

describe('the harness runs a node through n8n-core', () => {
  for (const binaryMode of ['memory', 'filesystem'] as const) {
    it(`uploads and gets back an image through n8n's auth and binary data (${binaryMode})`, async () => {
      const photo = await readPhoto();
      const input = await binaryItem(photo, { fileName: 'photo.jpg', mimeType: 'image/jpeg', binaryMode, dist: PROBE });
      expect(Boolean(input.binary!.data!.id)).toBe(binaryMode === 'filesystem');

      const service = Container.get(BinaryDataService);
      const stream = vi.spyOn(service, 'getAsStream');
      const up = await runNode({
        dist: PROBE,
        binaryMode,
        credentials: credentials(),
        items: [input],
        parameters: { operation: 'upload', imageId: `p-${binaryMode}` },
      });
      expect(up.error).toBeUndefined();
      expect(stream).toHaveBeenCalledTimes(binaryMode === 'filesystem' ? 1 : 0);
      stream.mockRestore();
      // The generic auth of the credential, resolved by n8n's expression engine, is what went out.
      expect(up.credentialsHelper.authenticated[0]?.headers).toMatchObject({ 'x-api-key': API_KEY });
      expect((await emulator.store.get('probe', `p-${binaryMode}`))?.contentType).toBe('image/jpeg');

      const got = await runNode({
        dist: PROBE,
        binaryMode,
        credentials: credentials(),
        parameters: { operation: 'get', imageId: `p-${binaryMode}` },
      });
      expect(got.error).toBeUndefined();
      const binary = got.output![0]![0]!.binary!.data!;
      expect(Boolean(binary.id)).toBe(binaryMode === 'filesystem');
      expect(binary.mimeType).toBe('image/jpeg');
      expect((await readBinary(binary)).equals(photo)).toBe(true);
    });
  }

  it('gives the node the credential with defaults applied and expressions resolved; n8n wraps HTTP failures in NodeApiError', async () => {
    const run = await runNode({
      dist: PROBE,
      credentials: { apiKey: 'wrong', projectId: 'probe', baseUrl: emulator.url },
      parameters: { imageId: 'x' },
    });
    expect(run.error).toBeInstanceOf(NodeApiError);
    expect((run.error as InstanceType<typeof NodeApiError>).httpCode).toBe('401');
    // No baseUrl given: the credential type's default applies, as n8n applies it.
    const defaults = await runNode({
      dist: PROBE,
      credentials: { apiKey: 'k', projectId: '={{ "p" + "1" }}' },
      parameters: { operation: 'credentials' },
    });
    expect(defaults.output![0]![0]!.json).toEqual({ projectId: 'p1', baseUrl: 'https://api.genimix.dev' });
  });

  it('resolves expressions in parameters per item', async () => {
    await runNode({
      dist: PROBE,
      credentials: credentials(),
      items: [await binaryItem(TINY_PNG, { dist: PROBE, mimeType: 'image/png' })],
      parameters: { operation: 'upload', imageId: 'tiny' },
    });
    const run = await runNode({
      dist: PROBE,
      credentials: credentials(),
      items: [{ json: { id: 'tiny' } }],
      parameters: { operation: 'get', imageId: '={{ $json.id }}' },
    });
    expect(run.output![0]![0]!.json).toMatchObject({ imageId: 'tiny', size: TINY_PNG.length, mimeType: 'image/png' });
  });

  it("runs the credential test in n8n's CredentialTestContext", async () => {
    expect((await runCredentialTest(credentials(), PROBE)).result).toEqual({
      status: 'OK',
      message: 'Connection successful',
    });
    expect((await runCredentialTest({ ...credentials(), apiKey: 'wrong' }, PROBE)).result).toEqual({
      status: 'Error',
      message: 'status 401',
    });
  });
});
