/** The longest excerpt of a server's error body kept in an error, in characters. */
export const MAX_MESSAGE_LENGTH = 300;

import { redact } from './redact.js';

/**
 * A short readable message from an error response body, read liberally since the API does not
 * document its error bodies (genimix-api.md, "Errors"): JSON with `message`, `error` (string)
 * or `error.message`; otherwise plain text, or an HTML page reduced to its title or text; cut
 * to {@link MAX_MESSAGE_LENGTH} characters. `undefined` for an empty body.
 *
 * @param secret redacted from the text before and after it is reduced, so that no part of it
 *   survives (not even one cut in half by the excerpt)
 */
export function readErrorMessage(
  body: Uint8Array,
  contentType: string | undefined,
  secret?: string,
): string | undefined {
  const text = redact(new TextDecoder().decode(body), secret).trim();
  if (text === '') return undefined;
  let message = messageFromJson(text);
  if (message === undefined) {
    message = /html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(text) ? textOfHtml(text) : text;
  }
  return serverText(message, secret);
}

/** Terminal escape sequences (colours, cursor moves, screen clears): a log viewer would obey them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const ESCAPE_SEQUENCES = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-_])/g;
/** Control characters, and the marks that reorder text on screen (bidi overrides, isolates). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text a server sent, fit to show in an error, an n8n item or a log line: the secret redacted
 * (before and after, so that no part of it survives the cut), terminal escape sequences, control
 * characters and bidi overrides dropped, whitespace runs made one space, cut to
 * {@link MAX_MESSAGE_LENGTH} characters. A hostile server's words stay words.
 */
export function serverText(text: string, secret?: string): string {
  const printable = redact(text, secret).replace(ESCAPE_SEQUENCES, ' ').replace(UNPRINTABLE, ' ');
  return excerpt(redact(printable, secret));
}

function messageFromJson(text: string): string | undefined {
  if (!/^[{[]/.test(text)) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const candidates = [
    record.message,
    record.error,
    isRecord(record.error) ? record.error.message : undefined,
    record.detail,
  ];
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate;
  }
  // The JSON as JSON.stringify writes it: escapes such as \u0073 or \/ undone, so that redaction
  // sees the key however the server escaped it.
  return JSON.stringify(value);
}

function textOfHtml(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(html)?.[1];
  const chosen = title ?? h1 ?? html.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ');
  return decodeEntities(chosen.replace(/<[^>]*>/g, ' '));
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#x([0-9a-f]{1,6});/gi, (entity, hex: string) => codePoint(Number.parseInt(hex, 16), entity))
    .replace(/&#([0-9]{1,7});/g, (entity, dec: string) => codePoint(Number(dec), entity))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&');
}

function codePoint(value: number, entity: string): string {
  return value > 0 && value <= 0x10ffff ? String.fromCodePoint(value) : entity;
}

function excerpt(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_MESSAGE_LENGTH ? oneLine : `${oneLine.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
