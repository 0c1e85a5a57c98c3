/**
 * `text` as a JSON string of at most `max` characters (plus the quotes), on one line: how any
 * text the model or a server gave is shown back, so that a huge input is never echoed whole and
 * quoted text reads as data.
 */
export function quote(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length <= max ? line : `${line.slice(0, max - 1)}…`);
}
