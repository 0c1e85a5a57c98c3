import { defineConfig } from 'tsup';

/**
 * The command as one ES module: its dependencies (the core, commander, ora, cli-progress, p-limit)
 * stay external and install with it from npm, as the package's dependencies.
 */
export default defineConfig({
  entry: {
    // src/cli.ts starts with a "#!/usr/bin/env node" line: tsup keeps it and marks dist/cli.js executable.
    cli: 'src/cli.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'node',
  // A command, not a library: nothing to import, so no types.
  dts: false,
  sourcemap: true,
  clean: true,
});
