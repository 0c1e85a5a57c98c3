import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'mcp-server/test/**/*.test.ts', 'test/**/*.test.ts'],
    // Spawned MCP servers and image rendering take a moment on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
