import { GenimixValidationError } from './errors.js';
import { quoteInput } from './quote-input.js';

/** The longest prompt the contract allows, in characters (Unicode code points). */
export const MAX_PROMPT_LENGTH = 4000;

/**
 * Checks a prompt and returns it unchanged: non-empty after trimming, at most
 * {@link MAX_PROMPT_LENGTH} characters (genimix-api.md, "Prompt").
 *
 * @throws {GenimixValidationError} with field `prompt`
 */
export function checkPrompt(value: unknown, field = 'prompt'): string {
  if (typeof value !== 'string') {
    throw new GenimixValidationError(
      field,
      `${field} must be a string describing the image; got ${value === null ? 'null' : typeof value}.`,
    );
  }
  // Zero-width and control characters trim to nothing visible but survive String#trim.
  if (!/[\p{L}\p{N}\p{P}\p{S}]/u.test(value)) {
    throw new GenimixValidationError(field, `${field} is empty: describe the image to generate.`);
  }
  const length = [...value].length;
  if (length > MAX_PROMPT_LENGTH) {
    throw new GenimixValidationError(
      field,
      `${field} is ${length} characters long; shorten it to at most ${MAX_PROMPT_LENGTH}.`,
    );
  }
  return value;
}

/**
 * Checks a provider or model id: a non-empty string without spaces. Ids the catalog does not
 * know are allowed on purpose: the server decides (genimix-api.md, "Models").
 *
 * @throws {GenimixValidationError} naming `field`
 */
export function checkModelField(field: 'provider' | 'modelId', value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200 || /\s/.test(value)) {
    const example = field === 'provider' ? 'google' : 'imagen-3.0-generate-002';
    throw new GenimixValidationError(
      field,
      `${field} must be a non-empty id without spaces, such as "${example}"; got ${quoteInput(value)}.`,
    );
  }
  return value;
}
