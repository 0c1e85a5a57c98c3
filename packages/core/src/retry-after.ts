/**
 * The wait a server asked for, in ms, from `retry-after-ms` or `Retry-After` (delta seconds or
 * an HTTP date, genimix-api.md, "Errors"); `undefined` when absent or unreadable.
 *
 * @param now the current time in ms since the epoch, for HTTP dates
 */
export function parseRetryAfter(headers: Record<string, string | undefined>, now: number = Date.now()): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.round(Number(ms));
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
