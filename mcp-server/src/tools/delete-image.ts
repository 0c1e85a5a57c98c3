import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { errorResult } from '../results/errors.js';
import { stillGeneratingResult } from '../results/pending.js';
import { deleteImageOutput } from '../results/schemas.js';
import { projectIdDescription, type ToolDeps } from './deps.js';
import { toolInput } from './input.js';

/** `delete_image`: deletes a stored image. */
export function registerDeleteImage(server: McpServer, { client, config, generations }: ToolDeps): void {
  server.registerTool(
    'delete_image',
    {
      title: 'Delete image',
      description:
        'Delete an image from the Genimix project for good. It cannot be undone: delete only what the user asked to delete. Free.',
      inputSchema: toolInput({
        imageId: z.string().describe('The id of the image to delete.'),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      outputSchema: deleteImageOutput,
      annotations: {
        title: 'Delete image',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: true,
        openWorldHint: true,
      },
    },
    async (args, ctx) => {
      const projectId = args.projectId ?? config.projectId;
      // A generation still running would bring the image back when it finishes.
      const running = generations.find(projectId, args.imageId);
      if (running && !running.outcome) return stillGeneratingResult(running, 'delete');
      try {
        await client.deleteImage({ imageId: args.imageId, projectId }, { signal: ctx.mcpReq.signal });
        const facts = { projectId, imageId: args.imageId, deleted: true as const };
        return {
          content: [
            {
              type: 'text',
              text: `Deleted image "${args.imageId}" from project "${projectId}".\n${JSON.stringify(facts)}`,
            },
          ],
          structuredContent: facts,
        };
      } catch (error) {
        return errorResult(error, config);
      }
    },
  );
}
