import { GenimixAbortError, GenimixError } from '../errors.js';
import { sniffImageType } from '../image-type.js';
import type { RequestOptions } from '../request-options.js';
import type { ApiCall, ProbeResponse } from '../requester.js';
import type { OperationContext } from './context.js';

/**
 * The image id both probes ask for. No project has it, so a server that is Genimix answers 404,
 * and only after it has accepted the key (genimix-api.md: 401 and 403 come before the lookup).
 */
export const CREDENTIAL_PROBE_IMAGE_ID = 'genimix-credential-check-probe-that-does-not-exist';

/** Time allowed for each probe, in ms: a check should answer quickly or say it could not. */
const PROBE_TIMEOUT_MS = 15_000;

/**
 * What {@link checkCredentials} found:
 * - `ok`: the server refused a request without the key (401) and answered the one with it as
 *   Genimix answers for a missing image (404 with a JSON error);
 * - `not-genimix`: one of the two answers is not Genimix's, so the base URL points elsewhere
 *   (another service, a wrong path, a proxy's page);
 * - `key-refused`: the server looks like Genimix and refused the key (401);
 * - `no-project-access`: the key was accepted but may not use the project (403);
 * - `unavailable`: the server answered 429 or 5xx, so nothing can be said yet;
 * - `unreachable`: no answer (connection refused, DNS, time-out).
 *
 * `message` is a sentence for the user that says which probe looked wrong and what to check.
 */
export interface CredentialCheck {
  ok: boolean;
  problem?: 'not-genimix' | 'key-refused' | 'no-project-access' | 'unavailable' | 'unreachable';
  message: string;
}

/**
 * Checks a base URL, API key and project id the way only Genimix passes: a `GET` of an image
 * that cannot exist, first without the key (must be refused: 401), then with it (must be
 * Genimix's 404, a JSON error). The Genimix API has no "who am I" endpoint, and a check that
 * took any 404 as success would pass for any server at all. Nothing is retried; each probe has
 * 15 s. Never throws for what a server answers: every outcome is a {@link CredentialCheck}.
 *
 * @throws {GenimixAbortError} when `options.signal` aborts
 */
export async function checkCredentials(
  ctx: OperationContext,
  options: Pick<RequestOptions, 'signal'> = {},
): Promise<CredentialCheck> {
  const where = ctx.requester.redactUrl(ctx.requester.baseUrl);
  const call: ApiCall = {
    method: 'GET',
    projectId: ctx.projectId,
    kind: 'image',
    imageId: CREDENTIAL_PROBE_IMAGE_ID,
    action: 'check the credentials',
    retryClass: 'idempotent',
    maxRetries: 0,
    signal: options.signal,
    timeoutMs: PROBE_TIMEOUT_MS,
  };
  try {
    const anonymous = await ctx.requester.probe({ ...call, withoutKey: true });
    if (anonymous.status !== 401) {
      if (isBusy(anonymous.status)) return unavailable(where, anonymous, ctx);
      return {
        ok: false,
        problem: 'not-genimix',
        message: `This URL does not look like the Genimix API: ${where} answered a request without an API key with ${said(anonymous, ctx)}, where Genimix refuses it with 401. Check the Base URL (Genimix's is https://api.genimix.dev).`,
      };
    }
    const keyed = await ctx.requester.probe(call);
    if (keyed.status === 404 && isJsonError(keyed))
      return { ok: true, message: 'Connection successful: Genimix accepted the API key for this project.' };
    // An image under the probe's id is unlikely but still Genimix's answer.
    if (keyed.status === 200 && sniffImageType(keyed.body))
      return { ok: true, message: 'Connection successful: Genimix accepted the API key for this project.' };
    if (keyed.status === 401) {
      return {
        ok: false,
        problem: 'key-refused',
        message: `The key was refused: Genimix answered ${said(keyed, ctx)}. Copy the API key again from the Genimix dashboard (Settings → API Keys).`,
      };
    }
    if (keyed.status === 403) {
      return {
        ok: false,
        problem: 'no-project-access',
        message: `The key was refused for project "${ctx.projectId}": Genimix answered ${said(keyed, ctx)}. Check the Project ID, or use a key of that project.`,
      };
    }
    if (isBusy(keyed.status)) return unavailable(where, keyed, ctx);
    return {
      ok: false,
      problem: 'not-genimix',
      message: `This URL does not look like the Genimix API: ${where} refused a request without the key, but answered a request for a missing image with ${said(keyed, ctx)}, where Genimix answers 404 with a JSON error. Check the Base URL (Genimix's is https://api.genimix.dev).`,
    };
  } catch (error) {
    if (error instanceof GenimixAbortError || !(error instanceof GenimixError)) throw error;
    return {
      ok: false,
      problem: 'unreachable',
      message: `Genimix could not be reached at ${where}: ${error.message} Check the Base URL and the network.`,
    };
  }
}

function isBusy(status: number): boolean {
  return status === 429 || status >= 500;
}

function unavailable(where: string, response: ProbeResponse, ctx: OperationContext): CredentialCheck {
  return {
    ok: false,
    problem: 'unavailable',
    message: `${where} answered ${said(response, ctx)}: the server is busy or failing, so the credentials could not be checked. Try again in a minute.`,
  };
}

/** A JSON object that carries an error message: how Genimix (and its emulator) answers a 404. */
function isJsonError(response: ProbeResponse): boolean {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(response.body));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const { message, error } = value as Record<string, unknown>;
    return typeof message === 'string' || typeof error === 'string' || (typeof error === 'object' && error !== null);
  } catch {
    return false;
  }
}

/** `404 (Image not found)`: the status and a short, redacted excerpt of what the server said. */
function said(response: ProbeResponse, ctx: OperationContext): string {
  return `${response.status} (${ctx.requester.excerpt(response.body, response)})`;
}
