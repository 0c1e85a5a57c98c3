/**
 * A batch's prompts: one per line of a text file (or stdin). Blank lines and lines starting with
 * `#` are skipped; the rest are checked all before anything is sent.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { text } from 'node:stream/consumers';
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
 * @throws {UsageError} naming `--from`: a file that cannot be read, stdin on a terminal, no
 *   prompt at all, or lines whose prompt is invalid (each with its line number)
 */
export async function readPrompts(from: string, cwd: string): Promise<PromptLine[]> {
  let content: string;
  if (from === '-') {
    if (process.stdin.isTTY) {
      throw new UsageError(
        '--from',
        '--from - reads prompts from stdin, which is a terminal here: pipe a file into it or name the file.',
      );
    }
    content = await text(process.stdin);
  } else {
    const file = path.resolve(cwd, from);
    try {
      content = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
      throw new UsageError('--from', `--from ${from}: ${file} ${why}: name a text file with one prompt per line.`);
    }
  }
  const lines = parsePrompts(content);
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

/** The prompt lines of a file's text: trimmed, without blank lines and `#` comments. */
export function parsePrompts(content: string): PromptLine[] {
  return content
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((raw, index) => ({ line: index + 1, prompt: raw.trim() }))
    .filter(({ prompt }) => prompt !== '' && !prompt.startsWith('#'));
}
