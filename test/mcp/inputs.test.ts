import path from 'node:path';
import type { Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPLOAD_FOLDERS_SETTING } from '../../mcp-server/src/config.js';
import { textOf } from '../../scripts/mcp-client.js';
import { TINY_PNG } from '../helpers/images.js';
import { type McpConnection, type McpFixture, startMcpFixture } from '../helpers/mcp-fixture.js';

let fx: McpFixture;
let emulator: Emulator;
let server: McpConnection;

beforeAll(async () => {
  // Started in a filesystem root with no GENIMIX_ALLOWED_DIRS, as Claude Desktop starts servers: no folder may be read.
  fx = await startMcpFixture('inputs', { env: { GENIMIX_ALLOWED_DIRS: '' }, cwd: '/' });
  ({ emulator, server } = fx);
});
afterAll(() => fx?.close());

describe('unknown arguments fail the call, naming them, and nothing is sent', () => {
  it.each([
    ['generate_image', { prompt: 'A cat', size: '1024x1024' }, ['size']],
    ['generate_image', { prompt: 'A cat', n: 4, negative_prompt: 'dogs' }, ['n', 'negative_prompt']],
    ['get_image', { imageId: 'x', width: 512 }, ['width']],
    ['upload_image', { data: TINY_PNG.toString('base64'), overwrite: false }, ['overwrite']],
    ['delete_image', { imageId: 'x', force: true }, ['force']],
    ['list_models', { provider: 'google' }, ['provider']],
  ])('%s with %j', async (tool, args, unknown) => {
    emulator.requests.clear();
    const result = await server.call(tool, args);
    expect(result.isError).toBe(true);
    for (const name of unknown) expect(textOf(result)).toContain(`"${name}"`);
    expect(textOf(result)).toMatch(tool === 'list_models' ? /takes no arguments/ : /takes only \w/);
    expect(textOf(result)).toMatch(/Nothing was sent/);
    expect(emulator.requests.list()).toHaveLength(0);
  });
});

describe('error texts never echo a long input', () => {
  const long = 'x'.repeat(100_000);
  it.each([
    ['generate_image', { prompt: long }],
    ['generate_image', { prompt: 'A cat', modelId: long, provider: 'google' }],
    ['generate_image', { prompt: 'A cat', imageId: long }],
    ['get_image', { imageId: long }],
    ['upload_image', { path: `/tmp/${long}` }],
    ['upload_image', { data: `data:image/png,${long}` }],
    ['upload_image', { data: `data:image/${long};base64,iVBORw0KGgo=` }],
    [
      'upload_image',
      {
        data: 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
        contentType: long,
      },
    ],
    ['upload_image', { data: `data:image/${long};base64,iVBORw0KGgo=`, contentType: long }],
    ['generate_image', { prompt: 'A cat', [long]: 1 }],
  ])('%s with a 100,000-character value', async (tool, args) => {
    const result = await server.call(tool, args);
    expect(result.isError).toBe(true);
    expect(textOf(result).length).toBeLessThan(1000);
  });
});

describe('with no allowed folder', () => {
  it('upload_image says in words that no local file may be read', async () => {
    const { tools } = await server.client.listTools();
    const upload = tools.find((t) => t.name === 'upload_image')!;
    expect(upload.description).toMatch(/may read none/);
    expect(upload.description).not.toMatch(/inside \)|inside \.|inside ,/);
    const result = await server.call('upload_image', { path: path.join(fx.workDir, 'a.png') });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(UPLOAD_FOLDERS_SETTING);
    expect(upload.description).toContain(UPLOAD_FOLDERS_SETTING);
    expect(textOf(result)).not.toMatch(/\(\)|inside \)|folders: \)/);
  });
});
