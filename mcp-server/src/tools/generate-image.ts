import { createImageId, DEFAULT_MODEL, findModelById, GenimixValidationError, MODELS } from '@genimix/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod/v4';
import { reportProgress } from '../progress.js';
import { errorResult, errorText, generateErrorResult, imageContent, textResult } from '../tool-result.js';
import { type ToolDeps, projectIdDescription } from './deps.js';

const catalog = MODELS.map((m) => `${m.provider}/${m.modelId} (${m.name}, ${m.available ? `${m.costTokens} tokens per image` : 'coming soon'})`).join('; ');

/**
 * `generate_image`: generates an image from a prompt, stores it in the project and returns it.
 * The model defaults to {@link DEFAULT_MODEL} (Google Imagen 3.0, the documentation's own example).
 */
export function registerGenerateImage(server: McpServer, { client, config }: ToolDeps): void {
  server.registerTool(
    'generate_image',
    {
      title: 'Generate image',
      description:
        'Generate an image from a text prompt with Genimix, store it in the Genimix project, and return it so you can see it. ' +
        `Each call is billed in Genimix tokens (cost depends on the model): call it once per image the user wants, and do not retry a call that succeeded. ` +
        `Models: ${catalog}. Default: ${DEFAULT_MODEL.provider}/${DEFAULT_MODEL.modelId}. ` +
        'The result has the image (or, above 700 KB, the path of a local file with it) and its imageId, which get_image, upload_image and delete_image take.',
      inputSchema: z.object({
        prompt: z.string().describe('What the image should show, in plain words: subject, style, composition, colours. 1 to 4,000 characters.'),
        provider: z.string().optional().describe(`Model provider: google, openai or stability. Omit it to use the provider of modelId, or the default model's (${DEFAULT_MODEL.provider}).`),
        modelId: z.string().optional().describe(`Model id, e.g. ${MODELS.filter((m) => m.available).map((m) => m.modelId).join(', ')}. Omit it for the default (${DEFAULT_MODEL.modelId}). A model marked coming soon may be refused.`),
        imageId: z.string().optional().describe('Name to store the image under: 1–128 characters of letters, digits, ".", "_" or "-". Omit it to get a fresh unique id. An existing image with this id is replaced.'),
        projectId: z.string().optional().describe(projectIdDescription(config)),
      }),
      annotations: { title: 'Generate image', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    },
    async (args, ctx) => {
      const imageId = args.imageId ?? createImageId();
      const projectId = args.projectId ?? config.projectId;
      let provider: string, modelId: string, imageUrl: string;
      try {
        ({ provider, modelId } = chooseModel(args.provider, args.modelId));
        await reportProgress(ctx, 0, 2, `Generating with ${provider}/${modelId}`);
        ({ imageUrl } = await client.generateImage({ imageId, provider, modelId, prompt: args.prompt, projectId }, { signal: ctx.mcpReq.signal }));
      } catch (error) {
        return generateErrorResult(error, config.baseUrl, imageId);
      }
      const summary = `Generated image "${imageId}" in project "${projectId}" with ${provider}/${modelId}.`;
      try {
        await reportProgress(ctx, 1, 2, 'Fetching the image');
        const image = await client.getImage({ imageId, projectId }, { signal: ctx.mcpReq.signal });
        const content = await imageContent({ projectId, imageId, imageUrl, ...image }, config.outputDir, summary);
        await reportProgress(ctx, 2, 2, 'Done');
        return { content };
      } catch (error) {
        // The image exists and was billed: not an error result, so that the model does not generate it again.
        const reason = errorText(errorResult(error, config.baseUrl));
        return textResult(`${summary} It is stored at ${imageUrl}, but showing it failed: ${reason} Call get_image with imageId "${imageId}" to try again; do not generate it again.\n${JSON.stringify({ projectId, imageId, imageUrl, provider, modelId })}`);
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
    if (provider === undefined || provider === DEFAULT_MODEL.provider) return { provider: DEFAULT_MODEL.provider, modelId: DEFAULT_MODEL.modelId };
    const first = MODELS.find((m) => m.provider === provider && m.available) ?? MODELS.find((m) => m.provider === provider);
    if (!first) throw new GenimixValidationError('modelId', `modelId is required for provider "${provider}", which the catalog does not know: pass the model id its documentation gives.`);
    return { provider, modelId: first.modelId };
  }
  if (provider !== undefined) return { provider, modelId };
  const known = findModelById(modelId);
  if (!known) throw new GenimixValidationError('provider', `provider is required for modelId "${modelId}", which the catalog does not know: pass provider too (google, openai or stability).`);
  return { provider: known.provider, modelId };
}
