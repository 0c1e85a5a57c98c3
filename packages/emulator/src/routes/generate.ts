import { checkModelField, checkPrompt, findModel, findModelById, MODELS } from '@genimix/core';
import { ClientAbortedError, readBody } from '../body.js';
import type { GenerationRegistry } from '../generations.js';
import type { LatencyOf } from '../latency.js';
import type { RenderInput } from '../render.js';
import { HttpError, jsonReply, type Reply } from '../respond.js';
import type { RouteContext } from './context.js';

/**
 * The largest generate body read, in bytes: a 4,000-character prompt is at most 16,000 bytes of
 * UTF-8, and JSON escapes can make it up to six times that; anything longer is no valid request.
 */
export const MAX_GENERATE_BODY_BYTES = 128 * 1024;

/** How Generate draws and how long it waits, from the emulator's options. */
export interface GenerateSettings {
  /** Draws the image: the profile's (see profiles.ts). */
  render(input: RenderInput): Promise<Buffer>;
  /** The model's latency, in ms (see latency.ts). */
  readonly latencyOf: LatencyOf;
  /** Where the wait is listed, for `emulator.generations`. */
  readonly generations: GenerationRegistry;
}

/**
 * `PUT /v1/:projectId/generate/:imageId`: checks `{ provider, modelId, prompt }`, waits the
 * model's latency while it draws the image (see profiles.ts), stores it as `image/png` under the
 * id (replacing any image there) and answers its URL. A request refused (400) is refused at once.
 * Until the wait is over nothing is stored, so a Get meanwhile answers as before (404 for a new
 * id); a client that goes away during the wait leaves nothing stored.
 */
export async function generate(ctx: RouteContext): Promise<Reply> {
  const type = (ctx.req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(
      400,
      `Content-Type must be application/json for generate; got ${type === '' ? 'none' : JSON.stringify(type)}.`,
    );
  }
  const body = parseJson(await readBody(ctx.req, ctx.res, MAX_GENERATE_BODY_BYTES, 'generate request body'));
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'The body must be a JSON object { "provider", "modelId", "prompt" }.');
  }
  const fields = body as Record<string, unknown>;
  // Core checks, messages passed through: the client refuses the same input with the same words.
  const provider = checkModelField('provider', fields.provider);
  const modelId = checkModelField('modelId', fields.modelId);
  const prompt = checkPrompt(fields.prompt);
  checkModelAvailable(provider, modelId);

  const input = { provider, modelId, prompt };
  // Drawn while the latency runs, as a model works while its client waits: the answer comes
  // after the latency or the drawing, whichever takes longer.
  const drawing = ctx.generate.render(input);
  // Should the wait end the request, nobody awaits the drawing: its failure must not go unhandled.
  drawing.catch(() => {});
  const target = { projectId: ctx.projectId, imageId: ctx.imageId, provider, modelId };
  if (!(await ctx.generate.generations.wait(target, ctx.generate.latencyOf(provider, modelId), ctx.signal))) {
    throw new ClientAbortedError('The client went away during the model latency.');
  }
  const png = await drawing;
  await ctx.store.put(ctx.projectId, ctx.imageId, { contentType: 'image/png', bytes: png });
  return jsonReply(200, { success: true, message: 'Image generated successfully', imageUrl: ctx.imageUrl });
}

function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) {
    throw new HttpError(400, 'The body is empty: send JSON { "provider", "modelId", "prompt" }.');
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new HttpError(400, 'The body is not valid JSON (UTF-8): send JSON { "provider", "modelId", "prompt" }.');
  }
}

/** @throws {HttpError} 400 for a model the catalog does not have, or has as "coming soon" */
function checkModelAvailable(provider: string, modelId: string): void {
  const available = MODELS.filter((m) => m.available)
    .map((m) => `${m.provider}/${m.modelId}`)
    .join(', ');
  const model = findModel(provider, modelId);
  if (!model) {
    const elsewhere = findModelById(modelId);
    const hint = elsewhere ? ` (modelId "${modelId}" belongs to provider "${elsewhere.provider}")` : '';
    throw new HttpError(
      400,
      `Unknown model: provider "${provider}" has no modelId "${modelId}"${hint}. Available: ${available}.`,
    );
  }
  if (!model.available) {
    throw new HttpError(
      400,
      `Model ${provider}/${modelId} (${model.name}) is not available yet (coming soon). Available: ${available}.`,
    );
  }
}
