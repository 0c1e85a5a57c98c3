/**
 * `npm install @genimix/core` in an empty project, then the client used from ESM (`.mjs`), from
 * CommonJS (`.cjs`, `require`) and from TypeScript 5.9 compiled with `moduleResolution` nodenext,
 * bundler and node10: each program generates an image on the emulator and gets it back.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Checks } from '../../n8n/checks.js';
import { run, runOk, secs } from '../../n8n/processes.js';
import { API_KEY, type Flow, type FlowContext, PROJECT_ID, timed, versionOf } from '../flow.js';
import type { UserFolder } from '../user-env.js';

const PACKAGE = '@genimix/core';

/** The program each way runs, as a user would write it: generate, get, print what came back. */
const program = (importLine: string, label: string) => `${importLine}

async function main() {
  const client = new GenimixClient({
    apiKey: process.env.GENIMIX_API_KEY${label === 'ts' ? '!' : ''},
    projectId: process.env.GENIMIX_PROJECT_ID${label === 'ts' ? '!' : ''},
    baseUrl: process.env.GENIMIX_BASE_URL,
  });
  const imageId = process.argv[2]${label === 'ts' ? '!' : ''};
  const generated = await client.generateImage({
    imageId,
    provider: 'google',
    modelId: 'imagen-3.0-generate-002',
    prompt: 'A red fox in the snow',
  });
  const image = await client.getImage({ imageId });
  console.log(JSON.stringify({ imageUrl: generated.imageUrl, contentType: image.contentType, size: image.size, bytes: image.data.length }));
}
main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;

/** The TypeScript ways: tsconfig compilerOptions, and the package type the output runs as. */
const TS_WAYS = [
  { name: 'nodenext', type: 'module', options: { module: 'nodenext', moduleResolution: 'nodenext' } },
  { name: 'bundler', type: 'module', options: { module: 'esnext', moduleResolution: 'bundler' } },
  { name: 'node10', type: 'commonjs', options: { module: 'commonjs', moduleResolution: 'node10' } },
] as const;

export default {
  name: 'core',
  title: `npm install ${PACKAGE}: ESM, CommonJS, TypeScript (nodenext, bundler, node10) against the emulator`,
  async run(ctx, c) {
    const version = versionOf(ctx, PACKAGE);
    const user = await ctx.user('core');
    await writeFile(path.join(user.dir, 'package.json'), '{ "name": "my-app", "private": true }\n');
    const [, installMs] = await timed(() =>
      runOk(
        `npm install ${PACKAGE} typescript@5.9 @types/node@20`,
        'npm',
        ['install', '--no-audit', PACKAGE, 'typescript@5.9', '@types/node@20'],
        { cwd: user.dir, env: user.env, timeoutMs: 5 * 60_000 },
      ),
    );
    const lock = JSON.parse(await readFile(path.join(user.dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; resolved?: string }>;
    };
    const installed = lock.packages[`node_modules/${PACKAGE}`];
    c.equal(installed?.version, version, `${PACKAGE} installed at the published version`);
    c.ok(
      installed?.resolved?.startsWith(ctx.registry.url),
      `${PACKAGE} came from the test registry (${installed?.resolved})`,
    );
    const lines = [`npm install ${PACKAGE} typescript@5.9 @types/node@20: ${secs(installMs)}`];

    const runProgram = async (label: string, cwd: string, file: string) => {
      const imageId = `registry-core-${label}`;
      const result = await run('node', [file, imageId], {
        cwd,
        env: {
          ...user.env,
          GENIMIX_API_KEY: API_KEY,
          GENIMIX_PROJECT_ID: PROJECT_ID,
          GENIMIX_BASE_URL: ctx.standIn.url,
        },
        timeoutMs: 60_000,
      });
      return checkOutput(ctx, c, label, imageId, result);
    };

    await writeFile(path.join(user.dir, 'app.mjs'), program("import { GenimixClient } from '@genimix/core';", 'mjs'));
    lines.push(await runProgram('esm', user.dir, 'app.mjs'));
    await writeFile(
      path.join(user.dir, 'app.cjs'),
      program("const { GenimixClient } = require('@genimix/core');", 'cjs'),
    );
    lines.push(await runProgram('cjs', user.dir, 'app.cjs'));

    for (const way of TS_WAYS) lines.push(await typescriptWay(ctx, c, user, way, runProgram));
    return lines;
  },
} satisfies Flow;

async function typescriptWay(
  _ctx: FlowContext,
  c: Checks,
  user: UserFolder,
  way: (typeof TS_WAYS)[number],
  runProgram: (label: string, cwd: string, file: string) => Promise<string>,
): Promise<string> {
  const dir = path.join(user.dir, `ts-${way.name}`);
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ private: true, type: way.type }, null, 2));
  await writeFile(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          ...way.options,
          target: 'es2022',
          strict: true,
          skipLibCheck: false,
          types: ['node'],
          outDir: 'dist',
          rootDir: 'src',
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(dir, 'src', 'app.ts'), program("import { GenimixClient } from '@genimix/core';", 'ts'));
  const tsc = path.join(user.dir, 'node_modules', 'typescript', 'bin', 'tsc');
  const [compiled, tscMs] = await timed(() =>
    run('node', [tsc, '-p', '.'], { cwd: dir, env: user.env, timeoutMs: 120_000 }),
  );
  const ok = c.equal(compiled.code, 0, `tsc with moduleResolution ${way.name}: exit code`);
  if (!ok) c.ok(false, `tsc (${way.name}) said: ${compiled.stdout.trim().split('\n').slice(0, 6).join(' | ')}`);
  if (!ok) return `TypeScript ${way.name}: tsc failed`;
  const line = await runProgram(`ts-${way.name}`, dir, path.join('dist', 'app.js'));
  return `TypeScript ${way.name}: tsc ${secs(tscMs)}; ${line}`;
}

function checkOutput(
  ctx: FlowContext,
  c: Checks,
  label: string,
  imageId: string,
  result: { code: number | null; stdout: string },
): string {
  if (!c.equal(result.code, 0, `${label}: node exit code`)) return `${label}: failed`;
  let out: { imageUrl?: string; contentType?: string; size?: number; bytes?: number } = {};
  try {
    out = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
  } catch {
    /* checked below */
  }
  c.equal(out.imageUrl, `${ctx.standIn.url}/v1/${PROJECT_ID}/image/${imageId}`, `${label}: generateImage imageUrl`);
  c.equal(out.contentType, 'image/png', `${label}: getImage contentType`);
  c.ok(
    (out.bytes ?? 0) > 0 && out.bytes === out.size,
    `${label}: getImage returned ${out.bytes} bytes (size ${out.size})`,
  );
  return `${label}: generate + get, ${out.bytes} bytes of ${out.contentType}`;
}
