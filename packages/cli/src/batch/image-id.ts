/**
 * The image id of a batch line: stable, so that a re-run asks Genimix for the images the last run
 * made instead of generating them again.
 *
 *   id   = <slug>-<hash>        (or prompt-<hash> when the prompt has no Latin letter or digit)
 *   hash = the first 16 hex digits of SHA-256("<provider>/<modelId>\n<prompt>")
 *   slug = the prompt in lower case, accents dropped, every run of characters other than a–z
 *          and 0–9 turned into one "-", cut to 40 characters, with no "-" at either end
 *
 * The prompt is the line without its leading and trailing whitespace. The id is at most 57
 * characters of a–z, 0–9 and "-": always valid (1–128 of A–Z a–z 0–9 . _ -). Changing this
 * scheme would make every batch generate again: it is part of the command's contract.
 */
import { createHash } from 'node:crypto';

/** Characters of the prompt kept in the id, to make file names readable. */
const SLUG_LENGTH = 40;

/** The id of the image `modelKey` (`provider/modelId`) generates from `prompt`. */
export function batchImageId(modelKey: string, prompt: string): string {
  const hash = createHash('sha256').update(`${modelKey}\n${prompt}`, 'utf8').digest('hex').slice(0, 16);
  const slug = prompt
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, SLUG_LENGTH)
    .replace(/^-+|-+$/g, '');
  return `${slug || 'prompt'}-${hash}`;
}
