import { GenimixValidationError } from './errors.js';

/** The public API host (genimix-api.md, "Endpoints"). */
export const DEFAULT_BASE_URL = 'https://api.genimix.dev';

/**
 * Checks a base URL and returns it without a trailing slash. A path prefix is kept (a proxy
 * may serve the API under `/genimix`).
 *
 * @throws {GenimixValidationError} field `baseUrl`: not an absolute http(s) URL, or it carries
 *   credentials, a query or a fragment
 */
export function normalizeBaseUrl(value: unknown): string {
  const hint = `use an absolute http(s) URL such as ${DEFAULT_BASE_URL} or http://127.0.0.1:8787`;
  if (typeof value !== 'string' || value.trim() === '') {
    throw new GenimixValidationError('baseUrl', `baseUrl must be a non-empty string: ${hint}.`);
  }
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new GenimixValidationError('baseUrl', `baseUrl ${JSON.stringify(value)} is not a URL: ${hint}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new GenimixValidationError('baseUrl', `baseUrl uses ${url.protocol}: ${hint}.`);
  }
  // Credentials in the URL would travel to every request and into error messages.
  if (url.username || url.password) {
    throw new GenimixValidationError(
      'baseUrl',
      'baseUrl must not contain a user name or password: the API key is configured on its own, never in the URL.',
    );
  }
  if (url.search || url.hash) {
    throw new GenimixValidationError('baseUrl', `baseUrl must not have a query or fragment: ${hint}.`);
  }
  return url.href.replace(/\/+$/, '');
}

/**
 * The URL of an API path: `<baseUrl>/v1/<projectId>/<kind>/<imageId>`, every segment
 * percent-encoded (genimix-api.md, "Identifiers"). Segments must already be validated.
 */
export function buildUrl(baseUrl: string, projectId: string, kind: 'generate' | 'image', imageId: string): string {
  return `${baseUrl}/v1/${encodeURIComponent(projectId)}/${kind}/${encodeURIComponent(imageId)}`;
}

/** The origin (`scheme://host:port`) of a URL, used to keep the API key on the base URL's origin. */
export function originOf(url: string): string {
  return new URL(url).origin;
}
