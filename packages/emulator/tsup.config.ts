import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    // src/cli.ts starts with a "#!/usr/bin/env node" line: tsup keeps it and marks dist/cli.js executable.
    cli: 'src/cli.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // Only the library has types to publish; the CLI is an executable.
  dts: { entry: { index: 'src/index.ts' } },
  sourcemap: true,
  clean: true,
});
