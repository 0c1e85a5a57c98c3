import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    undici: 'src/transports/undici.ts',
    fetch: 'src/transports/fetch.ts',
    // The targets of the "#runtime" import (package.json "imports", chosen by export condition; see
    // src/runtime/types.ts): undici under Node, the runtime's fetch on Bun, Deno, Workers and in
    // browsers, nothing in a bundle for a host (n8n) that passes its own transport and sleep.
    'runtime-node': 'src/runtime/node.ts',
    'runtime-bun-deno': 'src/runtime/bun-deno.ts',
    'runtime-web': 'src/runtime/web.ts',
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
