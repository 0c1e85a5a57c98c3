import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { startHeartbeat } from '../progress.js';
import { errorResult, generateErrorResult } from '../results/errors.js';
import { imageResult } from '../results/image.js';
import { pendingResult } from '../results/pending.js';
import { getImageOutput } from '../results/schemas.js';
import { projectIdDescription, type ToolDeps, waitSignal } from './deps.js';
import { toolInput } from './input.js';

/**
 * `get_image`: fetches a stored image and shows it (a preview when it is large). An image this
 * server is still generating is waited for, up to `GENIMIX_MAX_WAIT_MS`, instead of answering 404.
 */
export function registerGetImage(server: McpServer, { client, config, generations, shutdown }: ToolDeps): void {
  server.registerTool(
    'get_image',
    {
      title: 'Get image',
      description:
        `Fetch an image stored in the Genimix project by its imageId and show it to you (a preview when it is large; the full image is linked as a resource${config.remote ? '' : ' and saved to a local file'}). ` +
        'If generate_image answered status "pending" for this imageId, get_image waits for the generation to finish and returns the image. Free: it does not cost tokens.',
      inputSchema: toolInput({
        imageId: z.string().describe('The id the image was generated or uploaded under.'),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      outputSchema: getImageOutput,
      annotations: { title: 'Get image', readOnlyHint: true, openWorldHint: true },
    },
    async (args, ctx) => {
      const projectId = args.projectId ?? config.projectId;
      const { imageId } = args;
      const running = generations.find(projectId, imageId);
      // Progress until the answer: while a generation is waited for, then while the image is
      // fetched and its preview made (previews wait their turn: one at a time on stdio).
      const stopHeartbeat = startHeartbeat(ctx, config.progressIntervalMs, () =>
        running && !running.outcome
          ? `Waiting for "${imageId}" to be generated: ${running.elapsedSeconds} s so far`
          : `Fetching "${imageId}" and making its preview`,
      );
      try {
        if (running) {
          const waited = await running.wait(config.maxWaitMs, waitSignal(ctx.mcpReq.signal, shutdown));
          if (waited === 'running') return pendingResult(running, 'get');
          // This call reports the outcome: later calls fetch from Genimix as usual.
          generations.forget(running);
          if (!waited.ok) return generateErrorResult(waited.error, config, imageId);
        }
        const image = await client.getImage({ imageId, projectId }, { signal: ctx.mcpReq.signal });
        return await imageResult(
          { projectId, imageId, imageUrl: undefined, ...image },
          config,
          `Image "${imageId}" of project "${projectId}".`,
        );
      } catch (error) {
        return errorResult(error, config);
      } finally {
        stopHeartbeat();
      }
    },
  );
}
