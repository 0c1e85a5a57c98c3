import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function run(args: string[]): Run {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the emulator first (pnpm --filter @genimix/emulator build).`);
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
    expect(r.stderr().trim().split('\n')).toEqual([`genimix-emulator: port ${port} on 127.0.0.1 is already in use; choose another with --port.`]);
    expect(r.stdout()).toBe('');
  });

  it('exits with 1 and one line when --data-dir is a file', async () => {
    const file = fileURLToPath(new URL('../package.json', import.meta.url));
    const r = run(['--port', '0', '--data-dir', file]);
    expect(await r.exit).toBe(1);
    expect(r.stdout()).toBe('');
    expect(r.stderr().trim().split('\n')).toEqual([`genimix-emulator: --data-dir ${file} is a file, not a folder: name a folder (it is created if missing).`]);
  });
});
