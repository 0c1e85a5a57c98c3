import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { watch } from 'node:fs';
import { lstat, mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MAX_IMAGE_BYTES, MODELS } from '@genimix/core';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PHOTO_HEIGHT, PHOTO_PATH, PHOTO_WIDTH, readPhoto } from '../helpers/images.js';
import { startScriptedServer } from '../helpers/scripted-server.js';
import { echoedForms, leakedForm } from '../helpers/secret-forms.js';
import { CLI, type CliOptions, jsonLines, runCli, startCli } from './cli-process.js';

/**
 * Every command of the built `genimix`, against the emulator: what lands on stdout (results
 * only) and stderr (everything else), the exit codes (0, 1 for Genimix and the network, 2 for
 * usage and input with nothing sent), and the key in none of it.
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const KEY = 'sk_test_cli+secret/echo=42~x';
const SCOPED_KEY = 'sk_test_cli_scoped_0123456789';
const PROJECT = 'cli';
let emulator: Emulator;
let work: string;

beforeAll(async () => {
  emulator = await createEmulator({ port: 0, apiKeys: { [KEY]: [PROJECT, 'other'], [SCOPED_KEY]: ['other'] } });
});
afterAll(() => emulator.close());
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'genimix-cli-'));
  emulator.requests.clear();
  emulator.faults.clear();
});
afterEach(() => rm(work, { recursive: true, force: true }));

const env = (overrides: Record<string, string> = {}) => ({
  GENIMIX_API_KEY: KEY,
  GENIMIX_PROJECT_ID: PROJECT,
  GENIMIX_BASE_URL: emulator.url,
  ...overrides,
});
const genimix = (args: string[], options: CliOptions = {}) =>
  runCli(args, { cwd: work, ...options, env: options.env ?? env() });
const routes = () => emulator.requests.list().map((r) => `${r.route} ${r.status}`);
const stored = async (id: string, project = PROJECT) => Buffer.from((await emulator.store.get(project, id))!.bytes);
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function expectNoKey(...texts: Array<string | Buffer>): void {
  for (const text of texts) expect(leakedForm(text.toString('latin1'), KEY)).toBeUndefined();
}

describe('--help and --version', () => {
  it.each([[[]], [['generate']], [['get']], [['upload']], [['delete']], [['models']]])(
    'genimix %s --help: usage with examples on stdout, exit 0, with no setting at all',
    async (command) => {
      const { code, stdout, stderr } = await runCli([...command, '--help'], { cwd: os.tmpdir() });
      expect(code).toBe(0);
      expect(stderr).toBe('');
      expect(stdout.toString()).toMatch(new RegExp(`^Usage: genimix ${command.join(' ')}`.trim()));
      expect(stdout.toString()).toMatch(/\nExamples:\n( {2}.*\n)* {2}genimix /);
    },
  );

  it('the main help lists the variables, the exit codes and the --json error shape', async () => {
    const help = (await runCli(['--help'])).stdout.toString();
    for (const text of [
      'GENIMIX_API_KEY',
      'GENIMIX_PROJECT_ID',
      'GENIMIX_BASE_URL',
      '--json',
      '--timeout',
      '--quiet',
    ]) {
      expect(help).toContain(text);
    }
    expect(help).toMatch(
      /Exit codes:\n\s+0\s+success\n\s+1\s+Genimix or the network failed[\s\S]*\n\s+2\s+bad usage or input[\s\S]*\n\s+130\s+interrupted/,
    );
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(await readFile(path.join(HERE, '../../packages/cli/package.json'), 'utf8'));
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.toString()).toBe(`${version}\n`);
  });

  it('genimix alone prints the help on stderr and exits 2', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout.length).toBe(0);
    expect(stderr).toMatch(/^Usage: genimix/);
  });
});

describe('generate', () => {
  it('generates, downloads and writes the image: one line on stdout, nothing on stderr, one Generate', async () => {
    const { code, stdout, stderr } = await genimix([
      'generate',
      'A red fox in the snow',
      '--id',
      'fox',
      '-o',
      'fox.png',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const file = path.join(work, 'fox.png');
    expect(stdout.toString()).toBe(
      `Generated "fox" with google/imagen-3.0-generate-002: ${file} (image/png, 1024×1024, ${((await stored('fox')).length / 1000).toFixed(1)} KB)\n`,
    );
    expect(await readFile(file)).toEqual(await stored('fox'));
    expect(routes()).toEqual(['generate 200', 'get 200']);
    // Written whole through a temporary file, which is gone.
    expect(await readdir(work)).toEqual(['fox.png']);
  });

  it('--json: one object with id, project, model, file, bytes, contentType, size and imageUrl; a new id when none is given', async () => {
    const { code, stdout, stderr } = await genimix([
      'generate',
      'A lighthouse',
      '--model',
      'openai/dall-e-2',
      '--json',
    ]);
    expect([code, stderr]).toEqual([0, '']);
    const [result, ...more] = jsonLines(stdout);
    expect(more).toEqual([]);
    expect(result.id).toMatch(/^img-[0-9a-f-]{36}$/);
    const bytes = await stored(result.id);
    expect(result).toEqual({
      id: result.id,
      project: PROJECT,
      model: 'openai/dall-e-2',
      file: path.join(work, `${result.id}.png`),
      bytes: bytes.length,
      contentType: 'image/png',
      width: 1024,
      height: 1024,
      imageUrl: `${emulator.url}/v1/${PROJECT}/image/${result.id}`,
    });
    expect(await readFile(result.file)).toEqual(bytes);
  });

  it('-o - writes the bytes alone to stdout, the result line to stderr (none with --quiet; JSON there with --json)', async () => {
    const plain = await genimix(['generate', 'A kite', '--id', 'kite', '-o', '-']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toEqual(await stored('kite'));
    expect(plain.stderr).toMatch(
      /^Generated "kite" with google\/imagen-3.0-generate-002: stdout \(image\/png, 1024×1024, /,
    );

    const quiet = await genimix(['generate', 'A kite', '--id', 'kite-quiet', '-o', '-', '--quiet']);
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
    expect(quiet.stdout.subarray(0, 8)).toEqual(PNG_SIGNATURE);

    const json = await genimix(['generate', 'A kite', '--id', 'kite-json', '-o', '-', '--json']);
    expect(json.code).toBe(0);
    expect(json.stdout).toEqual(await stored('kite-json'));
    expect(jsonLines(json.stderr)).toEqual([
      expect.objectContaining({ id: 'kite-json', file: '-', bytes: json.stdout.length }),
    ]);
  });

  it('-o naming a folder writes <id>.png into it; a folder that does not exist is refused before the Generate', async () => {
    await mkdir(path.join(work, 'images'));
    const ok = await genimix(['generate', 'A boat', '--id', 'boat', '-o', 'images']);
    expect(ok.code).toBe(0);
    expect(await readFile(path.join(work, 'images', 'boat.png'))).toEqual(await stored('boat'));

    emulator.requests.clear();
    const missing = await genimix(['generate', 'A boat', '--id', 'boat2', '-o', 'nowhere/boat.png']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^genimix: The folder \S+nowhere does not exist: create it, or name another with -o\.\n$/,
    );
    expect(routes()).toEqual([]);
  });

  it('-o naming a file the file system cannot hold (a name too long) is refused before the Generate', async () => {
    // 245 characters fit a file system's 255, but not with the temporary file's 22 more.
    for (const name of [`${'a'.repeat(241)}.png`, `${'b'.repeat(300)}.png`]) {
      const { code, stderr } = await genimix(['generate', 'A boat', '--id', 'long', '-o', name]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^genimix: -o .*cannot be written \(ENAMETOOLONG\): .*shorter name/);
    }
    expect(routes()).toEqual([]);
    expect(await readdir(work)).toEqual([]);
  });

  it('-o naming a symbolic link writes the file it points to, the link kept, as cp and curl do', async () => {
    await mkdir(path.join(work, 'library'));
    await writeFile(path.join(work, 'library', 'boat.png'), 'old');
    await symlink(path.join('library', 'boat.png'), path.join(work, 'boat.png'));
    await symlink(path.join('library', 'new.png'), path.join(work, 'new.png'));
    for (const [output, real] of [
      ['boat.png', 'boat.png'],
      ['new.png', 'new.png'],
    ]) {
      const { code } = await genimix(['generate', 'A boat', '--id', `link-${real}`, '-o', output!]);
      expect(code).toBe(0);
      expect((await lstat(path.join(work, output!))).isSymbolicLink()).toBe(true);
      expect(await readFile(path.join(work, 'library', real!))).toEqual(await stored(`link-${real}`));
    }
    expect((await readdir(path.join(work, 'library'))).sort()).toEqual(['boat.png', 'new.png']);
  });

  it('-o ending in / names a folder: one that does not exist, or a file, is refused before the Generate, the file kept', async () => {
    await writeFile(path.join(work, 'keep.png'), 'precious');
    for (const output of ['newdir/', 'keep.png/', `newdir${path.sep}`]) {
      const refused = await genimix(['generate', 'A boat', '--id', 'boat3', '-o', output]);
      expect([output, refused.code]).toEqual([output, 2]);
      expect(refused.stderr).toMatch(/-o/);
    }
    expect(routes()).toEqual([]);
    expect(await readdir(work)).toEqual(['keep.png']);
    expect(await readFile(path.join(work, 'keep.png'), 'utf8')).toBe('precious');
  });

  it('a Generate that failed as it may have been billed says so and how to fetch the image (exit 1)', async () => {
    emulator.faults.add({ kind: 'drop', when: 'after-processing', route: 'generate' });
    const { code, stdout, stderr } = await genimix(['generate', 'A cat', '--id', 'maybe', '-o', 'cat.png']);
    expect(code).toBe(1);
    expect(stdout.length).toBe(0);
    expect(stderr).toMatch(
      /^genimix: PUT \S+ failed: no response \(UND_ERR_SOCKET\)\. The image may have been generated and billed all the same: run genimix get maybe -o FILE before generating it again\.\n$/,
    );
    // It was: and the Get it names fetches it without another Generate.
    const fetched = await genimix(['get', 'maybe', '-o', 'cat.png']);
    expect(fetched.code).toBe(0);
    expect(routes().filter((r) => r.startsWith('generate'))).toEqual(['generate dropped']);
  });
});

describe('get', () => {
  // Stored with one plain HTTP request: what is tested is the Get.
  beforeEach(async () => {
    const put = await fetch(`${emulator.url}/v1/${PROJECT}/image/hill`, {
      method: 'PUT',
      headers: { 'x-api-key': KEY, 'content-type': 'image/jpeg' },
      body: await readPhoto(),
    });
    expect(put.status).toBe(200);
    emulator.requests.clear();
  });

  it('writes <id>.<ext> here by default, or -o FILE as named; --json gives the record; one free Get each', async () => {
    const plain = await genimix(['get', 'hill']);
    expect([plain.code, plain.stderr]).toEqual([0, '']);
    expect(plain.stdout.toString()).toMatch(/^Saved "hill" to \S+hill\.jpg \(image\/jpeg, 720×477, [\d.]+ KB\)\n$/);
    expect(await readFile(path.join(work, 'hill.jpg'))).toEqual(await stored('hill'));

    const json = await genimix(['get', 'hill', '-o', 'copy.png', '--json']);
    expect(jsonLines(json.stdout)).toEqual([
      {
        id: 'hill',
        project: PROJECT,
        file: path.join(work, 'copy.png'),
        bytes: (await stored('hill')).length,
        contentType: 'image/jpeg',
        width: PHOTO_WIDTH,
        height: PHOTO_HEIGHT,
        imageUrl: `${emulator.url}/v1/${PROJECT}/image/hill`,
      },
    ]);
    expect(routes()).toEqual(['get 200', 'get 200']);
  });

  it('-o - streams the bytes to stdout', async () => {
    const { code, stdout } = await genimix(['get', 'hill', '-o', '-', '--quiet']);
    expect(code).toBe(0);
    expect(stdout).toEqual(await stored('hill'));
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s mid-download (Ctrl-C, kill, the terminal closed) leaves no partial file, exit %i',
    async (signal, exitCode) => {
      emulator.faults.add({ kind: 'slow-body', chunkBytes: 1024, delayMs: 50, route: 'get' });
      // Bytes written to the temporary file are the sign the download is under way (the file is
      // created once before, empty, to check that -o can be written).
      const watcher = watch(work);
      const started = new Promise<void>((resolve) =>
        watcher.on('change', (event, name) => event === 'change' && String(name).endsWith('.partial') && resolve()),
      );
      try {
        const download = startCli(['get', 'hill', '-o', 'hill.jpg'], { cwd: work, env: env() });
        await started;
        download.child.kill(signal);
        const { code, stderr } = await download.done;
        expect([code, stderr]).toEqual([exitCode, `genimix: Interrupted (${signal}).\n`]);
      } finally {
        watcher.close();
      }
      expect(await readdir(work)).toEqual([]);
    },
  );

  it('a missing image: exit 1, the fix on stderr, nothing on stdout; --json puts one error object on stderr', async () => {
    const plain = await genimix(['get', 'nope']);
    expect(plain.code).toBe(1);
    expect(plain.stdout.length).toBe(0);
    expect(plain.stderr).toMatch(
      /^genimix: get image "nope" failed: 404 Not Found: .*Check the id and the project \(project "cli"; --project or GENIMIX_PROJECT_ID\)\.\n$/,
    );
    const json = await genimix(['get', 'nope', '--json']);
    expect(json.code).toBe(1);
    expect(json.stdout.length).toBe(0);
    expect(jsonLines(json.stderr)).toEqual([
      {
        error: {
          name: 'GenimixNotFoundError',
          message: expect.stringContaining('get image "nope" failed: 404'),
          exitCode: 1,
          status: 404,
          requestId: expect.any(String),
        },
      },
    ]);
    expect(await readdir(work)).toEqual([]);
  });

  it('--project reads another project', async () => {
    const { code, stderr } = await genimix(['get', 'hill', '--project', 'other']);
    expect(code).toBe(1);
    expect(stderr).toContain('project "other"');
  });
});

describe('upload', () => {
  it('streams a file and prints the record: type and size sniffed from the bytes', async () => {
    const { code, stdout, stderr } = await genimix(['upload', PHOTO_PATH, '--id', 'photo', '--json']);
    expect([code, stderr]).toEqual([0, '']);
    const photo = await readPhoto();
    expect(jsonLines(stdout)).toEqual([
      {
        id: 'photo',
        project: PROJECT,
        file: PHOTO_PATH,
        bytes: photo.length,
        contentType: 'image/jpeg',
        width: PHOTO_WIDTH,
        height: PHOTO_HEIGHT,
        imageUrl: `${emulator.url}/v1/${PROJECT}/image/photo`,
      },
    ]);
    expect(await stored('photo')).toEqual(photo);
  });

  it('- reads the image from stdin; without --id it gets a new id', async () => {
    const photo = await readPhoto();
    const { code, stdout } = await genimix(['upload', '-'], { stdin: photo });
    expect(code).toBe(0);
    const [, id] = /^Uploaded stdin as "(img-[0-9a-f-]{36})" \(image\/jpeg, 720×477, [\d.]+ KB\): http:\S+\n$/.exec(
      stdout.toString(),
    )!;
    expect(await stored(id!)).toEqual(photo);
  });

  it('a file that is no image, or none at all, is refused before sending (exit 2, naming the file)', async () => {
    const text = await genimix(['upload', path.join(HERE, 'commands.test.ts')]);
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/^genimix: \S+commands\.test\.ts is not a PNG, JPEG, WebP or GIF image/);
    const missing = await genimix(['upload', 'missing.png']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^genimix: missing\.png cannot be read \(ENOENT\): give the path of an existing image file\.\n$/,
    );
    expect(routes()).toEqual([]);
  });
});

describe('delete', () => {
  it('deletes an image; a second delete finds none (exit 1)', async () => {
    await genimix(['upload', PHOTO_PATH, '--id', 'gone']);
    const first = await genimix(['delete', 'gone', '--json']);
    expect([first.code, first.stderr]).toEqual([0, '']);
    expect(jsonLines(first.stdout)).toEqual([{ id: 'gone', project: PROJECT, deleted: true }]);
    expect(await emulator.store.has(PROJECT, 'gone')).toBe(false);
    const second = await genimix(['delete', 'gone']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/^genimix: delete image "gone" failed: 404 Not Found/);
  });
});

describe('models', () => {
  it('lists the catalog with no key and no request; --json one object per model', async () => {
    const text = await runCli(['models'], { cwd: work });
    expect([text.code, text.stderr]).toEqual([0, '']);
    const lines = text.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(MODELS.length);
    expect(lines[0]).toMatch(/^google\/imagen-3\.0-generate-002\s+Imagen 3\.0\s+6 tokens\s+default$/);
    expect(lines.at(-1)).toMatch(/coming soon$/);
    const json = jsonLines((await runCli(['models', '--json'])).stdout);
    expect(json.map((m) => m.model)).toEqual(MODELS.map((m) => `${m.provider}/${m.modelId}`));
    expect(json[2]).toEqual({
      model: 'openai/dall-e-3',
      provider: 'openai',
      modelId: 'dall-e-3',
      name: 'DALL·E 3',
      costTokens: 16,
      available: true,
      default: false,
    });
    expect(routes()).toEqual([]);
  });
});

describe('stdout that cannot take the results', () => {
  /** Runs genimix with stdout on /dev/full, where every write fails with ENOSPC. */
  async function toFullDevice(args: string[], stdin = ''): Promise<{ code: number | null; stderr: string }> {
    const full = await open('/dev/full', 'w');
    try {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: work,
        env: { PATH: process.env.PATH ?? '', ...env() },
        stdio: ['pipe', full.fd, 'pipe'],
      });
      child.stdin?.end(stdin);
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const [code] = await once(child, 'close');
      return { code: code as number | null, stderr };
    } finally {
      await full.close();
    }
  }

  it('a full disk or a broken device is a failure (exit 1, said on stderr), not a success with the results lost', async () => {
    const put = await genimix(['upload', PHOTO_PATH, '--id', 'full']);
    expect(put.code).toBe(0);
    const runs: Array<[string[], string]> = [
      [['models'], ''],
      [['get', 'full', '-o', 'full.jpg', '--json'], ''],
      [['generate', '--from', '-', '--out-dir', 'out', '--json'], 'A cat\n'],
    ];
    for (const [args, stdin] of runs) {
      const { code, stderr } = await toFullDevice(args, stdin);
      expect([args, code]).toEqual([args, 1]);
      expect(stderr).toMatch(/stdout.*ENOSPC/);
      if (args.includes('--json')) expect(() => jsonLines(stderr)).not.toThrow();
    }
  });
});

