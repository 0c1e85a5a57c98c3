/**
 * What importing `@genimix/core` costs on Node, against the core as it was before its response
 * schemas (and so zod) were loaded on first use: the ms `await import()` of each dist/index.js
 * takes in a fresh process, runs alternating between the two.
 *
 *   pnpm bench:import [--runs N] [--baseline <git ref>]   (N per side, default 21, at least 11)
 *
 * The baseline is packages/core at `--baseline` (default: the last commit that loaded zod at
 * import), taken with `git archive` into node_modules/.cache and built there with its own tsup
 * config (no declarations), against the workspace's installed dependencies; the current side is
 * packages/core/dist as `pnpm build` leaves it. Prints medians, p90 and current/baseline; exits 1
 * when the current median is above a third of the baseline's (issue 11's bound).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { fixed, quantile, ROOT, runBench, table } from './lib.js';

/** The last commit whose core imported zod at load. */
const DEFAULT_BASELINE = '1a18c3b';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '21' }, baseline: { type: 'string', default: DEFAULT_BASELINE } },
});
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 11) throw new Error('--runs must be a whole number of at least 11');

/** Builds the baseline core once per commit, into node_modules/.cache (so it resolves the workspace's tsup). */
async function buildBaseline(ref: string): Promise<string> {
  const sha = execFileSync('git', ['rev-parse', '--short=12', `${ref}^{commit}`], {
    cwd: ROOT,
    encoding: 'utf8',
  }).trim();
  const dir = path.join(ROOT, 'node_modules', '.cache', 'genimix-bench', `core-${sha}`);
  const entry = path.join(dir, 'packages', 'core', 'dist', 'index.js');
  if (existsSync(entry)) return entry;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = execFileSync('git', ['archive', sha, 'packages/core'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  const coreDir = path.join(dir, 'packages', 'core');
  linkDependencies(coreDir);
  const { build } = await import('tsup');
  const config = (await import(pathToFileURL(path.join(coreDir, 'tsup.config.ts')).href)).default;
  // Paths made absolute: tsup resolves them against the bench's working directory.
  const entries = Object.fromEntries(
    Object.entries(config.entry as Record<string, string>).map(([name, file]) => [name, path.join(coreDir, file)]),
  );
  await build({ ...config, entry: entries, outDir: path.join(coreDir, 'dist'), dts: false, silent: true });
  return entry;
}

/**
 * The baseline's dependencies: the workspace core's own copies where it still has them (so both
 * sides load the same zod and undici), and the others (magic-bytes.js, which the core no longer
 * uses) installed from the registry at the baseline's ranges.
 */
function linkDependencies(coreDir: string): void {
  const manifest = JSON.parse(readFileSync(path.join(coreDir, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const modules = path.join(coreDir, 'node_modules');
  mkdirSync(modules);
  const missing: string[] = [];
  for (const [name, range] of Object.entries(manifest.dependencies)) {
    const workspaceCopy = path.join(ROOT, 'packages', 'core', 'node_modules', name);
    if (existsSync(workspaceCopy)) symlinkSync(workspaceCopy, path.join(modules, name));
    else missing.push(`${name}@${range}`);
  }
  if (missing.length === 0) return;
  const side = path.join(coreDir, '..', 'baseline-deps');
  mkdirSync(side, { recursive: true });
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      side,
      '--no-save',
      '--no-package-lock',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      ...missing,
    ],
    {
      stdio: 'inherit',
    },
  );
  for (const spec of missing) {
    const name = spec.slice(0, spec.lastIndexOf('@'));
    symlinkSync(path.join(side, 'node_modules', name), path.join(modules, name));
  }
}

/** ms from `import()` of `entry` to its namespace, in a fresh Node process. */
function timeImport(entry: string): Promise<number> {
  const script =
    'const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(entry).href], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Number(out)) : reject(new Error(`import of ${entry} exited ${code}`)),
    );
  });
}

async function main(): Promise<number> {
  const sides = [
    {
      name: `@genimix/core now (${path.relative(ROOT, path.join(ROOT, 'packages/core/dist/index.js'))})`,
      entry: path.join(ROOT, 'packages', 'core', 'dist', 'index.js'),
      times: [] as number[],
    },
    {
      name: `@genimix/core at ${values.baseline} (zod at import)`,
      entry: await buildBaseline(values.baseline),
      times: [] as number[],
    },
  ];
  process.stdout.write(
    `import('@genimix/core') in a fresh process, ${RUNS} runs each, alternating; Node ${process.version}\n`,
  );
  // One unmeasured run each: the first reads every file from disk into the page cache.
  for (const side of sides) await timeImport(side.entry);
  for (let run = 0; run < RUNS; run++) {
    for (const side of run % 2 === 0 ? sides : [...sides].reverse()) side.times.push(await timeImport(side.entry));
  }
  const stats = sides.map((s) => {
    const sorted = [...s.times].sort((a, b) => a - b);
    return { name: s.name, median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0]! };
  });
  process.stdout.write(
    `${table(
      ['core', 'median ms', 'p90 ms', 'min ms'],
      stats.map((s) => [s.name, fixed(s.median), fixed(s.p90), fixed(s.min)]),
    )}\n`,
  );
  const ratio = stats[0]!.median / stats[1]!.median;
  process.stdout.write(`now/baseline (medians): ${fixed(ratio, 2)} (bound: 0.33)\n`);
  if (ratio > 1 / 3) {
    process.stdout.write('FAIL: importing the core costs more than a third of what it did\n');
    return 1;
  }
  return 0;
}

runBench(main, async () => {});
