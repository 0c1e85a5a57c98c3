// Plain JavaScript on purpose: `n8n-node lint` checks every .ts file of the package against the
// rules for code that runs inside n8n, and this file only runs at build time.
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import { defineConfig } from 'tsup';
import { writeThirdPartyLicenses } from '../scripts/third-party-licenses.ts';

/** Copies the icons and codex files next to the code that names them, as n8n expects. */
async function copyAssets(from) {
  for (const entry of await readdir(from, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(svg|png|node\.json)$/.test(entry.name)) {
      const source = path.join(entry.parentPath, entry.name);
      await cp(source, path.join('dist', source));
    }
  }
}

export default defineConfig({
  entry: {
    'nodes/Genimix/Genimix.node': 'nodes/Genimix/Genimix.node.ts',
    'credentials/GenimixApi.credentials': 'credentials/GenimixApi.credentials.ts',
  },
  // n8n loads community nodes with require().
  format: ['cjs'],
  outExtension: () => ({ js: '.js' }),
  target: 'node20',
  // "neutral" with the "genimix-host" condition (set below) so that the core's "#runtime"
  // resolves to its variant without undici, fetch, timers or process: the node passes n8n's own
  // HTTP helpers and sleep.
  platform: 'neutral',
  // The core is bundled in: a community node may have no runtime dependencies. n8n-workflow and
  // zod come from the n8n instance (its zod 3.25 serves the "zod/v4" API the core imports).
  noExternal: ['@genimix/core', 'image-size'],
  external: ['n8n-workflow', 'zod', 'zod/v4'],
  esbuildOptions(options) {
    options.mainFields = ['module', 'main'];
    options.conditions = ['genimix-host'];
    // The core's code-split chunks import the chunks they share for ordering only; the core is
    // free of side effects ("sideEffects": false), so leaving out the unused ones is what we want.
    options.logOverride = { ...options.logOverride, 'ignored-bare-import': 'silent' };
  },
  dts: false,
  sourcemap: false,
  clean: true,
  // For the notices of the packages bundled in (the core's image-size).
  metafile: true,
  async onSuccess() {
    await copyAssets('nodes');
    await copyAssets('credentials');
    await writeThirdPartyLicenses({
      metafile: 'dist/metafile-cjs.json',
      root: '.',
      out: 'dist/THIRD-PARTY-LICENSES.md',
      packageName: 'n8n-nodes-genimix',
    });
  },
});