describe('bad usage and input: exit 2, the setting to fix named, nothing sent', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['no key', ['get', 'x'], { GENIMIX_API_KEY: '' }, /GENIMIX_API_KEY is not set: export it/],
    ['no project', ['get', 'x'], { GENIMIX_PROJECT_ID: '' }, /No project: pass --project ID or set GENIMIX_PROJECT_ID/],
    ['a bad --project', ['get', 'x', '--project', 'a b'], {}, /--project "a b" contains " "/],
    ['a bad GENIMIX_BASE_URL', ['get', 'x'], { GENIMIX_BASE_URL: 'ftp://example.com' }, /GENIMIX_BASE_URL uses ftp:/],
    [
      'a --base-url with the key',
      ['get', 'x', '--base-url', `http://127.0.0.1:9/${KEY}`],
      {},
      /--base-url contains the API key/,
    ],
    // The two variables swapped: the key must not go into URLs and messages as a project id.
    [
      'the key as GENIMIX_PROJECT_ID',
      ['get', 'x'],
      { GENIMIX_PROJECT_ID: KEY },
      /GENIMIX_PROJECT_ID holds the API key/,
    ],
    ['the key as --project', ['get', 'x', '--project', `${KEY}`], {}, /--project holds the API key/],
    // Pasted with more around it: the id check quoted the whole value, the key with it.
    ...[`"${KEY}"`, `'${KEY}';`, `my-project ${KEY}`].map(
      (projectId): [string, string[], Record<string, string>, RegExp] => [
        `the key inside GENIMIX_PROJECT_ID (${projectId.replace(KEY, 'KEY')})`,
        ['get', 'x'],
        { GENIMIX_PROJECT_ID: projectId },
        /GENIMIX_PROJECT_ID holds the API key/,
      ],
    ),
    [
      'the key in another case',
      ['get', 'x'],
      { GENIMIX_API_KEY: 'sk_test_fake_case_key_0123', GENIMIX_PROJECT_ID: 'SK_TEST_FAKE_CASE_KEY_0123' },
      /GENIMIX_PROJECT_ID holds the API key/,
    ],
    ['a bad --id', ['generate', 'A cat', '--id', 'a/b'], {}, /--id "a\/b" contains "\/"/],
    ['a bad image id', ['get', '..'], {}, /ID "\.\." is not allowed/],
    ['an empty prompt', ['generate', '  \u200b '], {}, /PROMPT is empty: describe the image to generate/],
    [
      'a prompt over 4,000 characters',
      ['generate', 'x'.repeat(4001)],
      {},
      /PROMPT is 4001 characters long; shorten it/,
    ],
    [
      'a bad --model',
      ['generate', 'A cat', '--model', 'imagen'],
      {},
      /--model must be provider\/modelId, such as google\/imagen-3\.0-generate-002/,
    ],
    ['a bad --timeout', ['get', 'x', '--timeout', '0'], {}, /argument '0' is invalid\. Use a number of seconds/],
    ['an unknown option', ['get', 'x', '--nope'], {}, /Unknown option '--nope'\. Run genimix get --help for usage\./],
    [
      'an unknown command',
      ['generat', 'x'],
      {},
      /Unknown command 'generat' \(Did you mean generate\?\)\. Run genimix --help/,
    ],
    ['no prompt', ['generate'], {}, /Give a prompt .* or a file of prompts with --from FILE/],
    [
      'batch flags without --from',
      ['generate', 'A cat', '--out-dir', 'x'],
      {},
      /--out-dir and --concurrency go with --from FILE/,
    ],
    ['a prompt and --from', ['generate', 'A cat', '--from', 'p.txt'], {}, /either a prompt or --from FILE, not both/],
    ['--id in a batch', ['generate', '--from', 'p.txt', '--id', 'x'], {}, /leave out --id and -o/],
    [
      'upload - from an empty stdin',
      ['upload', '-'],
      {},
      /stdin is empty: pass the bytes of a PNG, JPEG, WebP or GIF image/,
    ],
  ];

  it.each(cases)('%s', async (_name, args, overrides, message) => {
    const { code, stdout, stderr } = await genimix(args, { env: env(overrides) });
    expect(stdout.length).toBe(0);
    expect(stderr).toMatch(/^genimix: /);
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(code).toBe(2);
    expect(routes()).toEqual([]);
    expectNoKey(stderr);
  });

  it('--json reports them as one JSON object on stderr, with the setting', async () => {
    const { code, stdout, stderr } = await genimix(['generate', 'A cat', '--id', 'a b', '--json']);
    expect([code, stdout.length]).toEqual([2, 0]);
    expect(jsonLines(stderr)).toEqual([
      {
        error: {
          name: 'GenimixValidationError',
          message: expect.stringMatching(/^--id "a b"/),
          exitCode: 2,
          setting: '--id',
        },
      },
    ]);
  });
});

