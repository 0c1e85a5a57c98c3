/** `--model provider/modelId`: which model generates, checked before anything is sent. */
import { DEFAULT_MODEL, findModel, findModelById } from '@genimix/core';
import { UsageError } from './exit-codes.js';

/** A model as Generate sends it. */
export interface ModelChoice {
  provider: string;
  modelId: string;
  /** `provider/modelId`: how the command shows it and how batch ids are derived. */
  key: string;
  /** False for a model the catalog does not list: sent all the same (the server decides). */
  known: boolean;
  /** False for one the catalog lists as coming soon: sent all the same, with a note. */
  available: boolean;
}

/** `--model`'s default: the catalog's default model. */
export const DEFAULT_MODEL_KEY = `${DEFAULT_MODEL.provider}/${DEFAULT_MODEL.modelId}`;

/**
 * Reads `--model`: `provider/modelId`, or a model id the catalog knows alone (`dall-e-3`). A
 * provider/modelId the catalog does not know is taken as given: plans and the catalog change.
 *
 * @throws {UsageError} for anything else, naming `--model` and `genimix models`
 */
export function parseModel(value: string | undefined): ModelChoice {
  const text = (value ?? DEFAULT_MODEL_KEY).trim();
  const slash = text.indexOf('/');
  if (slash < 0) {
    const byId = findModelById(text);
    if (byId)
      return {
        provider: byId.provider,
        modelId: byId.modelId,
        key: `${byId.provider}/${byId.modelId}`,
        known: true,
        available: byId.available,
      };
  }
  const provider = text.slice(0, slash);
  const modelId = text.slice(slash + 1);
  if (slash <= 0 || modelId === '' || /\s/.test(text)) {
    throw new UsageError(
      '--model',
      `--model must be provider/modelId, such as ${DEFAULT_MODEL_KEY}; got ${JSON.stringify(text.slice(0, 80))}. Run genimix models for the list.`,
    );
  }
  const entry = findModel(provider, modelId);
  return {
    provider,
    modelId,
    key: `${provider}/${modelId}`,
    known: entry !== undefined,
    available: entry?.available ?? false,
  };
}
