/** How values are written into text for the model: quoted inputs and server text, sizes. */

/**
 * `text` as a JSON string of at most `max` characters (plus the quotes), on one line: how any
 * text the model or a server gave is shown back, so that a huge input is never echoed whole and
 * quoted text reads as data.
 */
export function quote(text: string, max = 300): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(line.length <= max ? line : `${line.slice(0, max - 1)}…`);
}

/** A size for people: `532 B`, `116.2 KB`, `2.4 MB` (1 KB = 1,024 bytes). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}
