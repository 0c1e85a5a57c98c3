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
export function readErrorMessage(body: Uint8Array, contentType: string | undefined, secret?: string): string | undefined {
  const text = redact(new TextDecoder().decode(body), secret).trim();
  if (text === '') return undefined;
  let message = messageFromJson(text);
  if (message === undefined) {
    message = /html/i.test(contentType ?? '') || /^<(!doctype|html)/i.test(text) ? textOfHtml(text) : text;
  }
  return excerpt(redact(message, secret));
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
