/** A real MCP client for the Genimix server over stdio, shared by the demo and the tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

/** The built `genimix-mcp` bin. */
export const SERVER_BIN = path.join(path.dirname(fileURLToPath(import.meta.resolve('@genimix/mcp-server/package.json'))), 'dist', 'cli.js');

/** A tool result as the tests read it. */
export interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string; data?: string; mimeType?: string }>;
}

/** A real MCP client connected over stdio to a freshly spawned `genimix-mcp`. */
export async function connectServer(env: Record<string, string>): Promise<{ client: Client; stderr: () => string; call(name: string, args: Record<string, unknown>): Promise<ToolResult>; close(): Promise<void> }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER_BIN],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'genimix-test', version: '0.0.0' });
  await client.connect(transport);
  return {
    client,
    stderr: () => stderr,
    call: async (name, args) => (await client.callTool({ name, arguments: args })) as ToolResult,
    close: () => client.close(),
  };
}

/** The text blocks of a result, joined. */
export function textOf(result: ToolResult): string {
  return result.content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

/** The JSON details line of a successful result. */
export function detailsOf(result: ToolResult): Record<string, unknown> {
  const line = textOf(result).split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON details in: ${textOf(result)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/** The bytes of the result's image block. */
export function imageOf(result: ToolResult): Buffer {
  const block = result.content.find((c) => c.type === 'image');
  if (!block?.data) throw new Error(`no image block in: ${textOf(result)}`);
  return Buffer.from(block.data, 'base64');
}
