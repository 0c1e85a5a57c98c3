/**
 * The install snippets of a README, read from its fenced code blocks as a user would copy them:
 * MCP server entries of JSON configs (`mcpServers` for Claude Desktop and Cursor, `servers` for
 * VS Code), the `claude mcp add …` line, and n8n's `N8N_*=` variables and npm line.
 */
import { readFile } from 'node:fs/promises';
import type { ServerEntry } from './mcp.js';

/** A fenced block: its info string (`json`, `sh`…), text, the heading it is under and its line. */
export interface FencedBlock {
  lang: string;
  text: string;
  heading: string;
  line: number;
}

/** Every fenced code block of a Markdown text, with the nearest heading above it. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^#{1,6}\s+(.*)$/.exec(line);
    if (h) heading = h[1]!.trim();
    const open = /^(\s*)(```+|~~~+)\s*([\w-]*)/.exec(line);
    if (!open) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) body.push(lines[j++]!);
    blocks.push({ lang: open[3] ?? '', text: body.join('\n'), heading, line: i + 1 });
    i = j;
  }
  return blocks;
}

/** An MCP server entry found in a JSON block. */
export interface SnippetServer {
  /** `<heading> (<file>:<line>)`, for the report. */
  where: string;
  heading: string;
  /** `mcpServers` (Claude Desktop, Cursor) or `servers` (VS Code). */
  key: 'mcpServers' | 'servers';
  name: string;
  entry: ServerEntry & { type?: string };
  /** VS Code's `inputs` of the same file (`${input:id}` in `env`). */
  inputs: Array<{ id: string; password?: boolean }>;
}

/** The MCP server entries of every JSON block that has `mcpServers` or `servers`. */
export function serverEntries(file: string, markdown: string): SnippetServer[] {
  const found: SnippetServer[] = [];
  for (const block of fencedBlocks(markdown)) {
    if (block.lang !== 'json') continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(block.text) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${file}:${block.line}: a json block that is not JSON (${(err as Error).message})`);
    }
    for (const key of ['mcpServers', 'servers'] as const) {
      const servers = doc[key] as Record<string, ServerEntry> | undefined;
      if (!servers || typeof servers !== 'object') continue;
      for (const [name, entry] of Object.entries(servers))
        found.push({
          where: `${block.heading} (${file}:${block.line})`,
          heading: block.heading,
          key,
          name,
          entry,
          inputs: (doc.inputs as SnippetServer['inputs'] | undefined) ?? [],
        });
    }
  }
  return found;
}

/** Splits a shell line into words: single and double quotes, backslash escapes in double quotes. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unclosed ' in: ${line}`);
      word += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (ch === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        word += line[i++];
      }
      if (i >= line.length) throw new Error(`unclosed " in: ${line}`);
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (ch === '#' && !inWord) {
      break;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** Shell lines of `sh`/`bash`/`shell` blocks (comments and blank lines left out). */
export function shellLines(markdown: string): Array<{ line: string; heading: string }> {
  return fencedBlocks(markdown)
    .filter((b) => ['sh', 'bash', 'shell', 'console'].includes(b.lang))
    .flatMap((b) => b.text.split('\n').map((line) => ({ line: line.trim(), heading: b.heading })))
    .filter(({ line }) => line && !line.startsWith('#'));
}

/** The words of the first `claude mcp add …` line, or undefined. */
export function claudeMcpAdd(markdown: string): string[] | undefined {
  const found = shellLines(markdown).find(({ line }) => line.startsWith('claude mcp add '));
  return found && shellWords(found.line);
}

/** `NAME=value` assignments (optionally `export`ed) of `N8N_*` variables in shell blocks, unquoted. */
export function n8nVariables(markdown: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const { line } of shellLines(markdown)) {
    const m = /^(?:export\s+)?(N8N_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) vars[m[1]!] = shellWords(m[2]!).join(' ');
  }
  return vars;
}

/** The words of the README's `npm install …` line under its n8n heading (`cd … && npm install …`), or undefined. */
export function n8nNpmInstall(markdown: string): { cd: string; npm: string[] } | undefined {
  const found = shellLines(markdown).find(({ line }) => /^cd\s+\S*\.n8n\/nodes\s+&&\s+npm\s+install\s/.test(line));
  if (!found) return undefined;
  const [cdPart, npmPart] = found.line.split('&&').map((s) => s.trim());
  return { cd: shellWords(cdPart!)[1]!, npm: shellWords(npmPart!) };
}

/** Reads a file, or undefined when it does not exist. */
export const readIfThere = (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);