describe('Genimix and network failures: exit 1, with the fix', () => {
  it('a key Genimix refuses names GENIMIX_API_KEY', async () => {
    const { code, stderr } = await genimix(['get', 'x'], { env: env({ GENIMIX_API_KEY: 'sk_wrong_key_123456' }) });
    expect(code).toBe(1);
    expect(stderr).toMatch(/401 Unauthorized.*Set GENIMIX_API_KEY to a valid key/);
    expect(stderr).not.toContain('sk_wrong_key_123456');
  });

  it('a key that may not use the project names --project', async () => {
    const { code, stderr } = await genimix(['delete', 'x'], { env: env({ GENIMIX_API_KEY: SCOPED_KEY }) });
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /403 Forbidden.*The key may not use project "cli": check --project \(or GENIMIX_PROJECT_ID\)/,
    );
  });

  it('no server at the base URL names --base-url', async () => {
    const closed = await createEmulator({ port: 0 });
    const url = closed.url;
    await closed.close();
    const { code, stderr } = await genimix(['get', 'x', '--base-url', url]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/Check the network and --base-url \(or GENIMIX_BASE_URL\)/);
  });

  it('a server slower than --timeout names --timeout', async () => {
    emulator.faults.add({ kind: 'latency', ms: 60_000, route: 'get', times: Number.POSITIVE_INFINITY });
    const { code, stderr } = await genimix(['get', 'x', '--timeout', '0.2']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/Raise --timeout \(now 0\.2 s\)/);
  });

  it('a 200 that is no image, however long (a proxy login page), is refused with the fix; a batch lists it', async () => {
    const portal = await startScriptedServer();
    try {
      // Sent without a length and longer than the first reads take in: the rest of it is still on
      // the wire when the command gives up on the answer.
      const page = `<html><body>Sign in to the network${' '.repeat(2_000_000)}</body></html>`;
      portal.next = { status: 200, headers: { 'content-type': 'text/html' }, body: page };
      const against = { env: env({ GENIMIX_BASE_URL: portal.url }) };
      const get = await genimix(['get', 'x', '-o', 'x.png'], against);
      expect([get.code, get.stdout.length]).toEqual([1, 0]);
      expect(get.stderr).toMatch(/text\/html that is no PNG, JPEG, WebP or GIF image: .*check --base-url/);

      const batch = await genimix(['generate', '--from', '-', '--out-dir', 'out'], { ...against, stdin: 'A cat\n' });
      expect(batch.code).toBe(1);
      expect(batch.stderr).toMatch(/failed 1\.\nFailed lines:\n {2}line 1 .*no PNG, JPEG, WebP or GIF image/);
      expect(portal.requests.map((r) => r.method)).toEqual(['GET', 'GET']);
      expect(await readdir(work)).toEqual(['out']);
      expect(await readdir(path.join(work, 'out'))).toEqual([]);
    } finally {
      await portal.close();
    }
  });

  it('a redirect (http:// where the API is https://) names --base-url', async () => {
    const redirecting = await startScriptedServer();
    try {
      redirecting.next = { status: 301, headers: { location: 'https://api.genimix.example/v1/cli/image/x' } };
      for (const args of [
        ['get', 'x'],
        ['delete', 'x'],
        ['generate', 'A cat', '--id', 'x'],
      ]) {
        const { code, stderr } = await genimix([...args], { env: env({ GENIMIX_BASE_URL: redirecting.url }) });
        expect([args, code]).toEqual([args, 1]);
        expect(stderr).toMatch(/301 .*check --base-url \(or GENIMIX_BASE_URL\)/);
      }
      expect(await readdir(work)).toEqual([]);
    } finally {
      await redirecting.close();
    }
  });

  it('an image that never ends stops at the largest Genimix stores, with the fix; no file is left', async () => {
    let sent = 0;
    const endless = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG_SIGNATURE);
      const more = () => {
        while (res.write(Buffer.alloc(1 << 20))) sent += 1 << 20;
        sent += 1 << 20;
      };
      res.on('drain', more);
      res.on('close', () => res.off('drain', more));
      more();
    });
    await new Promise<void>((resolve) => endless.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(endless.address() as AddressInfo).port}`;
      const against = { env: env({ GENIMIX_BASE_URL: url }) };
      for (const output of [
        ['-o', 'x.png'],
        ['-o', '-'],
      ]) {
        sent = 0;
        const { code, stdout, stderr } = await genimix(['get', 'x', ...output], against);
        expect(code).toBe(1);
        expect(stderr).toMatch(/more than 52428800 bytes, more than any image Genimix stores\. .*check --base-url/);
        expect(stdout.length).toBeLessThanOrEqual(DEFAULT_MAX_IMAGE_BYTES + (1 << 20));
        // The server's socket buffers hold more than was read; what matters is that it ended.
        expect(sent).toBeLessThan(4 * DEFAULT_MAX_IMAGE_BYTES);
      }
      expect(await readdir(work)).toEqual([]);
    } finally {
      endless.closeAllConnections();
      await new Promise((resolve) => endless.close(resolve));
    }
  });

  it('a 500 on Generate: possibly billed, so the fix is to fetch it, not to generate again', async () => {
    emulator.faults.add({ kind: 'status', status: 500, route: 'generate' });
    const { code, stderr } = await genimix(['generate', 'A cat', '--id', 'busy']);
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /500 Internal Server Error: .*\] The image may have been generated and billed all the same: run genimix get busy before generating it again\.\n$/,
    );
    emulator.faults.add({ kind: 'status', status: 500, route: 'get', times: 3 });
    const get = await genimix(['get', 'busy', '--timeout', '5']);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/500 Internal Server Error: .*\] Genimix failed: try again in a minute\.\n$/);
  });
});

describe('the key never reaches stdout, stderr or a file, whatever the server echoes', () => {
  const echo = echoedForms(KEY)
    .map(([name, form]) => `${name}: ${form}`)
    .join('; ');

  it.each([
    ['generate', ['generate', 'A cat', '--id', 'echo']],
    ['get', ['get', 'echo']],
    ['upload', ['upload', PHOTO_PATH, '--id', 'echo']],
    ['delete', ['delete', 'echo']],
  ])('an error of %s, as text and as JSON', async (route, args) => {
    for (const json of [[], ['--json']]) {
      emulator.faults.add({
        kind: 'status',
        status: 502,
        route: route as 'get',
        body: JSON.stringify({ message: `bad key ${echo}` }),
        contentType: 'application/json',
        times: 3,
      });
      const { code, stdout, stderr } = await genimix([...args!, ...json, '--timeout', '5'], {
        env: env({ GENIMIX_LOG: 'debug' }),
      });
      expect(code).toBe(1);
      expect(stderr).toContain('502');
      expectNoKey(stdout, stderr);
      for (const file of await readdir(work)) expectNoKey(await readFile(path.join(work, file)), file);
    }
  });
});
