#!/usr/bin/env node
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { ConfigError, loadConfig } from './config.js';
import { logError } from './log.js';
import { createGenimixServer, MAX_MESSAGE_BYTES } from './server.js';

// stdout is the protocol channel: every diagnostic goes to stderr.
let config;
try {
  config = loadConfig();
} catch (error) {
  process.stderr.write(`genimix-mcp: ${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
const serverConfig = config;
serveStdio(() => createGenimixServer({ config: serverConfig }), {
  transport: new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES }),
  onerror: (error) => logError(`transport: ${error.message}`),
});
logError(`serving project "${serverConfig.projectId}" at ${serverConfig.baseUrl} on stdio`);
