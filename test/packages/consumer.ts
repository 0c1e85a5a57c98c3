import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a user writes: one client round trip against the emulator (Generate, Get, Delete, then a
 * Get that must fail with the exported GenimixNotFoundError), the undici subpath, the emulator's
 * exports, and whether `import()` gives the very classes the static import gave (one copy of
 * the package, whether it was loaded by `import` or by `require`). The same source compiles as
 * ESM and as CommonJS.
 */
const CONSUMER = `import { GenimixClient, GenimixError, GenimixNotFoundError } from '@genimix/core';
import { createUndiciTransport } from '@genimix/core/undici';
import { createEmulator, type Emulator } from '@genimix/emulator';

async function main(): Promise<void> {
  const baseUrl: Emulator['url'] = process.env.GENIMIX_BASE_URL ?? '';
  const transport = createUndiciTransport();
  const client = new GenimixClient({ apiKey: 'dev-key', projectId: 'consumer', baseUrl, transport });
  await client.generateImage({ imageId: 'fox', provider: 'google', modelId: 'imagen-3.0-generate-002', prompt: 'A fox' });
  const image = await client.getImage({ imageId: 'fox' });
  await client.deleteImage({ imageId: 'fox' });
  const gone: unknown = await client.getImage({ imageId: 'fox' }).catch((error: unknown) => error);
  await transport.close?.();
  const dynamic = await import('@genimix/core');
  console.log(
    JSON.stringify({
      contentType: image.contentType,
      notFound: gone instanceof GenimixNotFoundError && gone instanceof GenimixError,
      sameClasses: dynamic.GenimixNotFoundError === GenimixNotFoundError,
      createEmulator: typeof createEmulator,
    }),
  );
}

void main();
`;

const COMMON = { target: 'es2022', strict: true, types: ['node'], skipLibCheck: false };

/** The TypeScript setups a consumer may have, each a folder of the consumer project. */
export const SETUPS = {
  /** `module: nodenext`: `esm.mts` compiles to ESM, `cjs.cts` to CommonJS that requires the ESM package. */
  nodenext: {
    files: ['esm.mts', 'cjs.cts'],
    compilerOptions: { ...COMMON, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
  },
  /** A bundler's resolution: types only. */
  bundler: {
    files: ['index.ts'],
    compilerOptions: { ...COMMON, module: 'esnext', moduleResolution: 'bundler', noEmit: true },
  },
  /** The old `node` resolution, which ignores `exports`: CommonJS output. */
  node10: {
    files: ['index.ts'],
    compilerOptions: { ...COMMON, module: 'commonjs', moduleResolution: 'node10', outDir: 'out' },
  },
} as const;

export type SetupName = keyof typeof SETUPS;

/**
 * Makes a consumer project in `dir`: installs the given tarballs with npm (their dependencies
 * come from the npm registry), TypeScript 5.9 and Node 20's types, and writes one folder per
 * {@link SETUPS} entry with the consumer source and a tsconfig.json.
 */
export async function createConsumerProject(dir: string, tarballs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumer', private: true })}\n`);
  execFileSync(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs,
      'typescript@~5.9.3',
      '@types/node@^20.19.0',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  for (const [name, setup] of Object.entries(SETUPS)) {
    await mkdir(path.join(dir, name));
    for (const file of setup.files) await writeFile(path.join(dir, name, file), CONSUMER);
    const tsconfig = { compilerOptions: setup.compilerOptions, files: setup.files };
    await writeFile(path.join(dir, name, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  }
}
