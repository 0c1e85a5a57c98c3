/**
 * The model catalog, from the Genimix API documentation's "Available Models" table
 * (genimix-api.md, "Models"). Plans may limit it and it changes over time: offer it as
 * suggestions and defaults, but send any provider/modelId a user gives (the server decides).
 */

/** One model of the catalog. */
export interface ModelInfo {
  /** Provider id sent as `provider`, e.g. `google`. */
  readonly provider: string;
  /** Model id sent as `modelId`, e.g. `imagen-3.0-generate-002`. */
  readonly modelId: string;
  /** Display name, e.g. `Imagen 3.0`. */
  readonly name: string;
  /** Cost of one image in Genimix tokens; `null` where the docs say "TBD". */
  readonly costTokens: number | null;
  /** False for models the docs mark "coming soon". */
  readonly available: boolean;
}

/** Every model of the documentation's table, available ones first. */
export const MODELS: readonly ModelInfo[] = Object.freeze(
  [
    { provider: 'google', modelId: 'imagen-3.0-generate-002', name: 'Imagen 3.0', costTokens: 6, available: true },
    {
      provider: 'google',
      modelId: 'gemini-2.0-flash-preview-image-generation',
      name: 'Gemini 2.0 Flash',
      costTokens: 8,
      available: true,
    },
    { provider: 'openai', modelId: 'dall-e-3', name: 'DALL·E 3', costTokens: 16, available: true },
    { provider: 'openai', modelId: 'dall-e-2', name: 'DALL·E 2', costTokens: 4, available: true },
    {
      provider: 'stability',
      modelId: 'stable-image-ultra',
      name: 'Stable Image Ultra',
      costTokens: null,
      available: false,
    },
    {
      provider: 'stability',
      modelId: 'stable-image-core',
      name: 'Stable Image Core',
      costTokens: null,
      available: false,
    },
    {
      provider: 'stability',
      modelId: 'stable-image-sd3',
      name: 'Stable Diffusion 3.5',
      costTokens: null,
      available: false,
    },
  ].map((m) => Object.freeze(m)),
);

/**
 * The default model where a caller names none: Google Imagen 3.0, the first model of the
 * documentation's table and its own example.
 */
export const DEFAULT_MODEL: ModelInfo = MODELS[0]!;

/** The catalog entry for a provider and model id, or `undefined` for one the catalog does not know. */
export function findModel(provider: string, modelId: string): ModelInfo | undefined {
  return MODELS.find((m) => m.provider === provider && m.modelId === modelId);
}

/**
 * The catalog entry for a model id alone (model ids are unique across providers), or `undefined`.
 */
export function findModelById(modelId: string): ModelInfo | undefined {
  return MODELS.find((m) => m.modelId === modelId);
}
