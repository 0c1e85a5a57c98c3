import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, jsonLines } from './cli-process.js';

/**
 * Progress is for a person at a terminal: on stderr, only when stderr is one, never with --quiet
 * or --json, and never mixed into the data on stdout. The terminal is a real pseudo-terminal,
 * made by util-linux `script` (Debian's bsdutils, on every Debian system), sized with stty.
 */
const KEY = 'sk_test_cli_tty_0123456789';
const PROJECT = 'tty';
let emulator: Emulator;
let work: string;

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  // A short model latency: the spinner turns a few times while the Generate waits.
  emulator = await createEmulator({ port: 0, apiKeys: [KEY], latencyMs: { 'google/imagen-3.0-generate-002': 400 } });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'genimix-cli-tty-'));
  emulator.requests.clear();
});
afterEach(() => rm(work, { recursive: true, force: true }));

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs `genimix args` in a pseudo-terminal of `columns` (0: one nobody sized), with `redirect`
 * (e.g. `> out.png`) applied by the shell; returns the exit code and what reached the terminal.
 */
async function inTerminal(args: string[], redirect = '', columns = 100): Promise<{ code: number; terminal: string }> {
  const command = `${[process.execPath, CLI, ...args].map(quote).join(' ')} ${redirect}`;
  const sized = columns > 0 ? `stty cols ${columns} rows 40; ${command}` : command;
  const child = spawn('script', ['-qefc', sized, '/dev/null'], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? '',
      GENIMIX_API_KEY: KEY,
      GENIMIX_PROJECT_ID: PROJECT,
      GENIMIX_BASE_URL: emulator.url,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let terminal = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (terminal += chunk));
  const [code] = (await once(child, 'close')) as [number];
  return { code, terminal };
}

describe.skipIf(!hasScript)('on a terminal (util-linux script is missing here)', () => {
  it('generate shows a spinner on stderr; the bytes on stdout are the image alone', async () => {
    const { code, terminal } = await inTerminal(['generate', 'A cat', '--id', 'tty-cat', '-o', '-'], '> cat.png');
    expect(code).toBe(0);
    expect(terminal).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Generating "tty-cat" with google\/imagen-3\.0-generate-002…/);
    expect(terminal).toMatch(
      /Generated "tty-cat" with google\/imagen-3\.0-generate-002: stdout \(image\/png, 1024×1024, /,
    );
    expect(await readFile(path.join(work, 'cat.png'))).toEqual(
      Buffer.from((await emulator.store.get(PROJECT, 'tty-cat'))!.bytes),
    );
  });

  it('a batch shows a bar with the counts, then the summary; stdout gets nothing', async () => {
    await writeFile(path.join(work, 'prompts.txt'), 'A red fox\nA blue whale\nA green frog\n');
    const { code, terminal } = await inTerminal(
      ['generate', '--from', 'prompts.txt', '--out-dir', 'out'],
      '> stdout.txt',
    );
    expect(code).toBe(0);
    expect(terminal).toMatch(/█+ 3\/3 \| generated 3, fetched 0, skipped 0, failed 0/);
    expect(terminal).toContain('Done: 3 lines: generated 3, fetched 0, skipped 0, failed 0.');
    expect(await readFile(path.join(work, 'stdout.txt'), 'utf8')).toBe('');
    expect(await readdir(path.join(work, 'out'))).toHaveLength(3);
  });

  it('--quiet and --json show no progress at all', async () => {
    const quiet = await inTerminal(['generate', 'A cat', '--id', 'tty-quiet', '-o', '-', '--quiet'], '> quiet.png');
    expect(quiet).toEqual({ code: 0, terminal: '' });
    const json = await inTerminal(['get', 'tty-quiet', '-o', 'got.png', '--json'], '> result.json');
    expect(json).toEqual({ code: 0, terminal: '' });
    expect(jsonLines(await readFile(path.join(work, 'result.json')))).toEqual([
      expect.objectContaining({ id: 'tty-quiet', file: path.join(work, 'got.png') }),
    ]);
  });

  it('-o - with stdout on the terminal is refused before anything is sent (exit 2), as curl refuses binary output', async () => {
    const { code, terminal } = await inTerminal(['generate', 'A cat', '--id', 'tty-refused', '-o', '-']);
    expect(code).toBe(2);
    expect(terminal).toContain(
      'genimix: -o - writes the image bytes to stdout, which is a terminal here: redirect it (-o - > cat.png) or pipe it into a program, or write a file with -o FILE.',
    );
    expect(emulator.requests.list()).toEqual([]);
  });

  it('a terminal that reports no width gets no progress (ora would redraw forever) and the command ends', async () => {
    const { code, terminal } = await inTerminal(
      ['generate', 'A cat', '--id', 'tty-narrow', '-o', '-'],
      '> narrow.png',
      0,
    );
    expect(code).toBe(0);
    expect(terminal).toMatch(
      /^Generated "tty-narrow" with google\/imagen-3\.0-generate-002: stdout \(image\/png, 1024×1024, [\d.]+ KB\)\r\n$/,
    );
  });
});
