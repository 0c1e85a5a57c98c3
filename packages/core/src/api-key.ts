import { GenimixValidationError } from './errors.js';

/**
 * Checks an API key and returns it unchanged: non-empty, visible ASCII only (`!` to `~`), since
 * it travels as the `x-api-key` header value and HTTP stacks refuse or split anything else.
 * The message never repeats the key.
 *
 * @param field the setting's name in the caller's world (`apiKey`, `GENIMIX_API_KEY`, ...)
 * @throws {GenimixValidationError} naming `field`
 */
export function checkApiKey(value: unknown, field = 'apiKey'): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new GenimixValidationError(field, `${field} is missing: pass the project's secret API key (Genimix dashboard → API Keys).`);
  }
  if (!/^[\x21-\x7e]+$/.test(value)) {
    throw new GenimixValidationError(field, `${field} contains spaces, line breaks or non-ASCII characters, which an API key never has: copy the key again, without surrounding whitespace or quotes.`);
  }
  return value;
}
