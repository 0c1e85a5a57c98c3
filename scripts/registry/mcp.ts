/**
 * An MCP server started as a host starts it (command, args, env, working directory from its
 * config) and driven by the SDK's real stdio client: what the checks of the installed server and
 * of the README's snippets share.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { logLine } from '../n8n/processes.js';

/** A host's server entry: `{ command, args, env }` as in claude_desktop_config.json or mcp.json. */
export interface ServerEntry {
  command: string;
  args?: string[];
  env?: Record<string, string>;
}

/** A connected server: its tools, a tool call, its stderr so far, and close (stops the process). */
export interface ConnectedServer {
  toolNames: string[];
  call(name: string, args: Record<string, unknown>): Promise<ToolResult>;
  stderr(): string;
  close(): Promise<void>;
}

/** A tool result as the checks read it. */
export interface ToolResult {
  isError?: boolean;
  content: Array<{ type: string; text?: string; data?: string; mimeType?: string; uri?: string }>;
  structuredContent?: Record<string, unknown>;
}

/**
 * Spawns `entry` with `baseEnv` under its own `env` (a host passes its environment plus the
 * entry's), connects, lists the tools. `label` names it in the run log; stderr goes there too.
 * @throws when the process cannot start or does not answer initialize and tools/list in `timeoutMs`
 */
export async function connect(
  label: string,
  entry: ServerEntry,
  options: { cwd: string; baseEnv: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ConnectedServer> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...options.baseEnv, ...entry.env })) if (v !== undefined) env[k] = v;
  logLine(`$ [${label}] ${[entry.command, ...(entry.args ?? [])].join(' ')}`);
  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args ?? [],
    env,
    cwd: options.cwd,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    for (const line of chunk.toString().split('\n')) if (line) logLine(`[${label}] ${line}`);
  });
  const client = new Client({ name: 'genimix-registry-test', version: '0.0.0' });
  const timeout = <T>(p: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p.finally(() => clearTimeout(timer)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `${label}: no answer to ${what} within ${options.timeoutMs / 1000} s; stderr: ${stderr.slice(-800)}`,
              ),
            ),
          options.timeoutMs,
        );
      }),
    ]);
  };
  try {
    await timeout(client.connect(transport), 'initialize');
    const { tools } = await timeout(client.listTools(), 'tools/list');
    return {
      toolNames: tools.map((t) => t.name).sort(),
      call: async (name, args) =>
        (await timeout(client.callTool({ name, arguments: args }), `tools/call ${name}`)) as ToolResult,
      stderr: () => stderr,
      close: () => client.close(),
    };
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
}

/** The tools the Genimix MCP server has. */
export const GENIMIX_TOOLS = ['delete_image', 'generate_image', 'get_image', 'list_models', 'upload_image'];
