import { createHash } from 'node:crypto';
import { checkId, redact } from '@genimix/core';
import { HttpError } from './respond.js';

/**
 * The API keys an emulator accepts. An array: each key may use every project. A record: key ->
 * the project ids it may use (any other project answers 403).
 */
export type ApiKeys = readonly string[] | Readonly<Record<string, readonly string[]>>;

/** What an accepted key may do. Deliberately holds no key, so it can be passed around and logged freely. */
export interface Principal {
  /** The projects this key may use; `undefined` for all of them. */
  readonly projects: ReadonlySet<string> | undefined;
}

// Keys redact only when at least this long: replacing a one- or two-letter key everywhere in a log
// line would garble it without hiding anything worth hiding.
const MIN_REDACTED_KEY_LENGTH = 4;
// Visible ASCII only: anything else does not survive an HTTP header unchanged (Node trims
// surrounding spaces, clients refuse control characters).
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/**
 * The emulator's key table. Keys are kept as SHA-256 digests for lookup, so no key's content
 * decides how long a comparison takes.
 */
export class KeyRing {
  readonly #principals = new Map<string, Principal>();
  readonly #redactable: string[];

  /**
   * @param apiKeys the accepted keys (see {@link ApiKeys})
   * @throws {TypeError} when there is no key, a key is not a non-empty string of visible ASCII,
   *   or a record lists an invalid project id; messages number the key, never show it
   */
  constructor(apiKeys: ApiKeys) {
    const entries: Array<[string, Principal]> = Array.isArray(apiKeys)
      ? (apiKeys as readonly unknown[]).map((key, i) => [checkKey(key, i), { projects: undefined }])
      : recordEntries(apiKeys as Readonly<Record<string, readonly string[]>>);
    if (entries.length === 0) {
      throw new TypeError('apiKeys is empty: give at least one key, e.g. ["dev-key"].');
    }
    for (const [key, principal] of entries) this.#principals.set(digest(key), principal);
    // Longest first, so a key that contains another is replaced whole.
    this.#redactable = entries
      .map(([key]) => key)
      .filter((key) => key.length >= MIN_REDACTED_KEY_LENGTH)
      .sort((a, b) => b.length - a.length);
  }

  /**
   * The principal of the `x-api-key` header value.
   *
   * @throws {HttpError} 401 when the header is missing, empty or matches no key
   */
  authenticate(header: string | string[] | undefined): Principal {
    if (header === undefined || header === '') {
      throw new HttpError(401, 'Missing API key: send your key in the x-api-key header.');
    }
    // A repeated header arrives as an array; it is no single key, so it matches none.
    const principal = typeof header === 'string' ? this.#principals.get(digest(header)) : undefined;
    if (!principal) {
      throw new HttpError(401, 'Invalid API key: the x-api-key header matches no key this emulator accepts.');
    }
    return principal;
  }

  /**
   * Checks that `principal` may use `projectId`.
   *
   * @throws {HttpError} 403 when the key is limited to other projects
   */
  authorize(principal: Principal, projectId: string): void {
    if (principal.projects && !principal.projects.has(projectId)) {
      throw new HttpError(403, `This API key may not access project "${projectId}".`);
    }
  }

  /** `text` with every accepted key (of 4 characters or more) replaced by `[redacted]`. */
  redact(text: string): string {
    let out = text;
    for (const key of this.#redactable) out = redact(out, key);
    return out;
  }
}

function recordEntries(record: Readonly<Record<string, readonly string[]>>): Array<[string, Principal]> {
  if (record === null || typeof record !== 'object') {
    throw new TypeError('apiKeys must be an array of keys or a record of key -> project ids.');
  }
  return Object.entries(record).map(([key, projects], i) => {
    checkKey(key, i);
    if (!Array.isArray(projects)) {
      throw new TypeError(`apiKeys: the projects of key #${i + 1} must be an array of project ids.`);
    }
    const ids = (projects as readonly unknown[]).map((project) => {
      try {
        return checkId('projectId', project);
      } catch (err) {
        throw new TypeError(`apiKeys: key #${i + 1}: ${(err as Error).message}`);
      }
    });
    return [key, { projects: new Set(ids) }];
  });
}

function checkKey(key: unknown, index: number): string {
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new TypeError(
      `apiKeys: key #${index + 1} must be a non-empty string of visible ASCII characters (no spaces).`,
    );
  }
  return key;
}

function digest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
