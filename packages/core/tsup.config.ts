import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    undici: 'src/transports/undici.ts',
    // The two targets of the "#default-transport" import (package.json "imports"): undici under
    // Node, none elsewhere, so that bundling the core for a host (n8n) pulls in no undici.
    'default-transport-node': 'src/transports/default-node.ts',
    'default-transport-none': 'src/transports/default-none.ts',
  },
  format: ['esm'],
  target: 'node20',
  platform: 'neutral',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  external: ['#default-transport', 'undici', 'zod', 'magic-bytes.js'],
});
