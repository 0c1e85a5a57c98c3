/**
 * The pages of a test runner (test:n8n's scenarios, test:registry's flows): one module per page in a
 * folder, each default-exporting a named page, loaded in file-name order.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Imports every `.ts` file of `dir` in file-name order and returns their default exports.
 * @param kind what a page is called in errors (`Scenario`, `Flow`)
 * @param isPage whether a default export is a page (has a name and its entry function)
 * @throws when a file does not default-export a page, or two pages share a name
 */
export async function loadPages<T extends { name: string }>(
  dir: string,
  kind: string,
  isPage: (value: Partial<T>) => boolean,
): Promise<T[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort();
  const pages: T[] = [];
  const names = new Set<string>();
  for (const file of files) {
    const page = ((await import(pathToFileURL(path.join(dir, file)).href)) as { default?: Partial<T> }).default;
    const where = path.relative(ROOT, path.join(dir, file)).split(path.sep).join('/');
    if (!page?.name || !isPage(page)) throw new Error(`${where} does not default-export a ${kind}`);
    if (names.has(page.name)) throw new Error(`two ${kind.toLowerCase()}s are named "${page.name}"`);
    names.add(page.name);
    pages.push(page as T);
  }
  return pages;
}
