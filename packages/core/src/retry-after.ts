/**
 * The wait a server asked for, in ms, from `retry-after-ms` or `Retry-After` (delta seconds or
 * an HTTP date, genimix-api.md, "Errors"); `undefined` when absent or unreadable.
 *
 * @param now the current time in ms since the epoch, for HTTP dates
 */
export function parseRetryAfter(
  headers: Record<string, string | undefined>,
  now: number = Date.now(),
): number | undefined {
  const ms = headers['retry-after-ms'];
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.round(Number(ms));
  const value = headers['retry-after']?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Only the HTTP-date form (IMF-fixdate, RFC 9110): Date.parse alone reads "-5" or "Tue 12" as dates.
  if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}
