import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createEmulator, type Emulator, type EmulatorOptions } from '@genimix/emulator';
import { connectServer } from '../../scripts/mcp-client.js';

/** A connected MCP client, as {@link connectServer} returns it. */
export type McpConnection = Awaited<ReturnType<typeof connectServer>>;

/** What an MCP test works with: an emulator, a private folder, a spawned server. */
export interface McpFixture {
  emulator: Emulator;
  /** A fresh temporary folder, removed by {@link McpFixture.close}. */
  workDir: string;
  /** `<workDir>/out`: the server's GENIMIX_OUTPUT_DIR. */
  outputDir: string;
  /** `<workDir>/allowed`, created empty: the server's GENIMIX_ALLOWED_DIRS unless `env` says otherwise. */
  allowedDir: string;
  /** The project every tool works in by default: the fixture's name. */
  projectId: string;
  /** The server's environment; pass it, changed, to {@link McpFixture.connect} for a second server. */
  env: Record<string, string>;
  server: McpConnection;
  /** Spawns another server against the same emulator. */
  connect(env: Record<string, string>): Promise<McpConnection>;
  close(): Promise<void>;
}

/** The folders of a fixture, for an `env` that names them. */
export interface FixtureFolders {
  workDir: string;
  outputDir: string;
  allowedDir: string;
}

/**
 * Starts an emulator on loopback (with `emulator` options), a temporary folder and a
 * `genimix-mcp` over stdio with the SDK's real client, configured for them (`env` adds to or
 * overrides its environment). The API key is `sk_test_<name>_0123456789`, the project `name`.
 */
export async function startMcpFixture(
  name: string,
  options: {
    emulator?: EmulatorOptions;
    env?: Record<string, string> | ((folders: FixtureFolders) => Record<string, string>);
    cwd?: string;
  } = {},
): Promise<McpFixture> {
  const apiKey = `sk_test_${name}_0123456789`;
  const emulator = await createEmulator({ port: 0, apiKeys: [apiKey], ...options.emulator });
  const workDir = await mkdtemp(path.join(os.tmpdir(), `genimix-mcp-${name}-`));
  const folders = { workDir, outputDir: path.join(workDir, 'out'), allowedDir: path.join(workDir, 'allowed') };
  await mkdir(folders.allowedDir);
  const extra = typeof options.env === 'function' ? options.env(folders) : options.env;
  const env = {
    GENIMIX_API_KEY: apiKey,
    GENIMIX_PROJECT_ID: name,
    GENIMIX_BASE_URL: emulator.url,
    GENIMIX_OUTPUT_DIR: folders.outputDir,
    GENIMIX_ALLOWED_DIRS: folders.allowedDir,
    ...extra,
  };
  const opened: McpConnection[] = [];
  const connect = async (withEnv: Record<string, string>) => {
    const connection = await connectServer(withEnv, options.cwd ? { cwd: options.cwd } : {});
    opened.push(connection);
    return connection;
  };
  const server = await connect(env);
  return {
    emulator,
    ...folders,
    projectId: name,
    env,
    server,
    connect,
    async close() {
      await Promise.allSettled(opened.map((c) => c.close()));
      await emulator.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
