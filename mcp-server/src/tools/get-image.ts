import type { McpServer } from '@modelcontextprotocol/server';
import { buildUrl } from '@genimix/core';
import { z } from 'zod/v4';
import { errorResult, imageContent } from '../tool-result.js';
import { type ToolDeps, projectIdDescription } from './deps.js';

/** `get_image`: fetches a stored image and returns it (inline up to 700 KB, else as a local file). */
export function registerGetImage(server: McpServer, { client, config }: ToolDeps): void {
  server.registerTool(
    'get_image',
    {
      title: 'Get image',
      description:
        'Fetch an image stored in the Genimix project by its imageId and return it so you can see it (above 700 KB, the full image is written to a local file and its path returned instead). Free: it does not cost tokens.',
      inputSchema: z.object({
        imageId: z.string().describe('The id the image was generated or uploaded under.'),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      annotations: { title: 'Get image', readOnlyHint: true, openWorldHint: true },
    },
    async (args, ctx) => {
      try {
        const projectId = args.projectId ?? config.projectId;
        const image = await client.getImage({ imageId: args.imageId, projectId }, { signal: ctx.mcpReq.signal });
        const imageUrl = buildUrl(config.baseUrl, projectId, 'image', args.imageId);
        return { content: await imageContent({ projectId, imageId: args.imageId, imageUrl, ...image }, config.outputDir, `Image "${args.imageId}" of project "${projectId}".`) };
      } catch (error) {
        return errorResult(error, config.baseUrl);
      }
    },
  );
}
