/** A real MCP client for the Genimix server over stdio, shared by the demo and the tests. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

/** The built `genimix-mcp` bin. */
export const SERVER_BIN = path.join(
  path.dirname(fileURLToPath(import.meta.resolve('@genimix/mcp-server/package.json'))),
  'dist',
  'cli.js',
);

/** A tool result as the tests read it. */
export interface ToolResult {
  isError?: boolean;
  content: Array<{
    type: string;
    text?: string;
    data?: string;
    mimeType?: string;
    uri?: string;
    name?: string;
    size?: number;
  }>;
  structuredContent?: Record<string, unknown>;
}

/** A real MCP client connected over stdio to a freshly spawned `genimix-mcp`. */
export async function connectServer(
  env: Record<string, string>,
  options: { cwd?: string; args?: readonly string[] } = {},
): Promise<{
  client: Client;
  stderr: () => string;
  call(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  close(): Promise<void>;
}> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [...(options.args ?? [SERVER_BIN])],
    env: { PATH: process.env.PATH ?? '', ...env },
    stderr: 'pipe',
    ...(options.cwd ? { cwd: options.cwd } : {}),
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
  return result.content
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** The structured content of a successful result (the same facts as its text's JSON line). */
export function detailsOf(result: ToolResult): Record<string, unknown> {
  if (!result.structuredContent) throw new Error(`no structured content in: ${textOf(result)}`);
  return result.structuredContent;
}

/** The result's `resource_link` block. */
export function resourceLinkOf(result: ToolResult): { uri: string; name?: string; mimeType?: string; size?: number } {
  const block = result.content.find((c) => c.type === 'resource_link');
  if (!block?.uri) throw new Error(`no resource link in: ${textOf(result)}`);
  return block as { uri: string };
}

/** The bytes of the result's image block. */
export function imageOf(result: ToolResult): Buffer {
  const block = result.content.find((c) => c.type === 'image');
  if (!block?.data) throw new Error(`no image block in: ${textOf(result)}`);
  return Buffer.from(block.data, 'base64');
}

/** The bytes of a `resources/read` of `uri` (its one blob). */
export async function readResource(client: Client, uri: string): Promise<Buffer> {
  const { contents } = await client.readResource({ uri });
  const blob = contents[0] && 'blob' in contents[0] ? contents[0].blob : undefined;
  if (typeof blob !== 'string') throw new Error(`resources/read of ${uri} gave no blob`);
  return Buffer.from(blob, 'base64');
}
