import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { errorResult, textResult } from '../tool-result.js';
import { type ToolDeps, projectIdDescription } from './deps.js';

/** `delete_image`: deletes a stored image. */
export function registerDeleteImage(server: McpServer, { client, config }: ToolDeps): void {
  server.registerTool(
    'delete_image',
    {
      title: 'Delete image',
      description: 'Delete an image from the Genimix project for good. It cannot be undone: delete only what the user asked to delete. Free.',
      inputSchema: z.object({
        imageId: z.string().describe('The id of the image to delete.'),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      annotations: { title: 'Delete image', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    async (args, ctx) => {
      try {
        const projectId = args.projectId ?? config.projectId;
        const result = await client.deleteImage({ imageId: args.imageId, projectId }, { signal: ctx.mcpReq.signal });
        return textResult(`Deleted image "${result.deleted}" from project "${projectId}".\n${JSON.stringify({ projectId, deleted: result.deleted })}`);
      } catch (error) {
        return errorResult(error, config.baseUrl);
      }
    },
  );
}
