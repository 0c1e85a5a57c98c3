/**
 * What the real models return, for the `realistic` profile: the image sizes and a typical time to
 * answer. Sizes are each provider's documented output sizes (the API has no size parameter, so the
 * emulator picks one); latencies are typical figures for one image, measured from the request to
 * the answer, and only a default: see the emulator's `latencyMs` and `latencyScale` options.
 */

import { inputHash, type RenderInput } from '../render.js';

/** A width and height, in pixels. */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** One model as the `realistic` profile emulates it. */
export interface RealisticModel {
  readonly provider: string;
  readonly modelId: string;
  /**
   * The sizes it returns. With more than one, the prompt picks: the first byte of the SHA-256 of
   * provider, modelId and prompt, modulo the number of sizes (see {@link realisticImageSize}).
   */
  readonly sizes: readonly ImageSize[];
  /** How long a Generate with it takes to answer, in ms, before `latencyScale`. */
  readonly latencyMs: number;
}

const SQUARE: ImageSize = Object.freeze({ width: 1024, height: 1024 });

/**
 * The catalog's available models as the `realistic` profile emulates them. DALL·E 3 returns its
 * three sizes (square, landscape, portrait) picked by the prompt; the others return 1024×1024.
 */
export const REALISTIC_MODELS: readonly RealisticModel[] = Object.freeze(
  [
    { provider: 'google', modelId: 'imagen-3.0-generate-002', sizes: [SQUARE], latencyMs: 12_000 },
    { provider: 'google', modelId: 'gemini-2.0-flash-preview-image-generation', sizes: [SQUARE], latencyMs: 8_000 },
    {
      provider: 'openai',
      modelId: 'dall-e-3',
      sizes: [SQUARE, Object.freeze({ width: 1792, height: 1024 }), Object.freeze({ width: 1024, height: 1792 })],
      latencyMs: 20_000,
    },
    { provider: 'openai', modelId: 'dall-e-2', sizes: [SQUARE], latencyMs: 10_000 },
  ].map((m) => Object.freeze({ ...m, sizes: Object.freeze(m.sizes) })),
);

/**
 * For a model the table does not list (one the catalog adds later): a square image after 10 s,
 * so the emulator keeps working until the table catches up.
 */
export const FALLBACK_MODEL: Omit<RealisticModel, 'provider' | 'modelId'> = Object.freeze({
  sizes: Object.freeze([SQUARE]),
  latencyMs: 10_000,
});

/** The table's entry for a model, or {@link FALLBACK_MODEL}'s figures under its name. */
export function realisticModel(provider: string, modelId: string): RealisticModel {
  return (
    REALISTIC_MODELS.find((m) => m.provider === provider && m.modelId === modelId) ?? {
      provider,
      modelId,
      ...FALLBACK_MODEL,
    }
  );
}

/**
 * The size of the image the `realistic` profile generates for a request: the model's only size,
 * or for DALL·E 3 the one its prompt picks. Tests use it to know which size to expect.
 */
export function realisticImageSize(input: RenderInput): ImageSize {
  const { sizes } = realisticModel(input.provider, input.modelId);
  return sizes[inputHash(input)[0]! % sizes.length]!;
}
