// The baseline of bench/mcp-startup.ts: the smallest useful server on the MCP SDK 2.x, one tool
// over stdio, run from the workspace's node_modules as an unbundled package would be.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';

// The SDK's own zod 4 (the workspace root has n8n's zod 3.25): one zod loaded, as in a real server.
const sdk = createRequire(createRequire(import.meta.url).resolve('@modelcontextprotocol/server'));
const { z } = await import(pathToFileURL(sdk.resolve('zod/v4')).href);

serveStdio(() => {
  const server = new McpServer({ name: 'minimal', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes its text.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  return server;
});
