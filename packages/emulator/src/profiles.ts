/**
 * Profiles: how Generate behaves. `placeholder` (the default) answers at once with a small flat
 * picture, for fast tests; `realistic` answers as the real models do, late and with large
 * photo-like images of their sizes, for testing a client against what it will really get.
 */

import { realisticModel } from './realistic/models.js';
import { renderRealistic } from './realistic/render.js';
import { type RenderInput, renderImage } from './render.js';

/** A profile's name, as `createEmulator({ profile })` and `--profile` take it. */
export type ProfileName = 'placeholder' | 'realistic';

/** Every profile name, the default first. */
export const PROFILE_NAMES: readonly ProfileName[] = Object.freeze(['placeholder', 'realistic'] as const);

/** The profile of an emulator that names none. */
export const DEFAULT_PROFILE: ProfileName = 'placeholder';

/** What a profile decides. */
export interface Profile {
  readonly name: ProfileName;
  /** Draws the image a Generate stores: a PNG that depends only on `input`. */
  render(input: RenderInput): Promise<Buffer>;
  /** How long a Generate with this model takes to answer, in ms, before any `latencyMs` or `latencyScale` option. */
  latencyMs(provider: string, modelId: string): number;
}

const PROFILES: Readonly<Record<ProfileName, Profile>> = Object.freeze({
  // 1024×1024, some 100 KB, in some 40 ms, with no wait: what the emulator always did.
  placeholder: Object.freeze({ name: 'placeholder', render: renderImage, latencyMs: () => 0 }),
  // The sizes and latencies of realistic/models.ts; 1–4 MB, drawn in 0.15–0.35 s.
  realistic: Object.freeze({
    name: 'realistic',
    render: renderRealistic,
    latencyMs: (provider: string, modelId: string) => realisticModel(provider, modelId).latencyMs,
  }),
});

/**
 * The profile named `name` (default {@link DEFAULT_PROFILE}).
 *
 * @throws {TypeError} for a name that is not one of {@link PROFILE_NAMES}
 */
export function profileNamed(name: unknown = DEFAULT_PROFILE): Profile {
  if (typeof name === 'string' && Object.hasOwn(PROFILES, name)) return PROFILES[name as ProfileName];
  throw new TypeError(
    `profile must be ${PROFILE_NAMES.map((n) => `"${n}"`).join(' or ')}; got ${typeof name === 'string' ? JSON.stringify(name) : String(name)}.`,
  );
}
