import { copyFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { writeThirdPartyLicenses } from '../scripts/third-party-licenses.js';
import { CODEC_SCRIPTS, CODEC_WASM } from './src/preview/codec-files.js';

const require = createRequire(import.meta.url);

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

/**
 * zod's `z.locales` (its messages in some 40 languages, 260 KB: a third of what the server
 * parses at start) cut down to English, the only one the server speaks and the one zod sets.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: path.resolve(args.resolveDir, args.path), namespace: 'zod-locales' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      resolveDir: path.dirname(args.path),
    }));
  },
};

/**
 * One self-contained bundle: everything the server imports (the MCP SDK, zod, @genimix/core,
 * undici, image-size, the codecs) is in dist/, so the published package has no dependency to
 * install. `splitting` keeps what only some calls need in chunks of their own, loaded on first
 * use: undici (the first request) and the codecs (the first preview, in its worker).
 */
export default defineConfig({
  entry: {
    cli: 'src/cli.ts',
    // The preview worker loads each codec by file: one entry each, named as src/preview/codec-files.ts says.
    ...Object.fromEntries(
      Object.entries(CODEC_SCRIPTS).map(([name, file]) => [`codecs/${name}`, require.resolve(file.package)]),
    ),
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  noExternal: [/./],
  splitting: true,
  minify: true,
  sourcemap: false,
  clean: true,
  metafile: true,
  define: { __GENIMIX_BUNDLE__: 'true' },
  esbuildPlugins: [zodEnglishOnly],
  // CommonJS dependencies (undici, omggif) call require() for Node's own modules, which an ES module lacks.
  banner: {
    js: "import { createRequire as __genimixCreateRequire } from 'node:module'; const require = __genimixCreateRequire(import.meta.url);",
  },
  // A command, not a library: no entry to import and no types. Types of a library entry would
  // refer to @genimix/core's and @modelcontextprotocol/server's, which are not installed with the
  // bundle (and tsup cannot bundle the MCP SDK's chunked declarations).
  dts: false,
  async onSuccess() {
    await mkdir('dist/wasm', { recursive: true });
    const copied = Object.values(CODEC_WASM).map((file) => ({
      bundled: `dist/wasm/${file.bundled}`,
      source: require.resolve(file.package),
    }));
    for (const file of copied) await copyFile(file.source, file.bundled);
    await writeThirdPartyLicenses({
      metafile: 'dist/metafile-esm.json',
      root: '.',
      out: 'dist/THIRD-PARTY-LICENSES.md',
      packageName: '@genimix/mcp-server',
      copied,
    });
  },
});
