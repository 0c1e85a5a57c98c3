import {
  createImageId,
  DEFAULT_MODEL,
  findModelById,
  GenimixAbortError,
  GenimixValidationError,
  MODELS,
} from '@genimix/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { startHeartbeat } from '../progress.js';
import { errorResult, errorText, generateErrorResult } from '../results/errors.js';
import { imageResult, shownImageUrl } from '../results/image.js';
import { pendingResult } from '../results/pending.js';
import { generateImageOutput } from '../results/schemas.js';
import { projectIdDescription, type ToolDeps, waitSignal } from './deps.js';
import { toolInput } from './input.js';

/**
 * `generate_image`: generates an image from a prompt, stores it in the project and shows it.
 * The model defaults to {@link DEFAULT_MODEL} (Google Imagen 3.0, the documentation's own example).
 *
 * Real models take 10–90 s, and hosts drop a call after about 60 s: the call waits at most
 * `GENIMIX_MAX_WAIT_MS` (progress every `GENIMIX_PROGRESS_INTERVAL_MS` meanwhile), then answers
 * that the image is still being generated. The request to Genimix goes on, and `get_image` on
 * the same id waits for it. A second generate_image of an image still being generated is
 * answered the same way, never sent (it would bill twice).
 */
export function registerGenerateImage(server: McpServer, { client, config, generations, shutdown }: ToolDeps): void {
  server.registerTool(
    'generate_image',
    {
      title: 'Generate image',
      description:
        'Generate an image from a text prompt with Genimix, store it in the Genimix project, and show it to you. ' +
        'Each call is billed in Genimix tokens (cost depends on the model; list_models gives them): call it once per image the user wants, and do not retry a call that succeeded or that answered status "pending". ' +
        `Default model: ${DEFAULT_MODEL.provider}/${DEFAULT_MODEL.modelId}. ` +
        `Generation can take a minute: if it is not done within ${Math.round(config.maxWaitMs / 1000)} s the result says status "pending", and get_image with the same imageId returns the image when it is done. ` +
        'The result shows the image (a preview when it is large), links the full image as a resource, and gives its imageId, which get_image, upload_image and delete_image take.',
      inputSchema: toolInput({
        prompt: z
          .string()
          .describe(
            'What the image should show, in plain words: subject, style, composition, colours. 1 to 4,000 characters.',
          ),
        provider: z
          .string()
          .optional()
          .describe(
            `Model provider: google, openai or stability. Omit it to use the provider of modelId, or the default model's (${DEFAULT_MODEL.provider}).`,
          ),
        modelId: z
          .string()
          .optional()
          .describe(
            `Model id, e.g. ${MODELS.filter((m) => m.available)
              .map((m) => m.modelId)
              .join(
                ', ',
              )}. Omit it for the default (${DEFAULT_MODEL.modelId}). A model marked coming soon may be refused.`,
          ),
        imageId: z
          .string()
          .optional()
          .describe(
            'Name to store the image under: 1–128 characters of letters, digits, ".", "_" or "-". Omit it to get a fresh unique id. An existing image with this id is replaced.',
          ),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      outputSchema: generateImageOutput,
      annotations: {
        title: 'Generate image',
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    async (args, ctx) => {
      const imageId = args.imageId ?? createImageId();
      const projectId = args.projectId ?? config.projectId;
      let provider: string, modelId: string;
      try {
        ({ provider, modelId } = chooseModel(args.provider, args.modelId));
      } catch (error) {
        return errorResult(error, config);
      }
      // A second request for an image still being generated would bill twice for it.
      const running = generations.find(projectId, imageId);
      if (running && !running.outcome) return pendingResult(running, 'duplicate-generate');

      const generation = generations.start(projectId, imageId, provider, modelId, (signal) =>
        client.generateImage({ imageId, provider, modelId, prompt: args.prompt, projectId }, { signal }),
      );
      // Progress until the answer: while the model renders, then while the image is fetched and
      // its preview made (previews wait their turn: one at a time on stdio).
      let phase = `Generating "${imageId}" with ${provider}/${modelId}`;
      const stopHeartbeat = startHeartbeat(
        ctx,
        config.progressIntervalMs,
        (ms) => `${phase}: ${Math.round(ms / 1000)} s so far`,
      );
      try {
        const waited = await generation.wait(config.maxWaitMs, waitSignal(ctx.mcpReq.signal, shutdown));
        if (waited === 'running') {
          // Cancelled by the client: the request to Genimix is cancelled with it.
          if (ctx.mcpReq.signal.aborted) {
            generation.cancel();
            generations.forget(generation);
            return generateErrorResult(
              new GenimixAbortError(`generate image "${imageId}" was cancelled.`),
              config,
              imageId,
            );
          }
          return pendingResult(generation, 'generate');
        }
        generations.forget(generation);
        if (!waited.ok) return generateErrorResult(waited.error, config, imageId);

        phase = `Generated "${imageId}"; fetching it and making its preview`;
        const summary = `Generated image "${imageId}" in project "${projectId}" with ${provider}/${modelId}.`;
        try {
          const image = await client.getImage({ imageId, projectId }, { signal: ctx.mcpReq.signal });
          return await imageResult({ projectId, imageId, imageUrl: waited.imageUrl, ...image }, config, summary, {
            provider,
            modelId,
          });
        } catch (error) {
          // The image exists and was billed: not an error result, so that the model does not generate it again.
          const reason = errorText(errorResult(error, config));
          const facts = {
            status: 'ready' as const,
            projectId,
            imageId,
            imageUrl: shownImageUrl(waited.imageUrl, config, projectId, imageId),
            provider,
            modelId,
          };
          const text = `${summary} It is stored, but showing it failed: ${reason} Call get_image with imageId "${imageId}" to try again; do not generate it again.`;
          return { content: [{ type: 'text', text: `${text}\n${JSON.stringify(facts)}` }], structuredContent: facts };
        }
      } finally {
        stopHeartbeat();
      }
    },
  );
}

/**
 * The provider and model to use: as given; the provider from the catalog when only a known
 * modelId is given; the default model when neither is.
 * @throws {GenimixValidationError} for an unknown modelId without a provider
 */
function chooseModel(provider: string | undefined, modelId: string | undefined): { provider: string; modelId: string } {
  if (modelId === undefined) {
    if (provider === undefined || provider === DEFAULT_MODEL.provider)
      return { provider: DEFAULT_MODEL.provider, modelId: DEFAULT_MODEL.modelId };
    const first =
      MODELS.find((m) => m.provider === provider && m.available) ?? MODELS.find((m) => m.provider === provider);
    if (!first)
      throw new GenimixValidationError(
        'modelId',
        `modelId is required for a provider the catalog does not know: pass the model id its documentation gives (list_models lists the known ones).`,
      );
    return { provider, modelId: first.modelId };
  }
  if (provider !== undefined) return { provider, modelId };
  const known = findModelById(modelId);
  if (!known)
    throw new GenimixValidationError(
      'provider',
      `provider is required for a modelId the catalog does not know: pass provider too (google, openai or stability; list_models lists the known models).`,
    );
  return { provider: known.provider, modelId };
}
