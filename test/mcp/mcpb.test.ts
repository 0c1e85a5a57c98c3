/**
 * The Claude Desktop extension (mcp-server/manifest.json packed into genimix.mcpb) and the MCP
 * Registry entry (mcp-server/server.json). The extension is packed and unpacked with the mcpb CLI
 * and its server started as Claude Desktop starts it: the manifest's mcp_config with the user's
 * settings substituted by the mcpb library's own `getMcpConfigForManifest`, the working
 * directory `/`, Claude Desktop's Node for `node`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { getMcpConfigForManifest, type McpbManifestAny } from '@anthropic-ai/mcpb';
import { createEmulator, type Emulator } from '@genimix/emulator';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FOLDER_SETTING, SETTINGS, UPLOAD_FOLDERS_SETTING } from '../../mcp-server/src/config.js';
import { connectServer, detailsOf, imageOf, type ToolResult, textOf } from '../../scripts/mcp-client.js';
import { filesUnder, MCP_SERVER_DIR } from '../../scripts/packed-mcp-server.js';

const run = promisify(execFile);
const MCPB = path.join(MCP_SERVER_DIR, '..', 'node_modules', '.bin', 'mcpb');
const API_KEY = 'sk_test_mcpb_0123456789';
const TOOLS = ['delete_image', 'generate_image', 'get_image', 'list_models', 'upload_image'];

const readJson = async (file: string) => JSON.parse(await readFile(path.join(MCP_SERVER_DIR, file), 'utf8'));

let workDir: string;
let emulator: Emulator;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'genimix-mcpb-'));
  emulator = await createEmulator({ port: 0, apiKeys: [API_KEY], profile: 'realistic', latencyScale: 0.01 });
});
afterAll(async () => {
  await emulator?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('the Claude Desktop extension', () => {
  it('mcpb validate accepts the manifest', async () => {
    const { stdout } = await run(MCPB, ['validate', path.join(MCP_SERVER_DIR, 'manifest.json')]);
    expect(stdout).toContain('validation passes');
  });

  it('packs only what the server runs from, and unpacked and started as Claude Desktop starts it, serves the tools', async () => {
    const bundle = path.join(workDir, 'genimix.mcpb');
    const unpacked = path.join(workDir, 'extension');
    // The same command as `pnpm mcpb`, after the build `pnpm test` has made.
    await run(MCPB, ['pack', '.', bundle], { cwd: MCP_SERVER_DIR });
    await run(MCPB, ['unpack', bundle, unpacked]);
    const files = (await filesUnder(unpacked)).map((f) => path.relative(unpacked, f.path).split(path.sep).join('/'));
    expect(files.filter((f) => !f.startsWith('dist/')).sort()).toEqual([
      'LICENSE',
      'README.md',
      'manifest.json',
      'package.json',
    ]);
    expect(files).toContain('dist/cli.js');
    expect(files.filter((f) => f.endsWith('.wasm')).length).toBe(5);

    // The user's settings in Claude Desktop, two upload folders among them.
    const home = path.join(workDir, 'home');
    const [pictures, downloads] = [path.join(workDir, 'Pictures'), path.join(workDir, 'Downloads')];
    await Promise.all([home, pictures, downloads].map((dir) => mkdir(dir)));
    await copyFile(
      path.join(MCP_SERVER_DIR, '..', 'fixtures', 'stm32f3-discovery.jpg'),
      path.join(downloads, 'photo.jpg'),
    );
    const large = path.join(workDir, 'large images');
    const manifest = JSON.parse(await readFile(path.join(unpacked, 'manifest.json'), 'utf8')) as McpbManifestAny;
    const config = await getMcpConfigForManifest({
      manifest,
      extensionPath: unpacked,
      systemDirs: { HOME: home },
      userConfig: {
        api_key: API_KEY,
        project_id: 'desktop',
        base_url: emulator.url,
        allowed_directories: [pictures, downloads],
        output_dir: large,
      },
      pathSeparator: path.sep,
    });
    if (!config) throw new Error('getMcpConfigForManifest gave no configuration');
    expect(config.args).toEqual([path.join(unpacked, 'dist', 'cli.js'), '--', pictures, downloads]);
    const transport = new StdioClientTransport({
      command: config.command === 'node' ? process.execPath : config.command,
      args: config.args ?? [],
      // HOME: where the server's default output folder goes (~/.cache/genimix-mcp), kept in the test's folder.
      env: { PATH: process.env.PATH ?? '', HOME: home, ...config.env },
      cwd: path.parse(process.cwd()).root,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'claude-desktop-like', version: '0.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      expect(manifest.tools?.map((t) => t.name).sort()).toEqual(TOOLS);

      const generated = (await client.callTool({
        name: 'generate_image',
        arguments: {
          prompt: 'A kite over dunes',
          provider: 'google',
          modelId: 'imagen-3.0-generate-002',
          imageId: 'kite',
        },
      })) as ToolResult;
      expect(generated.isError, textOf(generated)).toBeFalsy();
      expect(detailsOf(generated).imageId).toBe('kite');
      expect(imageOf(generated).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      // The 'Folder for large images' setting reached the server: the full image is saved there.
      expect(String(detailsOf(generated).savedTo)).toContain(path.join(large, 'desktop'));

      // The second folder of the list setting reached the server as its own argument.
      const uploaded = (await client.callTool({
        name: 'upload_image',
        arguments: { path: path.join(downloads, 'photo.jpg'), imageId: 'photo' },
      })) as ToolResult;
      expect(uploaded.isError, textOf(uploaded)).toBeFalsy();
      expect(await emulator.store.get('desktop', 'photo')).toBeDefined();
    } finally {
      await client.close();
    }
  });
  it.each([['-h'], ['--version'], ['-v', '--help', '--no-such-flag']])(
    'started with folders named like flags (%s), stays a server and serves tools/list',
    async (...folders) => {
      const manifest = (await readJson('manifest.json')) as McpbManifestAny;
      const config = await getMcpConfigForManifest({
        manifest,
        extensionPath: MCP_SERVER_DIR,
        systemDirs: { HOME: workDir },
        userConfig: { api_key: API_KEY, project_id: 'flags', base_url: emulator.url, allowed_directories: folders },
        pathSeparator: path.sep,
      });
      if (!config) throw new Error('getMcpConfigForManifest gave no configuration');
      // No 'Folder for large images': the variable is empty, which is the server's default, not the placeholder.
      expect(config.env?.GENIMIX_OUTPUT_DIR).toBe('');
      // Claude Desktop runs `node` with its own Node: this one.
      expect(config.command).toBe('node');
      const server = await connectServer(
        { HOME: workDir, ...config.env },
        { args: config.args ?? [], cwd: path.parse(process.cwd()).root },
      );
      try {
        const { tools } = await server.client.listTools();
        expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
      } finally {
        await server.close();
      }
      const stderr = server.stderr();
      // Each was taken as a folder (relative to Claude Desktop's working directory, /), not as a flag.
      for (const folder of folders)
        expect(stderr).toContain(`${JSON.stringify(path.resolve('/', folder))} does not exist`);
    },
  );
});

describe('the settings', () => {
  it('manifest.json (the extension) and server.json (the MCP Registry) describe the same settings', async () => {
    const [manifest, server] = await Promise.all([readJson('manifest.json'), readJson('server.json')]);
    const mcpConfig = manifest.server.mcp_config as { args: string[]; env: Record<string, string> };
    // Each extension setting as the variable it stands for: the folder list is passed as arguments,
    // the server's equivalent of GENIMIX_ALLOWED_DIRS.
    const viaManifest = Object.entries(
      manifest.user_config as Record<string, { required?: boolean; sensitive?: boolean; default?: unknown }>,
    ).map(([key, option]) => {
      const placeholder = `\${user_config.${key}}`;
      const variable = mcpConfig.args.includes(placeholder)
        ? 'GENIMIX_ALLOWED_DIRS'
        : Object.entries(mcpConfig.env).find(([, value]) => value === placeholder)?.[0];
      return {
        name: variable,
        isRequired: option.required === true,
        isSecret: option.sensitive === true,
        default: typeof option.default === 'string' && option.default !== '' ? option.default : undefined,
      };
    });
    const npm = server.packages.find((p: { registryType: string }) => p.registryType === 'npm');
    const viaRegistry = (
      npm.environmentVariables as { name: string; isRequired?: boolean; isSecret?: boolean; default?: string }[]
    ).map((v) => ({
      name: v.name,
      isRequired: v.isRequired === true,
      isSecret: v.isSecret === true,
      default: v.default,
    }));
    const byName = (a: { name?: string }, b: { name?: string }) => String(a.name).localeCompare(String(b.name));
    expect(viaManifest.sort(byName)).toEqual(viaRegistry.sort(byName));
  });

  it('messages that tell the user to set a folder name the extension setting by its title, beside the variable', async () => {
    const manifest = await readJson('manifest.json');
    expect(UPLOAD_FOLDERS_SETTING).toContain(`'${manifest.user_config.allowed_directories.title}'`);
    expect(UPLOAD_FOLDERS_SETTING).toContain('GENIMIX_ALLOWED_DIRS');
    expect(OUTPUT_FOLDER_SETTING).toContain(`'${manifest.user_config.output_dir.title}'`);
    expect(OUTPUT_FOLDER_SETTING).toContain('GENIMIX_OUTPUT_DIR');
  });
});

describe('server.json for the MCP Registry', () => {
  it('is valid against the registry schema', async () => {
    const schema = JSON.parse(
      await readFile(path.join(import.meta.dirname, 'registry-schema', 'server.schema.json'), 'utf8'),
    );
    // strict: false, as the registry's own validation: its schema uses the OpenAPI keyword `example`.
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const server = await readJson('server.json');
    expect(validate(server), ajv.errorsText(validate.errors)).toBe(true);
    expect(server.$schema).toBe(schema.$id);
  });

  it('names the npm package, its mcpName, the key as a secret, and only variables the server reads', async () => {
    const [server, pkg] = await Promise.all([readJson('server.json'), readJson('package.json')]);
    expect(server.name).toBe(pkg.mcpName);
    const npm = server.packages.find((p: { registryType: string }) => p.registryType === 'npm');
    expect(npm).toMatchObject({ identifier: pkg.name, transport: { type: 'stdio' } });
    const variables = npm.environmentVariables as { name: string; isSecret?: boolean; isRequired?: boolean }[];
    expect(variables.find((v) => v.name === 'GENIMIX_API_KEY')).toMatchObject({ isSecret: true, isRequired: true });
    const known = SETTINGS.map((s) => s.name);
    for (const variable of variables) expect(known).toContain(variable.name);
  });
});

describe('versions', () => {
  it('manifest.json and server.json carry package.json’s version (pnpm version-packages syncs them)', async () => {
    const [pkg, manifest, server] = await Promise.all([
      readJson('package.json'),
      readJson('manifest.json'),
      readJson('server.json'),
    ]);
    expect(manifest.version).toBe(pkg.version);
    expect(server.version).toBe(pkg.version);
    for (const entry of server.packages) expect(entry.version).toBe(pkg.version);
  });
});
