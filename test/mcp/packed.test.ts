/**
 * The MCP server as npm installs it: one self-contained bundle. The tarball `pnpm pack` makes is
 * installed alone, offline, into an empty folder, and the installed bin serves a real MCP client
 * against the emulator: no dependency is left to resolve, nothing native, well under 10 MB.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailsOf, imageOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import {
  filesUnder,
  type InstalledServer,
  installPackedServer,
  MCP_SERVER_DIR,
} from '../../scripts/packed-mcp-server.js';

const run = promisify(execFile);
const API_KEY = 'sk_test_packed_0123456789';

let installed: InstalledServer;
let emulator: Emulator;
let workspaceVersion: string;

beforeAll(async () => {
  workspaceVersion = JSON.parse(await readFile(path.join(MCP_SERVER_DIR, 'package.json'), 'utf8')).version;
  installed = await installPackedServer();
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY], profile: 'realistic', latencyScale: 0.01 });
}, 120_000);
afterAll(async () => {
  await emulator?.close();
  await installed?.remove();
});

describe('the packed @genimix/mcp-server, installed alone with npm --offline', () => {
  it('installs as one package, with no dependency, no workspace: range, nothing native, under 10 MB', async () => {
    const manifest = JSON.parse(await readFile(path.join(installed.packageDir, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(JSON.stringify(manifest)).not.toContain('workspace:');
    // npm installed nothing beside the package itself.
    const modules = await filesUnder(path.join(installed.folder, 'app', 'node_modules'));
    const outside = modules.filter((f) => !f.path.startsWith(installed.packageDir) && !f.path.includes('.bin'));
    expect(outside.map((f) => path.basename(f.path)).filter((name) => name !== '.package-lock.json')).toEqual([]);
    const files = await filesUnder(installed.packageDir);
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
    expect(files.filter((f) => f.path.endsWith('.node') || path.basename(f.path) === 'binding.gyp')).toEqual([]);
    // The bundle carries others' code, so it carries their licences, and none of its own package as a third party.
    const notices = await readFile(path.join(installed.packageDir, 'dist', 'THIRD-PARTY-LICENSES.md'), 'utf8');
    for (const name of ['@modelcontextprotocol/server', 'zod', 'undici', '@jsquash/jpeg', 'omggif'])
      expect(notices).toContain(`## ${name} `);
    expect(notices).not.toContain('## @genimix/');
    // Each WebAssembly codec is compiled C/C++/Rust whose notice is not its npm package's own: the
    // codec's notice, as jSquash ships it beside the source of the .wasm, is in the file too.
    const codecNotices: Record<string, string> = {
      'jpeg-decode.wasm': '@jsquash/jpeg/codec/LICENSE.codec.md',
      'jpeg-encode.wasm': '@jsquash/jpeg/codec/LICENSE.codec.md',
      'png-decode.wasm': '@jsquash/png/codec/LICENSE.codec.md',
      'webp-decode.wasm': '@jsquash/webp/codec/LICENSE.codec.md',
      'resize.wasm': '@jsquash/resize/lib/resize/LICENSE.codec.md',
    };
    const wasm = files.filter((f) => f.path.endsWith('.wasm')).map((f) => path.basename(f.path));
    expect(wasm.sort()).toEqual(Object.keys(codecNotices).sort());
    const fromServer = createRequire(path.join(MCP_SERVER_DIR, 'package.json'));
    for (const [file, notice] of Object.entries(codecNotices)) {
      const text = (await readFile(fromServer.resolve(notice), 'utf8')).trim();
      expect(notices).toContain(`## dist/wasm/${file} `);
      expect(notices, `${file}'s notice`).toContain(text);
    }
    // libjpeg's IJG licence asks for this sentence; omggif's MIT notice is in its source, not in a file.
    expect(notices).toContain('This software is based in part on the work of the Independent JPEG Group.');
    expect(notices).toMatch(/## omggif [^\n]*\n\n```\n\(c\) Dean McNamee[\s\S]*Permission is hereby granted/);
    console.info(
      `@genimix/mcp-server: tarball ${(installed.tarballBytes / 1024).toFixed(0)} KB, installed ${(bytes / 1024 / 1024).toFixed(2)} MB in ${files.length} files`,
    );
  });

  it('is a command, not a library: no entry to import and no types that would name packages not installed with it', async () => {
    const manifest = JSON.parse(await readFile(path.join(installed.packageDir, 'package.json'), 'utf8'));
    expect(manifest.exports).toEqual({ './package.json': './package.json' });
    expect([manifest.main, manifest.types, manifest.typings, manifest.module]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    const files = await filesUnder(installed.packageDir);
    expect(files.map((f) => f.path).filter((f) => /\.d\.[cm]?ts$/.test(f))).toEqual([]);
    // Node refuses the import: a consumer learns at once, not from types that cannot resolve.
    const importer = path.join(installed.folder, 'app', 'import.mjs');
    await writeFile(importer, "await import('@genimix/mcp-server');\n");
    const refused = await run(process.execPath, [importer]).then(
      () => '',
      (error: { stderr?: string }) => error.stderr ?? String(error),
    );
    expect(refused).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('the installed bin prints its version', async () => {
    const { stdout, stderr } = await run(installed.bin, ['--version']);
    expect(stdout).toBe(`${workspaceVersion}\n`);
    expect(stderr).toBe('');
  });

  it('serves tools/list and a generate_image with its preview over stdio', async () => {
    const workDir = path.join(installed.folder, 'work');
    await mkdir(workDir);
    // Run from a folder with no node_modules above it, as a host runs an installed server.
    const transport = new StdioClientTransport({
      command: installed.bin,
      env: {
        PATH: process.env.PATH ?? '',
        GENIMIX_API_KEY: API_KEY,
        GENIMIX_PROJECT_ID: 'packed',
        GENIMIX_BASE_URL: emulator.url,
        GENIMIX_OUTPUT_DIR: path.join(workDir, 'out'),
      },
      cwd: workDir,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'genimix-packed-test', version: '0.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([
        'delete_image',
        'generate_image',
        'get_image',
        'list_models',
        'upload_image',
      ]);
      const result = (await client.callTool({
        name: 'generate_image',
        arguments: { prompt: 'A lighthouse in fog', provider: 'openai', modelId: 'dall-e-3', imageId: 'lighthouse' },
      })) as ToolResult;
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(detailsOf(result).imageId).toBe('lighthouse');
      // The realistic profile's 1–4 MB PNG is over the preview budget: the image block is a JPEG preview made by the bundled codecs.
      const preview = imageOf(result);
      expect(preview.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
      expect(preview.length).toBeLessThanOrEqual(75_000);
      expect((await emulator.store.get('packed', 'lighthouse'))?.size).toBeGreaterThan(1024 * 1024);
    } finally {
      await client.close();
    }
  });
});
