/**
 * What a transport may say about a failed request without giving anything away: the origin of
 * the URL (never its path or query), and the socket's error code.
 */

/** The URL's origin, the only part of it that goes into messages. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'the Genimix API';
  }
}

/**
 * Runtimes whose fetch gives a message and no code (Deno: "tcp connect error: Connection refused
 * (os error 111)"), read for the codes the retry policy needs: a refused connection or a failed
 * DNS look-up prove that the request never reached the server, so a billed call may be retried.
 */
const MESSAGE_CODES: readonly [RegExp, string][] = [
  [/connection refused/i, 'ECONNREFUSED'],
  [/dns error|failed to lookup address|name or service not known|nodename nor servname/i, 'ENOTFOUND'],
  [/connection reset/i, 'ECONNRESET'],
  [/timed out/i, 'ETIMEDOUT'],
];

/**
 * The socket error code of a failed fetch: on the error itself (Bun), on its cause (Node:
 * `TypeError: fetch failed`, cause `{ code: 'ECONNREFUSED' }`), or read from the messages.
 */
export function connectionCode(error: unknown): string | undefined {
  const messages: string[] = [];
  let current = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && code !== '' && code !== 'ABORT_ERR') return code;
    if (typeof message === 'string') messages.push(message);
    current = (current as { cause?: unknown }).cause;
  }
  const text = messages.join(' ');
  return MESSAGE_CODES.find(([pattern]) => pattern.test(text))?.[1];
}

/**
 * The innermost message of a failure, with every URL in it cut to its origin (Deno's name the
 * whole URL), for an error that has no code.
 */
export function safeDetail(error: unknown): string {
  let current = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const said = (current as { message?: unknown }).message;
    if (typeof said === 'string' && said !== '') message = said;
    current = (current as { cause?: unknown }).cause;
  }
  return message.replace(/\bhttps?:\/\/[^\s()'"<>]+/gi, (url) => safeOrigin(url));
}
