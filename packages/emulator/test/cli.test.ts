import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { REALISTIC_MODELS, realisticImageSize } from '../src/index.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: build the emulator first (pnpm --filter @genimix/emulator build).`);
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Resolves with the first stdout line, or rejects when the process exits first. */
function firstLine(r: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const nl = r.stdout().indexOf('\n');
      if (nl >= 0) resolve(r.stdout().slice(0, nl));
    };
    r.child.stdout!.on('data', check);
    void r.exit.then((code) => reject(new Error(`exited with ${code}: ${r.stderr()}`)));
  });
}

describe('genimix-emulator CLI', () => {
  it('starts, says where it listens, serves a request, logs it without the key, and stops on SIGTERM', async () => {
    const r = run(['--port', '0', '--api-key', 'sk_cli_secret', '--api-key', 'another-key']);
    const line = await firstLine(r);
    expect(line).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(2 API keys; images in memory\)$/);
    expect(line).not.toContain('sk_cli_secret');
    const url = /http:\/\/\S+/.exec(line)![0].replace(/\/$/, '');

    const response = await fetch(`${url}/v1/demo/generate/hello`, {
      method: 'PUT',
      headers: { 'x-api-key': 'sk_cli_secret', 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'openai', modelId: 'dall-e-2', prompt: 'hello' }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ success: true, imageUrl: `${url}/v1/demo/image/hello` });

    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.stderr()).toMatch(/^PUT \/v1\/demo\/generate\/hello 200 \d+ms$/m);
    expect(r.stderr()).not.toContain('sk_cli_secret');
  });

  it('prints --help and --version', async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    expect(help.stdout()).toMatch(/--port/);
    expect(help.stdout()).toMatch(/--api-key/);
    expect(help.stdout()).toMatch(/--data-dir/);
    const version = run(['--version']);
    expect(await version.exit).toBe(0);
    expect(version.stdout().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits with 1 and one line when the port is in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const { port } = blocker.address() as { port: number };

    const r = run(['--port', String(port)]);
    expect(await r.exit).toBe(1);
    expect(r.stderr().trim().split('\n')).toEqual([
      `genimix-emulator: port ${port} on 127.0.0.1 is already in use; choose another with --port.`,
    ]);
    expect(r.stdout()).toBe('');
  });

  it('exits with 1 and one line when --data-dir is a file', async () => {
    const file = fileURLToPath(new URL('../package.json', import.meta.url));
    const r = run(['--port', '0', '--data-dir', file]);
    expect(await r.exit).toBe(1);
    expect(r.stdout()).toBe('');
    expect(r.stderr().trim().split('\n')).toEqual([
      `genimix-emulator: --data-dir ${file} is a file, not a folder: name a folder (it is created if missing).`,
    ]);
  });

  // A recursive mkdir under /proc never returns: the emulator used to spin there without a word.
  it.runIf(process.platform === 'linux').each([
    ['/proc/genimix-data', '/proc'],
    ['/sys/genimix/data', '/sys'],
    ['/dev/genimix', '/dev'],
    ['a symbolic link to /proc', '/proc'],
  ])('exits with 1 and one line when --data-dir is %s', async (dir, root) => {
    let dataDir = dir;
    if (dir.startsWith('a symbolic link')) {
      const parent = await mkdtemp(path.join(os.tmpdir(), 'genimix-emulator-link-'));
      onTestFinished(() => rm(parent, { recursive: true, force: true }));
      await symlink('/proc', path.join(parent, 'proc'));
      dataDir = path.join(parent, 'proc', 'data');
    }
    const r = run(['--port', '0', '--data-dir', dataDir]);
    expect(await r.exit).toBe(1);
    expect(r.stdout()).toBe('');
    expect(r.stderr().trim().split('\n')).toEqual([
      `genimix-emulator: the data folder ${dataDir} is on the kernel's ${root} file system, where no file can be kept: name a folder on a disk.`,
    ]);
  });
});

describe('genimix-emulator CLI: profiles and latency', () => {
  it("--profile realistic --latency-scale 0.01: says so, and generates the model's size as a 1–4 MB PNG", async () => {
    const r = run([
      '--port',
      '0',
      '--profile',
      'realistic',
      '--latency-scale',
      '0.01',
      '--latency',
      'openai/dall-e-2=500',
    ]);
    const line = await firstLine(r);
    expect(line).toMatch(
      /\(1 API key; images in memory; realistic profile, latencies ×0\.01, openai\/dall-e-2 500 ms\)$/,
    );
    const url = /http:\/\/\S+/.exec(line)![0];
    const headers = { 'x-api-key': 'dev-key', 'Content-Type': 'application/json' };
    const input = { provider: 'openai', modelId: 'dall-e-3', prompt: 'A harbour at dawn' };

    const response = await fetch(`${url}/v1/demo/generate/harbour`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(input),
    });
    expect(response.status).toBe(200);
    const image = Buffer.from(await (await fetch(`${url}/v1/demo/image/harbour`, { headers })).arrayBuffer());
    expect(await sharp(image).metadata()).toMatchObject({ format: 'png', ...realisticImageSize(input) });
    expect(image.length).toBeGreaterThan(1_000_000);
    expect(image.length).toBeLessThan(4_000_000);

    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
    expect(r.stderr()).toMatch(/^PUT \/v1\/demo\/generate\/harbour 200 \d+ms$/m);
  });

  it("--help lists the options and the profiles with each model's sizes and latency", async () => {
    const help = run(['--help']);
    expect(await help.exit).toBe(0);
    for (const option of [
      '--profile <name>',
      '--latency-scale <factor>',
      '--latency <model=ms>',
      'placeholder',
      'realistic',
    ])
      expect(help.stdout()).toContain(option);
    for (const m of REALISTIC_MODELS) {
      expect(help.stdout()).toMatch(
        new RegExp(`${m.provider}/${m.modelId} +${m.latencyMs / 1000} s  ${m.sizes[0]!.width}×${m.sizes[0]!.height}`),
      );
    }
  });

  const refused: Array<[string[], RegExp]> = [
    [
      ['--latency-scale', '-1'],
      /option '--latency-scale <factor>' argument '-1' is invalid\. --latency-scale must be a number ≥ 0/,
    ],
    [['--latency-scale', 'fast'], /--latency-scale must be a number ≥ 0.*got "fast"/],
    [
      ['--profile', 'fancy'],
      /option '--profile <name>' argument 'fancy' is invalid\. Allowed choices are placeholder, realistic\./,
    ],
    [
      ['--latency', 'dall-e-3=5'],
      /option '--latency <model=ms>' argument 'dall-e-3=5' is invalid\. --latency "dall-e-3=5": "dall-e-3" is not of the form <provider>\/<modelId>/,
    ],
    [['--latency', 'openai/dall-e-3'], /--latency "openai\/dall-e-3": expected <provider>\/<modelId>=<ms>/],
    [
      ['--latency', 'openai/dall-e-3=soon'],
      /--latency "openai\/dall-e-3=soon": the latency must be a whole number of ms/,
    ],
    [
      ['--profile', 'realistic', '--latency-scale', '1e9'],
      /^genimix-emulator: --latency-scale 1000000000 makes the latency of google\/imagen-3\.0-generate-002 12000000000000 ms/,
    ],
  ];
  for (const [args, message] of refused) {
    it(`refuses ${args.join(' ')} with exit code 1 and a message naming the option`, async () => {
      const r = run(['--port', '0', ...args]);
      expect(await r.exit).toBe(1);
      expect(r.stdout()).toBe('');
      expect(r.stderr()).toMatch(message);
    });
  }
});
