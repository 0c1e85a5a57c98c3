/**
 * Generate's latency per model: the profile's figure, or the one the `latencyMs` option sets for
 * the model, times `latencyScale`. Checked once, when the emulator starts, so that a typo in a
 * model name or a wait no timer can make fails then and not at the first request.
 */
import { MODELS } from '@genimix/core';
import type { Profile } from './profiles.js';

/** The longest latency, in ms: 2,147,483,647 (about 24.8 days), the longest a Node timer waits. */
export const MAX_LATENCY_MS = 2_147_483_647;

/** The options that set latencies; see `EmulatorOptions`. */
export interface LatencyOptions {
  readonly latencyScale?: number | undefined;
  readonly latencyMs?: Readonly<Record<string, number>> | undefined;
}

/** A model's latency after the options, in ms: what a Generate with it waits. */
export type LatencyOf = (provider: string, modelId: string) => number;

/** The available models as `latencyMs` keys: `provider/modelId`. */
function modelKeys(): string[] {
  return MODELS.filter((m) => m.available).map((m) => `${m.provider}/${m.modelId}`);
}

/**
 * Each model's latency under `profile` and the options: `latencyMs[provider/modelId]` if given,
 * else the profile's; times `latencyScale` (default 1), rounded to whole ms.
 *
 * @throws {TypeError} for a `latencyScale` that is not a finite number ≥ 0; a `latencyMs` that is
 *   not a record, has a key that is not an available model as `provider/modelId`, or a value that
 *   is not a whole number of ms from 0 to {@link MAX_LATENCY_MS}; or a scaled latency over
 *   {@link MAX_LATENCY_MS}
 */
export function latencyOf(profile: Profile, options: LatencyOptions): LatencyOf {
  const scale = options.latencyScale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
    throw new TypeError(
      `latencyScale must be a finite number ≥ 0 (1: as listed, 0.01: a hundredth, 0: no latency); got ${String(scale)}.`,
    );
  }
  const explicit = checkLatencyMs(options.latencyMs);
  const scaled = (provider: string, modelId: string) =>
    Math.round((explicit.get(`${provider}/${modelId}`) ?? profile.latencyMs(provider, modelId)) * scale);
  for (const key of modelKeys()) {
    const [provider, modelId] = splitKey(key);
    const ms = scaled(provider, modelId);
    if (ms > MAX_LATENCY_MS) {
      throw new TypeError(
        `latencyScale ${scale} makes the latency of ${key} ${ms} ms, over ${MAX_LATENCY_MS} ms, the longest wait a timer takes.`,
      );
    }
  }
  return scaled;
}

/**
 * Parses one `--latency` value, `<provider>/<modelId>=<ms>`, e.g. `openai/dall-e-3=70000`.
 *
 * @returns the model key (`provider/modelId`) and the latency in ms
 * @throws {TypeError} whose message names the bad part, for any other shape, a model that is not
 *   available in the catalog, or ms that are not a whole number from 0 to {@link MAX_LATENCY_MS}
 */
export function parseLatencySpec(spec: string): [model: string, ms: number] {
  const eq = spec.lastIndexOf('=');
  if (eq < 0) throw new TypeError(`"${spec}": expected <provider>/<modelId>=<ms>, e.g. openai/dall-e-3=70000.`);
  const model = spec.slice(0, eq).trim();
  const value = spec.slice(eq + 1).trim();
  checkModelKey(model, `"${spec}"`);
  if (!/^\d+$/.test(value) || Number(value) > MAX_LATENCY_MS) {
    throw new TypeError(
      `"${spec}": the latency must be a whole number of ms from 0 to ${MAX_LATENCY_MS}; got "${value}".`,
    );
  }
  return [model, Number(value)];
}

/** `latencyMs` checked, as a map from model key to ms. */
function checkLatencyMs(latencyMs: unknown): Map<string, number> {
  const map = new Map<string, number>();
  if (latencyMs === undefined) return map;
  if (latencyMs === null || typeof latencyMs !== 'object' || Array.isArray(latencyMs)) {
    throw new TypeError('latencyMs must be a record from "provider/modelId" to ms, e.g. { "openai/dall-e-3": 70000 }.');
  }
  for (const [key, ms] of Object.entries(latencyMs)) {
    checkModelKey(key, `latencyMs["${key}"]`);
    if (!Number.isInteger(ms) || (ms as number) < 0 || (ms as number) > MAX_LATENCY_MS) {
      throw new TypeError(
        `latencyMs["${key}"] must be a whole number of ms from 0 to ${MAX_LATENCY_MS}; got ${String(ms)}.`,
      );
    }
    map.set(key, ms as number);
  }
  return map;
}

/** @throws {TypeError} unless `key` is an available model as `provider/modelId`; the message starts with `where` */
function checkModelKey(key: string, where: string): void {
  const keys = modelKeys();
  if (!keys.includes(key)) {
    const hint = key.includes('/') ? 'not an available model of the catalog' : 'not of the form <provider>/<modelId>';
    throw new TypeError(`${where}: "${key}" is ${hint}; use one of ${keys.join(', ')}.`);
  }
}

function splitKey(key: string): [provider: string, modelId: string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
