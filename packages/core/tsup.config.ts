import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    undici: 'src/transports/undici.ts',
    // The two targets of the "#runtime" import (package.json "imports"): undici, timers and
    // process.env under Node, none elsewhere, so that a bundle for a host (n8n) pulls in none.
    'runtime-node': 'src/runtime/node.ts',
    'runtime-none': 'src/runtime/none.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  external: ['#runtime', 'undici', 'zod', 'image-size'],
});
