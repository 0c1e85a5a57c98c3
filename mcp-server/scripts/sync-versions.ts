/**
 * Copies mcp-server/package.json's version into manifest.json (the Claude Desktop extension) and
 * server.json (the MCP Registry entry, its own and its npm package's), which changesets does not
 * know about. Run by `pnpm version-packages` after `changeset version` (then Biome formats the two files); test/mcp/mcpb.test.ts
 * fails if they differ.
 *
 *   tsx mcp-server/scripts/sync-versions.ts
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function readJson(file: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(PACKAGE_DIR, file), 'utf8'));
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(path.join(PACKAGE_DIR, file), `${JSON.stringify(value, null, 2)}\n`);
}

const { version, name } = (await readJson('package.json')) as { version: string; name: string };
const manifest = await readJson('manifest.json');
manifest.version = version;
await writeJson('manifest.json', manifest);
const server = (await readJson('server.json')) as {
  version: string;
  packages: { identifier: string; version: string }[];
};
server.version = version;
for (const entry of server.packages) if (entry.identifier === name) entry.version = version;
await writeJson('server.json', server);
process.stdout.write(`manifest.json and server.json now at ${name} ${version}\n`);
