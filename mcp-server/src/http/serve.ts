import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import type { ServerConfig } from '../config.js';
import { logError } from '../log.js';
import { setPreviewConcurrency } from '../preview.js';
import { createHttpApp, MCP_PATH } from './app.js';
import { listenProblem } from './listen.js';
import { createAuthGate, type HttpSettings } from './options.js';

/** Time kept at the end of a drain for the answers to go out, in ms. */
const ANSWER_MARGIN_MS = 2_000;

/**
 * Runs `genimix-mcp --http`: listens, logs where (never a secret), and on SIGTERM or SIGINT
 * drains: stops accepting connections, lets calls in flight finish for up to `drainMs` (those
 * still waiting on a generation near the end answer "pending", and the generation gets the rest
 * of the time), then exits 0.
 * @throws {ConfigError} from the auth gate's settings, or naming `--host` or `--port` when it cannot
 *   listen there (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`, an unknown host name); another listen error as it is
 */
export async function serveHttp(settings: HttpSettings, config: ServerConfig): Promise<void> {
  // Keep-alive outlasts the 60 s idle time-out of common load balancers, so that they, not we,
  // close idle connections (else a request can race our close and fail).
  const server = createServer({ keepAliveTimeout: 65_000 });
  server.listen(settings.port, settings.host);
  try {
    await once(server, 'listening');
  } catch (error) {
    throw listenProblem(error, settings.host, settings.port);
  }
  const port = (server.address() as AddressInfo).port;
  const bound = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const resourceUrl = settings.publicUrl ?? new URL(`http://${bound}:${port}${MCP_PATH}`);
  const gate = await createAuthGate(settings, resourceUrl);
  const app = createHttpApp({ settings, config, gate });
  // Many users at once: a preview per CPU rather than one at a time for the whole process.
  setPreviewConcurrency(availableParallelism());
  server.on('request', app.listener);

  const project = config.apiKey ? `project "${config.projectId}"` : 'no key of its own (each request brings one)';
  logError(
    `serving ${project} at ${config.baseUrl} over Streamable HTTP on http://${bound}:${port}${MCP_PATH}; ` +
      `auth: ${gate?.description ?? 'none (loopback only)'}; client keys: ${settings.clientKeys ? 'allowed' : 'not accepted'}` +
      (settings.publicUrl ? `; public URL ${settings.publicUrl.href}` : ''),
  );

  let draining = false;
  const drain = async (signal: NodeJS.Signals) => {
    if (draining) {
      // A second signal: the operator wants out now.
      logError(`${signal} again: exiting with ${app.inFlight} request(s) in flight.`);
      process.exit(1);
    }
    draining = true;
    server.close();
    server.closeIdleConnections();
    // Said once the listener is closed: whoever reads this line (an operator, a test) finds new
    // connections refused.
    logError(`${signal}: draining ${app.inFlight} request(s) in flight, for at most ${settings.drainMs} ms.`);
    const deadline = new AbortController();
    const soft = setTimeout(() => deadline.abort(), Math.max(0, settings.drainMs - ANSWER_MARGIN_MS));
    // A call that ignores the deadline (an upload still streaming to Genimix), or a generation
    // still running, is cut off here.
    const hard = setTimeout(() => {
      logError(`drain time (${settings.drainMs} ms) is up: exiting with ${app.inFlight} request(s) in flight.`);
      process.exit(0);
    }, settings.drainMs);
    await app.drain(deadline.signal);
    clearTimeout(soft);
    clearTimeout(hard);
    server.closeAllConnections();
    logError('drained; exiting.');
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void drain(s));
  process.on('SIGINT', (s) => void drain(s));
}
