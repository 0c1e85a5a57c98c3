import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliOptions, jsonLines, runCli, startCli } from './cli-process.js';

/**
 * `genimix generate --from FILE`: one image per line, and never a second Generate for an image
 * already paid for, whether the last run finished, failed or was interrupted. The emulator counts
 * every request; a slow model (an emulator whose Generates wait until the test ends them) makes
 * interruptions land while Generates are in flight, without sleeping.
 */
const KEY = 'sk_test_cli_batch_0123456789';
const PROJECT = 'batch';
const MODEL = 'google/imagen-3.0-generate-002';
let fast: Emulator;
let slow: Emulator;
let work: string;

beforeAll(async () => {
  fast = await createEmulator({ port: 0, apiKeys: [KEY] });
  // Every Generate waits ten minutes unless the test ends its wait (generations.whenWaiting).
  slow = await createEmulator({ port: 0, apiKeys: [KEY], latencyMs: { [MODEL]: 600_000 } });
});
afterAll(() => Promise.all([fast.close(), slow.close()]));
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'genimix-cli-batch-'));
  for (const emulator of [fast, slow]) {
    emulator.requests.clear();
    emulator.faults.clear();
  }
});
afterEach(() => rm(work, { recursive: true, force: true }));

/** A run's options: the emulator's settings in the environment, the test's folder. */
const against = (emulator: Emulator, options: CliOptions = {}): CliOptions => ({
  cwd: work,
  ...options,
  env: { GENIMIX_API_KEY: KEY, GENIMIX_PROJECT_ID: PROJECT, GENIMIX_BASE_URL: emulator.url },
});
const run = (emulator: Emulator, args: string[], options: CliOptions = {}) => runCli(args, against(emulator, options));
const start = (emulator: Emulator, args: string[], options: CliOptions = {}) =>
  startCli(args, against(emulator, options));

/** The id the README documents for a batch line: `<slug>-<16 hex of SHA-256("<model>\n<prompt>")>`. */
function documentedId(prompt: string, model = MODEL): string {
  const hash = createHash('sha256').update(`${model}\n${prompt}`).digest('hex').slice(0, 16);
  const slug = prompt
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 40)
    .replace(/^-+|-+$/g, '');
  return `${slug || 'prompt'}-${hash}`;
}

/** `route status` of every request for `imageId`, in order. */
const requestsFor = (emulator: Emulator, imageId: string) =>
  emulator.requests
    .list()
    .filter((r) => r.imageId === imageId)
    .map((r) => `${r.route} ${r.status}`);
const generates = (emulator: Emulator) => emulator.requests.list().filter((r) => r.route === 'generate');
const files = async (dir = path.join(work, 'out')) => (await readdir(dir).catch(() => [])).sort();

/** Ends every Generate's wait on the slow emulator as it starts, until the returned function is called. */
function finishGenerations(emulator: Emulator): () => void {
  let on = true;
  void (async () => {
    while (on) {
      const waiting = await emulator.generations.whenWaiting().catch(() => undefined);
      if (!waiting) return;
      if (on) waiting.endLatency();
    }
  })();
  return () => {
    on = false;
  };
}

