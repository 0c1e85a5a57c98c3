/**
 * Every form in which a server or proxy may echo the API key it was sent, for tests that check
 * the key leaves nothing: tool results, errors, logs, files.
 */

/** `[name, text]` pairs: the key as a server may write it, alone or inside other text. */
export function echoedForms(key: string): Array<[string, string]> {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const b64url = (s: string) => Buffer.from(s).toString('base64url');
  return [
    ['as is', key],
    ['URL-encoded', encodeURIComponent(key)],
    ['URL-encoded, every byte', [...Buffer.from(key)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')],
    ['URL-encoded, lower-case hex', encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
    ['URL-encoded twice', encodeURIComponent(encodeURIComponent(key))],
    ['base64', b64(key)],
    ['base64 of "user:key" (HTTP Basic)', b64(`user:${key}`)],
    ['base64, one byte in', b64(`x${key}`)],
    ['base64, two bytes in', b64(`xy${key}`)],
    ['base64url', b64url(key)],
    ['base64url inside JSON', b64url(JSON.stringify({ apiKey: key }))],
    ['hex', Buffer.from(key).toString('hex')],
    ['JSON-escaped with "/" as "\\/" (PHP\'s json_encode)', jsonEscaped(key)],
    ['JSON-escaped twice', jsonEscaped(jsonEscaped(key))],
    ['JSON-escaped, every character as \\u', unicodeEscaped(key)],
  ];
}

/** `key` as JSON string content with `"`, `\` and `/` escaped, as PHP's `json_encode` writes it. */
function jsonEscaped(key: string): string {
  return key.replace(/["\\/]/g, '\\$&');
}

/** `key` with every character a JSON `\uXXXX` escape. */
function unicodeEscaped(key: string): string {
  return [...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
}

/** URLs that carry the key where a hostile or careless server may put it. */
export function urlsWithKey(base: string, key: string): Array<[string, string]> {
  const enc = encodeURIComponent(key);
  const host = new URL(base).host;
  return [
    ['in the query', `${base}/v1/p/image/x?api_key=${enc}`],
    ['in the query, base64', `${base}/v1/p/image/x?token=${Buffer.from(key).toString('base64url')}&w=1024`],
    ['in the path', `${base}/v1/p/${enc}/image/x`],
    ['as the user name', `http://${enc}@${host}/v1/p/image/x`],
    ['as the password', `http://user:${enc}@${host}/v1/p/image/x`],
    ['in the fragment', `${base}/v1/p/image/x#key=${enc}`],
  ];
}

/** The key's forms that must never be found in output: any match is a leak. */
export function leakedForm(text: string, key: string): string | undefined {
  const b64 = Buffer.from(key).toString('base64').replace(/=+$/, '');
  const probes: Array<[string, string]> = [
    ['as is', key],
    ['URL-encoded', encodeURIComponent(key)],
    ['URL-encoded twice', encodeURIComponent(encodeURIComponent(key))],
    ['base64', b64.slice(0, -1)],
    ['base64url', Buffer.from(key).toString('base64url').slice(0, -1)],
    ['hex', Buffer.from(key).toString('hex')],
    ['JSON-escaped', jsonEscaped(key)],
    ['JSON-escaped twice', jsonEscaped(jsonEscaped(key))],
    ['JSON \\u-escaped', unicodeEscaped(key)],
  ];
  for (const [name, probe] of probes) {
    if (probe.length >= 8 && text.toLowerCase().includes(probe.toLowerCase())) return name;
  }
  for (const offset of [1, 2]) {
    const shifted = Buffer.from(`${'x'.repeat(offset)}${key}`).toString('base64');
    const core = shifted.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + key.length)) / 6));
    if (core.length >= 8 && text.includes(core)) return `base64 at offset ${offset}`;
  }
  return undefined;
}
