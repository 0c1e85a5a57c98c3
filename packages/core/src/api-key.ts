import { GenimixValidationError } from './errors.js';

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
 * Checks that a project id is not the API key itself (the two settings swapped, or the key pasted
 * into both): the project id goes into every request's URL and into messages, where the key must
 * never be. Equality in any letter case only: a short key (the emulator's `dev-key`) may well be
 * part of a real project id.
 *
 * @param projectField the project setting's name in the caller's world (`projectId`, `GENIMIX_PROJECT_ID`, ...)
 * @param keyField the key setting's name, where the key goes instead
 * @throws {GenimixValidationError} naming `projectField`, repeating neither value
 */
export function checkProjectIsNotKey(
  projectField: string,
  projectId: string,
  apiKey: string,
  keyField = 'apiKey',
): void {
  if (projectId.trim().toLowerCase() !== apiKey.trim().toLowerCase()) return;
  throw new GenimixValidationError(
    projectField,
    `${projectField} holds the API key: set it to the project id (Genimix dashboard → Settings), and the key only in ${keyField}.`,
  );
}