async function writePrompts(lines: string[]): Promise<string> {
  const file = path.join(work, 'prompts.txt');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

describe('a batch', () => {
  it('one image per line; blank lines and comments skipped, a repeated prompt generated once; a re-run sends nothing', async () => {
    await writePrompts([
      'A red fox',
      '',
      '# a comment',
      '  A blue whale  ',
      'A red fox',
      'Étoile filante, été',
      '日本の山',
    ]);
    const prompts = ['A red fox', 'A blue whale', 'Étoile filante, été', '日本の山'];
    const ids = prompts.map((p) => documentedId(p));
    // The README's example.
    expect(ids[0]).toBe('a-red-fox-3fc310628c737dfe');
    expect(ids).toEqual([
      expect.stringMatching(/^a-red-fox-[0-9a-f]{16}$/),
      expect.stringMatching(/^a-blue-whale-[0-9a-f]{16}$/),
      expect.stringMatching(/^etoile-filante-ete-[0-9a-f]{16}$/),
      expect.stringMatching(/^prompt-[0-9a-f]{16}$/),
    ]);

    const first = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--json']);
    expect([first.code, first.stderr]).toEqual([0, '']);
    const lines = jsonLines(first.stdout).sort((a, b) => a.line - b.line);
    expect(lines.map((l) => [l.line, l.status, l.id])).toEqual([
      [1, 'generated', ids[0]],
      [4, 'generated', ids[1]],
      [5, 'skipped', ids[0]],
      [6, 'generated', ids[2]],
      [7, 'generated', ids[3]],
    ]);
    expect(lines[0]).toEqual({
      line: 1,
      status: 'generated',
      id: ids[0],
      project: PROJECT,
      model: MODEL,
      file: path.join(work, 'out', `${ids[0]}.png`),
      bytes: (await fast.store.get(PROJECT, ids[0]!))!.size,
      contentType: 'image/png',
      width: 1024,
      height: 1024,
      imageUrl: `${fast.url}/v1/${PROJECT}/image/${ids[0]}`,
      prompt: 'A red fox',
    });
    expect(lines[2]).toMatchObject({ reason: 'duplicate', duplicateOf: 1, file: lines[0].file });
    expect(generates(fast)).toHaveLength(4);
    for (const id of ids) {
      expect(requestsFor(fast, id)).toEqual(['get 404', 'generate 200', 'get 200']);
      expect(await readFile(path.join(work, 'out', `${id}.png`))).toEqual(
        Buffer.from((await fast.store.get(PROJECT, id))!.bytes),
      );
    }
    expect(await files()).toEqual(ids.map((id) => `${id}.png`).sort());

    fast.requests.clear();
    const again = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    expect(again.code).toBe(0);
    expect(again.stdout.length).toBe(0);
    expect(again.stderr).toBe(
      `Done: 5 lines: generated 0, fetched 0, skipped 5 (4 already in ${path.join(work, 'out')}, 1 duplicate), failed 0.\n`,
    );
    expect(fast.requests.list()).toEqual([]);

    // A file gone from the folder: fetched with a free Get, not generated again. Prompts from stdin.
    await rm(path.join(work, 'out', `${ids[1]}.png`));
    const stdinPrompts = await readFile(path.join(work, 'prompts.txt'));
    const fetched = await run(fast, ['generate', '--from', '-', '--out-dir', 'out', '--quiet'], {
      stdin: stdinPrompts,
    });
    expect([fetched.code, fetched.stderr]).toEqual([0, '']);
    expect(fast.requests.list().map((r) => `${r.route} ${r.status} ${r.imageId}`)).toEqual([`get 200 ${ids[1]}`]);
    expect(await files()).toEqual(ids.map((id) => `${id}.png`).sort());
  });

  it('a line repeating a failed line failed too, with its error: skipped would say its image is there', async () => {
    const prompts = ['A broken vase', 'A whole vase', 'A broken vase'];
    await writePrompts(prompts);
    const ids = prompts.map((p) => documentedId(p));
    fast.faults.add({ kind: 'status', status: 429, route: 'generate', imageId: ids[0], times: 2 });
    const { code, stdout } = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--json']);
    expect(code).toBe(1);
    const lines = jsonLines(stdout).sort((a, b) => a.line - b.line);
    expect(lines.map((l) => [l.line, l.status, l.reason, l.duplicateOf, l.error?.status, l.file])).toEqual([
      [1, 'failed', undefined, undefined, 429, undefined],
      [2, 'generated', undefined, undefined, undefined, path.join(work, 'out', `${ids[1]}.png`)],
      [3, 'failed', 'duplicate', 1, 429, undefined],
    ]);
    const text = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out2']);
    expect(text.stderr).toMatch(
      /^Done: 3 lines: generated 0, fetched 1, skipped 0, failed 2\.\nFailed lines:\n {2}line 1 .*\n {2}line 3 \(id /,
    );
  });

  it('a second batch into the same folder while one runs is refused before any request; the lock and temporary files of a run killed outright are taken over', async () => {
    const prompts = ['A twin tower', 'A twin bridge'];
    const ids = prompts.map((p) => documentedId(p));
    await writePrompts(prompts);
    const first = start(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    // Both lines waiting on their Generate: the first run sends nothing more until they end.
    await Promise.all(ids.map((imageId) => slow.generations.whenWaiting({ imageId })));
    const before = slow.requests.list().length;
    // The same command again (an overlapping cron job, a second terminal) would pay for the same images.
    const second = await run(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      /^genimix: Another genimix batch \(process \d+\) is writing to \S+out: wait for it to end, or use another --out-dir\. If none is running, delete \S+out\/\.genimix-batch\.lock\.\n$/,
    );
    expect(slow.requests.list()).toHaveLength(before);
    const stop = finishGenerations(slow);
    try {
      expect((await first.done).code).toBe(0);
    } finally {
      stop();
    }
    expect(generates(slow)).toHaveLength(2);
    expect(await files()).toEqual(ids.map((id) => `${id}.png`).sort());

    // A run killed outright (SIGKILL, a crash) leaves its lock: a process that is gone holds nothing.
    const dead = startCli(['--version']);
    await dead.done;
    await writeFile(path.join(work, 'out', '.genimix-batch.lock'), `${dead.child.pid}\n`);
    // ... and the temporary file of the download it was writing, which the lock says nobody writes now.
    const third = documentedId('A third twin');
    await writeFile(path.join(work, 'out', `.${third}.png.0123456789ab.partial`), 'half an image');
    await writePrompts(['A third twin']);
    const stop2 = finishGenerations(slow);
    try {
      const rerun = await run(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
      expect([rerun.code, rerun.stderr]).toEqual([0, expect.stringMatching(/^Done: 1 line: generated 1/)]);
    } finally {
      stop2();
    }
    expect(await files()).toEqual([...ids, third].map((id) => `${id}.png`).sort());
  });

  it('an empty lock is a run about to write its id while fresh, and a run killed before it wrote it (a power cut) once over a minute old: refused, then taken over', async () => {
    await writePrompts(['A lone lighthouse']);
    await mkdir(path.join(work, 'out'));
    const lock = path.join(work, 'out', '.genimix-batch.lock');
    await writeFile(lock, '');
    const refused = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringMatching(/Another genimix batch \(process starting\)/),
    ]);
    expect(fast.requests.list()).toHaveLength(0);

    // It never gets an id: every run was refused, for ever, until someone deleted it by hand.
    const twoMinutesAgo = new Date(Date.now() - 120_000);
    await utimes(lock, twoMinutesAgo, twoMinutesAgo);
    const taken = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    expect([taken.code, taken.stderr]).toEqual([0, expect.stringMatching(/^Done: 1 line: generated 1/)]);
    expect(await files()).toEqual([`${documentedId('A lone lighthouse')}.png`]);
  });

  it('a failed line is listed with why, the rest kept (exit 1); one that may have been billed is fetched by the next run, not generated again', async () => {
    const prompts = ['A lighthouse', 'A comet', 'A glacier', 'A desert'];
    await writePrompts(prompts);
    const ids = prompts.map((p) => documentedId(p));
    // The Generate of line 2 is done and billed, but its answer is lost; line 3's is refused (quota).
    fast.faults.add({ kind: 'drop', when: 'after-processing', route: 'generate', imageId: ids[1] });
    fast.faults.add({ kind: 'status', status: 429, route: 'generate', imageId: ids[2] });

    const first = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--concurrency', '2']);
    expect(first.code).toBe(1);
    expect(first.stdout.length).toBe(0);
    const out = path.join(work, 'out');
    expect(first.stderr.split('\n')).toEqual([
      'Done: 4 lines: generated 2, fetched 0, skipped 0, failed 2.',
      'Failed lines:',
      `  line 2 (id ${ids[1]}): PUT ${fast.url} failed: no response (UND_ERR_SOCKET). It may have been generated and billed: the next run checks with a Get before generating it again.`,
      expect.stringMatching(
        new RegExp(
          `^  line 3 \\(id ${ids[2]}\\): generate image "${ids[2]}" failed: 429 Too Many Requests: .* Wait a while, then run the command again \\(for a batch, lower --concurrency\\)\\.$`,
        ),
      ),
      'Run the same command again to resume: images already written are skipped, and those Genimix has (generated but not written, or possibly billed) are fetched with a free Get instead of generated again.',
      '',
    ]);
    expect(await files()).toEqual([`${ids[0]}.png`, `${ids[3]}.png`].sort());
    expect(await files(out)).not.toContainEqual(expect.stringMatching(/partial/));

    fast.requests.clear();
    const second = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--json']);
    expect(second.code).toBe(0);
    expect(jsonLines(second.stdout).map((l) => [l.line, l.status])).toEqual(
      expect.arrayContaining([
        [1, 'skipped'],
        [2, 'fetched'],
        [3, 'generated'],
        [4, 'skipped'],
      ]),
    );
    expect(requestsFor(fast, ids[1]!)).toEqual(['get 200']);
    expect(requestsFor(fast, ids[2]!)).toEqual(['get 404', 'generate 200', 'get 200']);
    expect(generates(fast)).toHaveLength(1);
    expect(await files()).toEqual(ids.map((id) => `${id}.png`).sort());
  });

  it('bad lines are refused before anything is sent, each with its number (exit 2)', async () => {
    await writePrompts(['A cat', '', 'x'.repeat(4001), '# fine', '\u200b\u200b', 'A dog']);
    const { code, stdout, stderr } = await run(fast, ['generate', '--from', 'prompts.txt', '--out-dir', 'out']);
    expect([code, stdout.length]).toEqual([2, 0]);
    expect(stderr).toBe(
      'genimix: --from prompts.txt: fix these lines, nothing was sent:\n  line 3 is 4001 characters long; shorten it to at most 4000.\n  line 5 is empty: describe the image to generate.\n',
    );
    await writePrompts(['', '# only comments']);
    const empty = await run(fast, ['generate', '--from', 'prompts.txt']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/has no prompt: write one prompt per line/);
    const missing = await run(fast, ['generate', '--from', 'nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^genimix: --from nope\.txt: \S+nope\.txt does not exist: name a text file/);
    expect(fast.requests.list()).toEqual([]);
    expect(await files()).toEqual([]);
  });

  it('a file that is not UTF-8 is refused before anything is sent, naming its lines, not generated as mangled prompts (exit 2)', async () => {
    const file = path.join(work, 'prompts.txt');
    // Windows-1252 (Latin-1) and UTF-16, as Windows editors save "Étoile filante" and "Été".
    const latin1 = Buffer.from('A cat\n\xc9toile filante\nA dog\n\xc9t\xe9\n', 'latin1');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('A cat\r\nA dog\r\n', 'utf16le')]);
    for (const [bytes, why] of [
      [latin1, /^genimix: --from (prompts\.txt|- \(stdin\)) is not UTF-8 text \(lines 2, 4\): save it as UTF-8/],
      [utf16, /^genimix: --from (prompts\.txt|- \(stdin\)) is UTF-16 text: save it as UTF-8/],
    ] as const) {
      await writeFile(file, bytes);
      for (const from of ['prompts.txt', '-']) {
        const { code, stdout, stderr } = await run(fast, ['generate', '--from', from, '--out-dir', 'out'], {
          stdin: bytes,
        });
        expect([code, stdout.length]).toEqual([2, 0]);
        expect(stderr).toMatch(why);
        expect(stderr).toMatch(/nothing was sent\.\n$/);
      }
    }
    expect(fast.requests.list()).toEqual([]);
    expect(await files()).toEqual([]);
  });
});

describe('Ctrl-C during a batch', () => {
  const prompts = [
    'A harbour at dawn',
    'A snowy forest',
    'A night market',
    'A mountain lake',
    'A city in rain',
    'A field of poppies',
  ];
  const ids = prompts.map((p) => documentedId(p));

  it('once: the Generates in flight finish and are written, no line starts after; the re-run generates only the rest', async () => {
    await writePrompts(prompts);
    const batch = start(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--concurrency', '2']);
    // Interrupted when both lines in flight have sent their Generate: exactly 2 of 6.
    const inFlight = await Promise.all([
      slow.generations.whenWaiting({ imageId: ids[0] }),
      slow.generations.whenWaiting({ imageId: ids[1] }),
    ]);
    expect(generates(slow)).toHaveLength(2);
    batch.child.kill('SIGINT');
    await batch.whenStderr(
      /Stopping: no new line starts; 2 in flight finish and are written \(a Generate sent is billed\)\. Press Ctrl-C again to cancel them now\.\n/,
    );
    for (const generation of inFlight) generation.endLatency();
    const first = await batch.done;
    expect(first.code).toBe(130);
    expect(first.stderr).toContain(
      'Interrupted: 6 lines: generated 2, fetched 0, skipped 0, failed 0, not started 4.\nRun the same command again to resume',
    );
    expect(await files()).toEqual([`${ids[0]}.png`, `${ids[1]}.png`].sort());
    expect(generates(slow)).toHaveLength(2);

    slow.requests.clear();
    const stop = finishGenerations(slow);
    try {
      const second = await run(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--concurrency', '2']);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('Done: 6 lines: generated 4, fetched 0, skipped 2');
    } finally {
      stop();
    }
    // The two written lines: no request at all. The four others: a Get, then their one Generate.
    expect(requestsFor(slow, ids[0]!)).toEqual([]);
    expect(requestsFor(slow, ids[1]!)).toEqual([]);
    for (const id of ids.slice(2)) expect(requestsFor(slow, id)).toEqual(['get 404', 'generate 200', 'get 200']);
    expect(generates(slow)).toHaveLength(4);
    expect(await files()).toEqual(ids.map((id) => `${id}.png`).sort());
  });

  it('twice: the Generates in flight are cancelled at once, no partial file is left; the next run checks them with a Get first', async () => {
    // Prompts of their own: the emulator keeps the images of the test before.
    const prompts = ['A tram in fog', 'A kite festival', 'A frozen waterfall'];
    const ids = prompts.map((p) => documentedId(p));
    await writePrompts(prompts);
    const batch = start(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--concurrency', '2']);
    await Promise.all([
      slow.generations.whenWaiting({ imageId: ids[0] }),
      slow.generations.whenWaiting({ imageId: ids[1] }),
    ]);
    batch.child.kill('SIGINT');
    await batch.whenStderr(/Stopping: /);
    batch.child.kill('SIGINT');
    const first = await batch.done;
    expect(first.code).toBe(130);
    expect(first.stderr).toContain(
      'Interrupted: 3 lines: generated 0, fetched 0, skipped 0, failed 0, not started 1, cut off 2.',
    );
    expect(await files()).toEqual([]);

    slow.requests.clear();
    const stop = finishGenerations(slow);
    try {
      const second = await run(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '--json']);
      expect(second.code).toBe(0);
    } finally {
      stop();
    }
    for (const id of ids.slice(0, 3)) expect(requestsFor(slow, id)[0]).toBe('get 404');
    expect(await files()).toEqual(
      ids
        .slice(0, 3)
        .map((id) => `${id}.png`)
        .sort(),
    );
  });

  it('with --json, a stop that cancels (SIGTERM, as a second Ctrl-C) still gives every line its object, the cut-off ones failed as possibly billed', async () => {
    // SIGTERM takes the path of a second Ctrl-C at once; two SIGINTs sent together may arrive as one.
    const prompts = ['A paper boat', 'A glass owl', 'A copper bell', 'A glass owl'];
    const ids = prompts.map((p) => documentedId(p));
    await writePrompts(prompts);
    const batch = start(slow, ['generate', '--from', 'prompts.txt', '--out-dir', 'out', '-c', '2', '--json']);
    await Promise.all([
      slow.generations.whenWaiting({ imageId: ids[0] }),
      slow.generations.whenWaiting({ imageId: ids[1] }),
    ]);
    batch.child.kill('SIGTERM');
    const { code, stdout, stderr } = await batch.done;
    expect([code, stderr]).toEqual([143, '']);
    const lines = jsonLines(stdout).sort((a, b) => a.line - b.line);
    expect(lines.map((l) => [l.line, l.status, l.id, l.error?.name, l.duplicateOf])).toEqual([
      [1, 'failed', ids[0], 'Interrupted', undefined],
      [2, 'failed', ids[1], 'Interrupted', undefined],
      [3, 'not-started', ids[2], undefined, undefined],
      [4, 'not-started', ids[1], undefined, 2],
    ]);
    expect(lines[0].error.message).toMatch(/may have been generated and billed: the next run checks with a Get/);
    expect(await files()).toEqual([]);
  });
});
