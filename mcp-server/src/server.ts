import { GenimixClient, type Transport } from '@genimix/core';
import { McpServer } from '@modelcontextprotocol/server';
import { version } from '../package.json';
import type { ServerConfig } from './config.js';
import { Generations } from './generations.js';
import { registerImageResource } from './resources/image-resource.js';
import { registerDeleteImage } from './tools/delete-image.js';
import { registerGenerateImage } from './tools/generate-image.js';
import { registerGetImage } from './tools/get-image.js';
import { registerListModels } from './tools/list-models.js';
import { registerUploadImage } from './tools/upload-image.js';

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
  /**
   * Generations that outlive the call that started them, shared by every server this factory
   * makes for one process (so `get_image` finds them whichever server instance serves it).
   * Default: a registry of this server's own.
   */
  generations?: Generations;
  /** Aborted when the process is about to exit: calls waiting on a generation answer "pending" at once. */
  shutdown?: AbortSignal;
}

/**
 * A factory of the Genimix MCP server: one `McpServer` with the tools `generate_image`,
 * `get_image`, `upload_image`, `delete_image` and `list_models`, and the resource template
 * `genimix://images/{projectId}/{imageId}` of full images, over one core client. Pass it to
 * `serveStdio`, or connect it to any MCP transport.
 */
export function createGenimixServer({
  config,
  transport,
  generations = new Generations(),
  shutdown,
}: CreateServerOptions): McpServer {
  const client = new GenimixClient({
    apiKey: config.apiKey,
    projectId: config.projectId,
    baseUrl: config.baseUrl,
    ...(transport ? { transport } : {}),
  });
  const server = new McpServer(
    { name: 'genimix', title: 'Genimix', version },
    {
      // The tools and resources never change: saying so (the SDK would claim listChanged) makes a
      // 2026 client's subscriptions/listen end at once, instead of holding an HTTP connection,
      // and the drain after SIGTERM, open with nothing ever to send.
      capabilities: { tools: { listChanged: false }, resources: { listChanged: false } },
      instructions:
        'Genimix generates images from prompts with Google, OpenAI and Stability models, and stores them per project under an imageId. ' +
        'generate_image costs tokens; list_models, get_image, upload_image and delete_image are free. ' +
        'Image results show the image, or a preview of it when it is large; the full image is the linked genimix:// resource. ' +
        'A generate_image that answers status "pending" is still running and billed once: call get_image with its imageId, never generate_image again.',
    },
  );
  const deps = { client, config, generations, ...(shutdown ? { shutdown } : {}) };
  registerGenerateImage(server, deps);
  registerGetImage(server, deps);
  registerUploadImage(server, deps);
  registerDeleteImage(server, deps);
  registerListModels(server);
  registerImageResource(server, deps);
  return server;
}
