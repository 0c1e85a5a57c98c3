/** The longest server-given `imageUrl` passed on, in characters: longer is no URL a client should pass on. */
export const MAX_IMAGE_URL_LENGTH = 2048;

/**
 * Whether a server-given `imageUrl` may be passed on: an absolute http(s) URL of at most
 * {@link MAX_IMAGE_URL_LENGTH} characters. Anything else (a `javascript:` URL, text for an agent, a
 * huge string) is replaced by the image's own URL: the 200 still says the image was stored, and a
 * hostile answer must neither turn a billed Generate into a failure nor reach a workflow or an
 * agent where a URL is expected.
 */
export function isUsableImageUrl(value: string): boolean {
  if (value.length > MAX_IMAGE_URL_LENGTH) return false;
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}
