import { GenimixClient, type Transport } from '@genimix/core';
import { McpServer } from '@modelcontextprotocol/server';
import type { ServerConfig } from './config.js';
import { registerDeleteImage } from './tools/delete-image.js';
import { registerGenerateImage } from './tools/generate-image.js';
import { registerGetImage } from './tools/get-image.js';
import { registerUploadImage } from './tools/upload-image.js';
import { version } from '../package.json';

/**
 * The largest MCP message the stdio server reads, in bytes: room for `upload_image` with a
 * 50 MiB image as base64 (about 67 MiB) and the JSON around it. The SDK's default, 10 MiB,
 * would close the connection on any image over about 7.5 MiB.
 */
export const MAX_MESSAGE_BYTES = 72 * 1024 * 1024;

/** Options of {@link createGenimixServer}. */
export interface CreateServerOptions {
  config: ServerConfig;
  /** The HTTP transport of the core client; default: undici. */
  transport?: Transport;
}

/**
 * A factory of the Genimix MCP server: one `McpServer` with the tools `generate_image`,
 * `get_image`, `upload_image` and `delete_image`, over one core client. Pass it to
 * `serveStdio`, or connect it to any MCP transport.
 */
export function createGenimixServer({ config, transport }: CreateServerOptions): McpServer {
  const client = new GenimixClient({ apiKey: config.apiKey, projectId: config.projectId, baseUrl: config.baseUrl, ...(transport ? { transport } : {}) });
  const server = new McpServer(
    { name: 'genimix', title: 'Genimix', version },
    {
      capabilities: { tools: {} },
      instructions:
        'Genimix generates images from prompts with Google, OpenAI and Stability models, and stores them per project under an imageId. ' +
        'generate_image costs tokens; get_image, upload_image and delete_image are free. Images are returned inline up to 700 KB.',
    },
  );
  const deps = { client, config };
  registerGenerateImage(server, deps);
  registerGetImage(server, deps);
  registerUploadImage(server, deps);
  registerDeleteImage(server, deps);
  return server;
}
