#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { StdioServerTransport, serveStdio } from '@modelcontextprotocol/server/stdio';
import { version } from '../package.json';
import { ConfigError, loadConfig, UPLOAD_FOLDERS_SETTING } from './config.js';
import { folderProblems } from './folders.js';
import { logError } from './log.js';
import { checkOutputFolder } from './output-folder.js';
import { createGenimixServer, MAX_MESSAGE_BYTES } from './server.js';
import { usage } from './usage.js';

// stdout is the protocol channel once the server runs: only --help and --version, which start
// no server, print there. Every diagnostic goes to stderr.
function fail(message: string): never {
  process.stderr.write(`genimix-mcp: ${message}\n`);
  process.exit(1);
}

let flags: { help?: boolean; version?: boolean; http?: boolean; host?: string; port?: string };
// Folders as arguments: hosts that pass a list of folders expand it into arguments, as Claude
// Desktop does for an extension's folder setting (it cannot put a list in one variable).
let folderArguments: string[];
try {
  ({ values: flags, positionals: folderArguments } = parseArgs({
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      http: { type: 'boolean' },
      host: { type: 'string' },
      port: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  }));
} catch (error) {
  process.stderr.write(`genimix-mcp: ${(error as Error).message}\nRun genimix-mcp --help for usage.\n`);
  process.exit(2);
}
if (flags.help) {
  process.stdout.write(usage());
  process.exit(0);
}
if (flags.version) {
  process.stdout.write(`${version}\n`);
  process.exit(0);
}

if (!flags.http && (flags.host !== undefined || flags.port !== undefined)) {
  process.stderr.write('genimix-mcp: --host and --port go with --http.\nRun genimix-mcp --help for usage.\n');
  process.exit(2);
}
if (flags.http && folderArguments.length > 0) {
  process.stderr.write(
    'genimix-mcp: folder arguments are for stdio: over --http, upload_image takes the image as data, never a path on the server.\nRun genimix-mcp --help for usage.\n',
  );
  process.exit(2);
}

function configProblem(error: unknown): never {
  fail(
    error instanceof ConfigError || (error instanceof Error && error.name === 'OutputFolderError')
      ? error.message
      : String(error),
  );
}

if (flags.http) {
  // Loaded only for --http: the stdio server's start-up does not pay for the HTTP stack.
  const [{ readHttpSettings }, { serveHttp }] = await Promise.all([
    import('./http/options.js'),
    import('./http/serve.js'),
  ]);
  try {
    const settings = readHttpSettings(flags, process.env);
    const remoteConfig = loadConfig(process.env, process.cwd(), [], { remote: true, clientKeys: settings.clientKeys });
    await serveHttp(settings, remoteConfig);
  } catch (error) {
    configProblem(error);
  }
} else {
  await serveOnStdio();
}

async function serveOnStdio(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env, process.cwd(), folderArguments);
    if (config.outputDir) await checkOutputFolder(config.outputDir);
  } catch (error) {
    configProblem(error);
  }
  const serverConfig = config;
  serveStdio(() => createGenimixServer({ config: serverConfig }), {
    transport: new StdioServerTransport(process.stdin, process.stdout, { maxBufferSize: MAX_MESSAGE_BYTES }),
    onerror: (error) => logError(`transport: ${error.message}`),
  });
  // The host closed our stdin: no answer can reach it any more. Leave at once rather than wait
  // for requests in flight (a generation may run for minutes more); Genimix still stores an image
  // whose generation it received, and get_image fetches it in the next session.
  let leaving = false;
  const leave = () => {
    if (leaving) return;
    leaving = true;
    process.stdout.write('', () => process.exit(0));
  };
  process.stdin.once('end', leave);
  process.stdin.once('close', leave);
  // Paths JSON-quoted: a newline in a folder's name must not forge a line of the host's log.
  const folders =
    serverConfig.allowedDirs.length > 0
      ? serverConfig.allowedDirs.map((d) => JSON.stringify(d)).join(', ')
      : `none (set ${UPLOAD_FOLDERS_SETTING})`;
  logError(
    `serving project "${serverConfig.projectId}" at ${serverConfig.baseUrl} on stdio; upload_image may read files from: ${folders}`,
  );
  // A mistyped folder would otherwise show only when an upload from it is refused.
  for (const problem of await folderProblems(serverConfig.allowedDirs)) {
    logError(`warning: upload folder ${problem}; upload_image cannot read files from it.`);
  }
}
