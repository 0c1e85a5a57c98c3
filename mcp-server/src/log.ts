/**
 * Diagnostics go to stderr: on stdio, stdout carries the protocol and nothing else.
 * Hosts show stderr in their MCP logs (Claude Desktop: `mcp-server-genimix.log`).
 */
export function logError(message: string): void {
  process.stderr.write(`[genimix-mcp] ${message}\n`);
}
