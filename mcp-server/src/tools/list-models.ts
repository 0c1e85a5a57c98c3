import { DEFAULT_MODEL, MODELS } from '@genimix/core';
import type { McpServer } from '@modelcontextprotocol/server';
import { listModelsOutput } from '../results/schemas.js';
import { toolInput } from './input.js';

/**
 * `list_models`: the model catalog of the Genimix documentation (genimix-api.md, "Models"). Read
 * from the core, not from the API, which has no such endpoint; plans may still refuse a model.
 */
export function registerListModels(server: McpServer): void {
  server.registerTool(
    'list_models',
    {
      title: 'List models',
      description:
        'List the image models Genimix offers: provider, modelId, name, cost in Genimix tokens per image, and whether it is available or coming soon. ' +
        'Pass provider and modelId to generate_image. Free; sends nothing to Genimix.',
      inputSchema: toolInput({}),
      outputSchema: listModelsOutput,
      annotations: { title: 'List models', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      const models = MODELS.map((m) => ({
        provider: m.provider,
        modelId: m.modelId,
        name: m.name,
        costTokens: m.costTokens,
        available: m.available,
        default: m === DEFAULT_MODEL,
      }));
      const lines = models.map(
        (m) =>
          `${m.provider}/${m.modelId}: ${m.name}, ${m.available ? `${m.costTokens} tokens per image` : 'coming soon'}${m.default ? ' (default)' : ''}`,
      );
      const facts = { models };
      return {
        content: [
          {
            type: 'text',
            text: `Genimix models (the catalog; the user's plan may limit it):\n${lines.join('\n')}\n${JSON.stringify(facts)}`,
          },
        ],
        structuredContent: facts,
      };
    },
  );
}
