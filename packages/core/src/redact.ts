/** The text that stands where a secret was. */
export const REDACTED = '[redacted]';

/**
 * Encoded forms shorter than this are not redacted: a fragment of a few characters would match
 * innocent text everywhere. The secret as it is is always redacted, whatever its length.
 */
const MIN_ENCODED_FORM_LENGTH = 8;

/**
 * Finds a secret in text in every form a server or proxy may echo it: as it is; URL-encoded
 * (fully or in part, either hex case, once or twice, `+` for a space); base64 and base64url of
 * the secret at any byte alignment (so also inside the encoding of a longer string, as in
 * `Authorization: Basic base64(user:key)`), with or without padding; hex.
 */
export class Redactor {
  readonly #secret: string;
  readonly #pattern: RegExp | undefined;

  /** @param secret what to hide; an empty or missing secret hides nothing */
  constructor(secret: string | undefined) {
    this.#secret = secret ?? '';
    this.#pattern = this.#secret === '' ? undefined : patternOf(this.#secret);
  }

  /**
   * `text` with every form of the secret replaced by {@link REDACTED}, and a start of the secret
   * that ends the text (a body cut off in the middle of an echoed key) too.
   */
  redact(text: string): string {
    if (this.#pattern === undefined) return text;
    this.#pattern.lastIndex = 0;
    const redacted = this.#pattern.test(text) ? text.replace(this.#pattern, REDACTED) : text;
    return this.#redactCutOff(redacted);
  }

  #redactCutOff(text: string): string {
    const longest = Math.min(this.#secret.length - 1, text.length);
    for (let n = longest; n >= MIN_ENCODED_FORM_LENGTH; n--) {
      if (text.endsWith(this.#secret.slice(0, n))) return `${text.slice(0, -n)}${REDACTED}`;
    }
    return text;
  }

  /** True when any form of the secret occurs in `text`. */
  occursIn(text: string): boolean {
    if (this.#pattern === undefined) return false;
    this.#pattern.lastIndex = 0;
    return this.#pattern.test(text);
  }

  /**
   * True when any form of the secret occurs in `text`, or the secret itself in any letter case:
   * a URL's parser lower-cases its host name, so a key put there may have lost its case.
   */
  occursInAnyCase(text: string): boolean {
    return this.occursIn(text) || text.toLowerCase().includes(this.#secret.toLowerCase());
  }

  /**
   * A URL fit to show: without user name and password (credentials never belong in a shown
   * URL), without the query parameters and fragment in which the secret occurs in any form,
   * and with path segments that hold it replaced by {@link REDACTED}. Text that is no absolute
   * URL is redacted as text.
   */
  redactUrl(text: string): string {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return this.redact(text);
    }
    const holds = (part: string) => this.occursInAnyCase(part);
    // Credentials never belong in a shown URL, the key or not.
    let found = url.username !== '' || url.password !== '';
    url.username = '';
    url.password = '';
    // The parser lower-cases a host name: look for the key there in lower case too.
    const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text)?.[1] ?? '';
    const host = authority.slice(authority.lastIndexOf('@') + 1);
    if (holds(host) || holds(url.hostname)) {
      url.hostname = 'redacted.invalid';
      found = true;
    }
    for (const [name, value] of [...url.searchParams]) {
      if (holds(name) || holds(value)) {
        url.searchParams.delete(name, value);
        found = true;
      }
    }
    // searchParams.delete leaves a bare "?" behind when it removed the last one.
    if (url.search === '?') url.search = '';
    if (holds(url.hash)) {
      url.hash = '';
      found = true;
    }
    url.pathname = url.pathname
      .split('/')
      .map((segment) => {
        if (!holds(segment)) return segment;
        found = true;
        return REDACTED;
      })
      .join('/');
    // The key across parts (a "/" in it splits host from path): none of them holds it whole.
    if (!found && holds(text)) return `${url.protocol}//redacted.invalid/${REDACTED}`;
    // Whatever the URL parser kept that still holds it (an odd authority, say).
    return this.redact(url.href);
  }
}

// One Redactor for the last secret seen: callers of redact() pass the same key every time.
let cached: Redactor | undefined;
let cachedSecret: string | undefined;

/**
 * `text` with every form of `secret` (see {@link Redactor}) replaced by {@link REDACTED}. A
 * server or proxy may echo the key it was sent; nothing it says reaches an error message,
 * a log line or a tool result unredacted.
 */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  if (cachedSecret !== secret) {
    cached = new Redactor(secret);
    cachedSecret = secret;
  }
  return cached!.redact(text);
}

/** {@link Redactor.redactUrl} for a one-off call. */
export function redactUrl(url: string, secret: string | undefined): string {
  return new Redactor(secret).redactUrl(url);
}

/**
 * One expression for every form of the secret. A secret so long that the engine refuses the
 * expression falls back to the secret as it is: the engine's error would quote the expression,
 * which spells the secret out, and redaction must never fail or leak.
 */
function patternOf(secret: string): RegExp {
  try {
    return new RegExp(formsOf(secret).join('|'), 'g');
  } catch {
    return new RegExp(escapeRegExp(secret), 'g');
  }
}

/** Regular-expression alternatives, longest first, that match the secret's forms. */
function formsOf(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const literal = new Set<string>();
  for (let offset = 0; offset < 3; offset++) {
    for (const form of base64Cores(bytes, offset)) literal.add(form);
  }
  const alternatives = [charFormsPattern(secret)];
  for (const form of literal) {
    if (form.length >= MIN_ENCODED_FORM_LENGTH && form !== secret) alternatives.push(escapeRegExp(form));
  }
  const hex = [...bytes].map(hexPattern).join('');
  if (2 * bytes.length >= MIN_ENCODED_FORM_LENGTH) alternatives.push(hex);
  return alternatives;
}

/**
 * The backslashes before a JSON escape: 1, and up to 15 for a text escaped four times (`\/`
 * becomes `\\\/`, then 7 and 15 backslashes). Bounded: with `\\+` the engine ran to the end of a
 * run of backslashes from each of its positions, n² steps for a run of n: 160,000 of them (an
 * error body, or the bytes of an image checked for the key) held the process for a minute.
 */
const BACKSLASHES = '\\\\{1,15}';

/**
 * The secret with each character as itself, percent-encoded (`%41`, `%2541` when encoded
 * twice, either hex case; a space also as `+`) or JSON-escaped (`\u0041`, and `\/`, `\"`, `\\`
 * as PHP's `json_encode` and others write them, with the backslashes doubled when escaped again).
 */
function charFormsPattern(secret: string): string {
  return [...secret]
    .map((char) => {
      const encoded = [...new TextEncoder().encode(char)].map((b) => `%(?:25)?${hexPattern(b)}`).join('');
      const space = char === ' ' ? '|\\+' : '';
      const unit = char.length === 1 ? char.charCodeAt(0) : undefined;
      const json = unit === undefined ? '' : `|${BACKSLASHES}u${hexPattern(unit >> 8)}${hexPattern(unit & 0xff)}`;
      const escaped = '/"\\'.includes(char) ? `|${BACKSLASHES}${escapeRegExp(char)}` : '';
      return `(?:${escapeRegExp(char)}|${encoded}${space}${json}${escaped})`;
    })
    .join('');
}

/** A byte as two hex digits, letters in either case. */
function hexPattern(byte: number): string {
  return [...byte.toString(16).padStart(2, '0')]
    .map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d))
    .join('');
}

/**
 * The characters of base64 and base64url that encode only the secret's bytes when it starts
 * `offset` bytes into the encoded data: characters mixing its bits with a neighbour's are left
 * out, so the form matches whatever surrounds the secret.
 */
function base64Cores(bytes: Uint8Array, offset: number): string[] {
  const padded = new Uint8Array(offset + bytes.length);
  padded.set(bytes, offset);
  const encoded = toBase64(padded);
  const first = Math.ceil((8 * offset) / 6);
  const end = Math.floor((8 * (offset + bytes.length)) / 6);
  const core = encoded.slice(first, end);
  return [core, core.replace(/\+/g, '-').replace(/\//g, '_')];
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
