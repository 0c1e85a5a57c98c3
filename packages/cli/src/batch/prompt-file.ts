/**
 * A batch's prompts: one per line of a text file (or stdin). Blank lines and lines starting with
 * `#` are skipped; the rest are checked all before anything is sent.
 */
import { isUtf8 } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buffer } from 'node:stream/consumers';
import { checkPrompt, GenimixValidationError } from '@genimix/core';
import { UsageError } from '../exit-codes.js';

/** A prompt and the line it is on (counted from 1). */
export interface PromptLine {
  line: number;
  prompt: string;
}

/** How many bad lines an error lists before it says "and N more". */
const LISTED = 5;

/**
 * Reads the prompts of `--from` (`-`: stdin).
 * @throws {UsageError} naming `--from`: a file that cannot be read, stdin on a terminal, text
 *   that is not UTF-8, no prompt at all, or lines whose prompt is invalid (each with its line number)
 */
export async function readPrompts(from: string, cwd: string): Promise<PromptLine[]> {
  let bytes: Buffer;
  if (from === '-') {
    if (process.stdin.isTTY) {
      throw new UsageError(
        '--from',
        '--from - reads prompts from stdin, which is a terminal here: pipe a file into it or name the file.',
      );
    }
    bytes = await buffer(process.stdin);
  } else {
    const file = path.resolve(cwd, from);
    try {
      bytes = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
      throw new UsageError('--from', `--from ${from}: ${file} ${why}: name a text file with one prompt per line.`);
    }
  }
  const lines = parsePrompts(decodeUtf8(bytes, from));
  if (lines.length === 0) {
    throw new UsageError(
      '--from',
      `--from ${from} has no prompt: write one prompt per line (blank lines and # comments are skipped).`,
    );
  }
  const bad = lines.flatMap(({ line, prompt }) => {
    try {
      checkPrompt(prompt, `line ${line}`);
      return [];
    } catch (error) {
      if (error instanceof GenimixValidationError) return [error.message];
      throw error;
    }
  });
  if (bad.length > 0) {
    const more = bad.length > LISTED ? `\n  and ${bad.length - LISTED} more` : '';
    throw new UsageError(
      '--from',
      `--from ${from}: fix these lines, nothing was sent:\n  ${bad.slice(0, LISTED).join('\n  ')}${more}`,
    );
  }
  return lines;
}

/**
 * The text of a prompt file, which must be UTF-8. Decoding anything else "leniently" would turn
 * each accented letter into U+FFFD and generate (and bill) the mangled prompt.
 * @throws {UsageError} naming `--from`: UTF-16 text (a byte-order mark, or NUL bytes), or the
 *   lines that are not UTF-8 (Latin-1, Windows-1252)
 */
function decodeUtf8(bytes: Buffer, from: string): string {
  const source = from === '-' ? '--from - (stdin)' : `--from ${from}`;
  const fix = 'save it as UTF-8 (most editors: Save As, encoding UTF-8) and run the command again; nothing was sent.';
  const utf16Bom =
    bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
  if (utf16Bom || bytes.includes(0)) throw new UsageError('--from', `${source} is UTF-16 text: ${fix}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad: number[] = [];
    let start = 0;
    for (let line = 1; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end === -1 ? bytes.length : end;
      if (!isUtf8(bytes.subarray(start, stop))) bad.push(line);
      start = stop + 1;
    }
    const listed =
      bad.length > LISTED ? `${bad.slice(0, LISTED).join(', ')} and ${bad.length - LISTED} more` : bad.join(', ');
    throw new UsageError(
      '--from',
      `${source} is not UTF-8 text (line${bad.length === 1 ? '' : 's'} ${listed}): ${fix}`,
    );
  }
}

/** The prompt lines of a file's text: trimmed, without blank lines and `#` comments. */
export function parsePrompts(content: string): PromptLine[] {
  return content
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, prompt: raw.trim() }))
    .filter(({ prompt }) => prompt !== '' && !prompt.startsWith('#'));
}
