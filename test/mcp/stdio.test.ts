import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_BIN } from '../../scripts/mcp-client.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: ['stdio-key'] });
});
afterAll(() => emulator.close());

function spawnServer(env: Record<string, string>) {
  return spawn(process.execPath, [SERVER_BIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Runs the bin to its end: exit code, stdout, stderr. */
async function runToEnd(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

describe('the command line', () => {
  it('--help prints usage with every environment variable and exits 0, with no key set', async () => {
    const { code, stdout, stderr } = await runToEnd(['--help'], {});
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: genimix-mcp/);
    for (const name of [
      'GENIMIX_API_KEY',
      'GENIMIX_PROJECT_ID',
      'GENIMIX_BASE_URL',
      'GENIMIX_OUTPUT_DIR',
      'GENIMIX_ALLOWED_DIRS',
      'GENIMIX_PREVIEW_MAX_BYTES',
      'GENIMIX_MAX_WAIT_MS',
      'GENIMIX_PROGRESS_INTERVAL_MS',
      'GENIMIX_LOG',
    ]) {
      expect(stdout).toContain(name);
    }
  });

  it('--version prints the version and exits 0, with no key set', async () => {
    const { version } = (await import('@genimix/mcp-server/package.json', { with: { type: 'json' } })).default;
    const { code, stdout } = await runToEnd(['--version'], {});
    expect(code).toBe(0);
    expect(stdout).toBe(`${version}\n`);
  });

  it('an unknown flag exits 2 with a pointer to --help, and nothing on stdout', async () => {
    const { code, stdout, stderr } = await runToEnd(['--port', '3000'], {});
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/--help/);
  });

  it.each([
    ['under /proc', '/proc/genimix-out'],
    ['under /sys', '/sys/genimix-out'],
    ['a file in its place', '/etc/hostname'],
    ['inside a file', '/etc/hostname/out'],
  ])('an output folder %s fails at once with a message naming GENIMIX_OUTPUT_DIR', async (_kind, dir) => {
    const { code, stdout, stderr } = await runToEnd([], {
      GENIMIX_API_KEY: 'stdio-key',
      GENIMIX_PROJECT_ID: 'p',
      GENIMIX_BASE_URL: emulator.url,
      GENIMIX_OUTPUT_DIR: dir,
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('GENIMIX_OUTPUT_DIR');
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('the genimix-mcp process', () => {
  it('exits when the host closes stdin, even with a generation still running at Genimix', async () => {
    const slow = await createEmulator({
      port: 0,
      apiKeys: ['stdio-key'],
      profile: 'realistic',
      latencyMs: { 'openai/dall-e-3': 600_000 },
    });
    try {
      const child = spawnServer({
        GENIMIX_API_KEY: 'stdio-key',
        GENIMIX_PROJECT_ID: 'p',
        GENIMIX_BASE_URL: slow.url,
        GENIMIX_MAX_WAIT_MS: '200',
      });
      const lines = createInterface({ input: child.stdout });
      const answers: Array<{ id?: number; result?: { structuredContent?: { status?: string } } }> = [];
      const answered = (id: number) =>
        new Promise<void>((resolve) => {
          const onLine = (line: string) => {
            answers.push(JSON.parse(line));
            if (answers.at(-1)!.id === id) {
              lines.off('line', onLine);
              resolve();
            }
          };
          lines.on('line', onLine);
        });
      const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      });
      await answered(1);
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'generate_image', arguments: { prompt: 'slow', modelId: 'dall-e-3' } },
      });
      await answered(2);
      expect(answers.at(-1)!.result?.structuredContent?.status).toBe('pending');
      const closed = once(child, 'close');
      child.stdin.end();
      const [code] = (await closed) as [number];
      expect(code).toBe(0);
    } finally {
      await slow.close();
    }
  });

  it.each([
    ['GENIMIX_API_KEY', { GENIMIX_PROJECT_ID: 'p' }],
    ['GENIMIX_PROJECT_ID', { GENIMIX_API_KEY: 'k' }],
    ['GENIMIX_BASE_URL', { GENIMIX_API_KEY: 'k', GENIMIX_PROJECT_ID: 'p', GENIMIX_BASE_URL: 'not a url' }],
    ['GENIMIX_API_KEY', { GENIMIX_API_KEY: 'dev key', GENIMIX_PROJECT_ID: 'p' }],
    ['GENIMIX_API_KEY', { GENIMIX_API_KEY: 'kéy', GENIMIX_PROJECT_ID: 'p' }],
    ['GENIMIX_PROJECT_ID', { GENIMIX_API_KEY: 'k', GENIMIX_PROJECT_ID: '../p' }],
    [
      'GENIMIX_BASE_URL',
      {
        GENIMIX_API_KEY: 'sk_gateway_key_123',
        GENIMIX_PROJECT_ID: 'p',
        GENIMIX_BASE_URL: 'https://gw.example/sk_gateway_key_123/genimix',
      },
    ],
    [
      'GENIMIX_PREVIEW_MAX_BYTES',
      { GENIMIX_API_KEY: 'k', GENIMIX_PROJECT_ID: 'p', GENIMIX_PREVIEW_MAX_BYTES: '2000000' },
    ],
    ['GENIMIX_MAX_WAIT_MS', { GENIMIX_API_KEY: 'k', GENIMIX_PROJECT_ID: 'p', GENIMIX_MAX_WAIT_MS: 'soon' }],
    // The two settings swapped: the key would go into every URL and message as the project.
    ['GENIMIX_PROJECT_ID', { GENIMIX_API_KEY: 'sk_gateway_key_123', GENIMIX_PROJECT_ID: 'sk_gateway_key_123' }],
    // ... or pasted with its quotes, or after a project id: the id check quoted it, key and all.
    ['GENIMIX_PROJECT_ID', { GENIMIX_API_KEY: 'sk_gateway_key_123', GENIMIX_PROJECT_ID: '"sk_gateway_key_123"' }],
    ['GENIMIX_PROJECT_ID', { GENIMIX_API_KEY: 'sk_gateway_key_123', GENIMIX_PROJECT_ID: 'p-sk_gateway_key_123' }],
  ])('without a valid %s exits 1 with one line on stderr and nothing on stdout', async (variable, env) => {
    const child = spawnServer(env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const [code] = (await once(child, 'close')) as [number];
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toContain(variable);
    expect(stderr).not.toContain('sk_gateway_key_123');
  });

  it('writes nothing but JSON-RPC to stdout, also for failing calls', async () => {
    const child = spawnServer({
      GENIMIX_API_KEY: 'stdio-key',
      GENIMIX_PROJECT_ID: 'p',
      GENIMIX_BASE_URL: emulator.url,
    });
    const lines = createInterface({ input: child.stdout });
    const received: unknown[] = [];
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    const waitFor = (id: number) =>
      new Promise<void>((resolve) => {
        const onLine = (line: string) => {
          received.push(JSON.parse(line));
          if ((received.at(-1) as { id?: number }).id === id) {
            lines.off('line', onLine);
            resolve();
          }
        };
        lines.on('line', onLine);
      });
    let raw = '';
    child.stdout.on('data', (c: Buffer) => (raw += c.toString()));

    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    await waitFor(1);
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'get_image', arguments: { imageId: 'missing' } },
    });
    await waitFor(2);
    send({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'generate_image', arguments: { prompt: 17 } },
    });
    await waitFor(3);
    send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'no_such_tool', arguments: {} } });
    await waitFor(4);
    child.stdin.end();
    await once(child, 'close');

    for (const line of raw.split('\n').filter(Boolean)) {
      expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    }
    expect(received.find((m) => (m as { id?: number }).id === 2)).toMatchObject({ result: { isError: true } });
    expect(received.find((m) => (m as { id?: number }).id === 3)).toMatchObject({ result: { isError: true } });
  });
});
