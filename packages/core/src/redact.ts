/** The text that stands where a secret was. */
export const REDACTED = '[redacted]';

/**
 * `text` with every occurrence of `secret` replaced by {@link REDACTED}. A server or proxy may
 * echo the key it was sent; nothing it says reaches an error message unredacted.
 */
export function redact(text: string, secret: string | undefined): string {
  if (!secret || !text.includes(secret)) return text;
  return text.split(secret).join(REDACTED);
}
