import { GenimixValidationError } from './errors.js';
import { checkId } from './identifiers.js';

/**
 * The longest API key accepted, in characters. Genimix keys are short (`sk_…`); a longer value
 * is something else pasted into the field (a whole file, a token bundle), and would cost every
 * redaction of every server message dear.
 */
export const MAX_API_KEY_LENGTH = 1024;

/**
 * Checks an API key and returns it unchanged: non-empty, visible ASCII only (`!` to `~`), since
 * it travels as the `x-api-key` header value and HTTP stacks refuse or split anything else;
 * at most {@link MAX_API_KEY_LENGTH} characters. The message never repeats the key.
 *
 * @param field the setting's name in the caller's world (`apiKey`, `GENIMIX_API_KEY`, ...)
 * @throws {GenimixValidationError} naming `field`
 */
export function checkApiKey(value: unknown, field = 'apiKey'): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new GenimixValidationError(
      field,
      `${field} is missing: pass the project's secret API key (Genimix dashboard → API Keys).`,
    );
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new GenimixValidationError(
      field,
      `${field} contains spaces, line breaks or non-ASCII characters, which an API key never has: copy the key again, without surrounding whitespace or quotes.`,
    );
  }
  if (value.length > MAX_API_KEY_LENGTH) {
    throw new GenimixValidationError(
      field,
      `${field} is ${value.length} characters long, more than any API key (at most ${MAX_API_KEY_LENGTH}): copy only the key from the Genimix dashboard (API Keys).`,
    );
  }
  return value;
}

/**
 * Keys at least this long are refused anywhere in a project id; shorter ones only as the whole id.
 * No real key is this short, and no project id holds a real key by chance.
 */
const KEY_INSIDE_MIN_LENGTH = 12;

/**
 * Checks a project id as {@link checkId} does, and that it is not the API key (the two settings
 * swapped, or the key pasted into both): the project id goes into every request's URL and into
 * messages, where the key must never be. In any letter case, and also with more around it (pasted
 * with its quotes, a `;`, or after the project id) when the key has {@link KEY_INSIDE_MIN_LENGTH}
 * characters or more; a short key (the emulator's `dev-key`) may well be part of a real project
 * id, and is refused only as the whole id. Returns the id unchanged.
 *
 * @param projectField the project setting's name in the caller's world (`projectId`, `GENIMIX_PROJECT_ID`, ...)
 * @param apiKey the key it goes with; `''` when none comes with it (then only {@link checkId} applies)
 * @param keyField the key setting's name, where the key goes instead
 * @throws {GenimixValidationError} naming `projectField`; for the key, repeating neither value
 */
export function checkProjectId(projectField: string, projectId: unknown, apiKey: string, keyField = 'apiKey'): string {
  // Before checkId, whose messages quote the value: here it would be the key.
  if (typeof projectId === 'string' && holdsKey(projectId, apiKey)) {
    throw new GenimixValidationError(
      projectField,
      `${projectField} holds the API key: set it to the project id (Genimix dashboard → Settings), and the key only in ${keyField}.`,
    );
  }
  return checkId(projectField, projectId);
}

function holdsKey(projectId: string, apiKey: string): boolean {
  const project = projectId.trim().toLowerCase();
  const key = apiKey.trim().toLowerCase();
  if (key === '') return false;
  return project === key || (key.length >= KEY_INSIDE_MIN_LENGTH && project.includes(key));
}
