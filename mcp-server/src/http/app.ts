import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '@genimix/core';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { type AuthInfo, createMcpHandler, type McpRequestContext } from '@modelcontextprotocol/server';
import { version } from '../../package.json';
import type { ServerConfig } from '../config.js';
import { logError } from '../log.js';
import { createGenimixServer, MAX_MESSAGE_BYTES } from '../server.js';
import type { AuthGate } from './auth.js';
import { corsHeaders, preflightResponse } from './cors.js';
import { GenerationsByKey } from './generations-by-key.js';
import { createHostOriginCheck } from './host-origin.js';
import { BodyBudget, MAX_HELD_BODY_BYTES, readMessageBody, tooLargeMessage, withBody } from './message-body.js';
import {
  CLIENT_KEY_HEADER,
  CLIENT_PROJECT_HEADER,
  clientKeyProblem,
  type HttpSettings,
  readClientKey,
} from './options.js';
import { checkRequestLine } from './request-line.js';

/** The MCP endpoint's path. */
export const MCP_PATH = '/mcp';

/** Options of {@link createHttpApp}. */
export interface HttpAppOptions {
  settings: HttpSettings;
  /** The server's own configuration; its key may be empty when every request brings one. */
  config: ServerConfig;
  /** What authenticates requests to `/mcp`; `undefined` leaves it open (loopback only). */
  gate: AuthGate | undefined;
  /** The core's HTTP transport; default: undici, one pool for the process. */
  transport?: Transport;
}

/** The Streamable HTTP server's request handling, and its shutdown. */
export interface HttpApp {
  /** The `node:http` request listener. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Stops taking MCP requests (new ones get 503, `/healthz` turns 503 so a load balancer's
   * health check moves on), then waits for requests in flight and generations they started.
   * `until` is aborted to end the calls' wait: calls waiting on a generation answer "pending"
   * at once, and their generations go on. Resolves when no request is in flight and no
   * generation is running, never rejects: a generation may run for minutes, so the caller bounds
   * the whole wait (`serveHttp` exits when the drain time is up).
   */
  drain(until: AbortSignal): Promise<void>;
  /** Requests to `/mcp` being served now. */
  readonly inFlight: number;
}

/**
 * The HTTP face of the Genimix MCP server: `GET /healthz`, the auth gate's discovery documents,
 * and MCP at `/mcp`, served statelessly (a fresh `McpServer` per request by the SDK's
 * `createMcpHandler`, nothing kept between requests but generations still running), so that
 * any request may reach any process behind a load balancer.
 *
 * Every request is checked, in order: the request line (one well-formed Host; an absolute-form
 * target's host), then, for all but `GET /healthz`, Host (DNS rebinding: a page on evil.example
 * that resolves to this address still names evil.example), Origin (a browser page of another
 * site), then for `/mcp` the
 * draining state, the auth gate, the client's Genimix key headers and the body's
 * declared size: all before the body is read, so an unauthenticated client cannot make the
 * server buffer 72 MiB. The body, read whole, is checked for its size and its JSON structure
 * (see `MAX_STRUCTURE_BYTES`) before the SDK parses it.
 */
export function createHttpApp({ settings, config, gate, transport }: HttpAppOptions): HttpApp {
  const shutdown = new AbortController();
  // Generations outlive the request that started them, each key's apart (see GenerationsByKey).
  const generationsByKey = new GenerationsByKey();
  // The Genimix key and project a request brings: none unless client keys are allowed.
  const ownKeyOf = (headers: Headers | undefined) => (settings.clientKeys && headers ? readClientKey(headers) : {});

  const factory = (ctx: McpRequestContext) => {
    // The headers were checked before the request got here.
    const own = ownKeyOf(ctx.requestInfo?.headers);
    const apiKey = own.apiKey ?? config.apiKey;
    const requestConfig: ServerConfig = {
      ...config,
      apiKey,
      projectId: own.projectId ?? config.projectId,
      ...(own.apiKey ? { keySetting: "the X-Genimix-Api-Key header of the user's MCP client configuration" } : {}),
    };
    return createGenimixServer({
      config: requestConfig,
      generations: generationsByKey.held(apiKey),
      shutdown: shutdown.signal,
      ...(transport ? { transport } : {}),
    });
  };
  const mcp = createMcpHandler(factory, {
    // No SSE keep-alive frames: they send a response's headers 15 s into a call, after which a
    // process killed mid-call can no longer get its proxy's 502 to the client, and the SDK client
    // waits for its time-out on the cut stream (typescript-sdk#2739). Calls answer within
    // GENIMIX_MAX_WAIT_MS (45 s), inside proxies' usual 60 s read time-out; progress keeps a
    // stream busy where the client asks for it.
    keepAliveMs: 0,
    maxRequestBodySize: MAX_MESSAGE_BYTES,
    onerror: (error) => logError(`mcp: ${error.message}`),
  });
  const serveMcp = toNodeHandler(mcp, {
    maxRequestBodySize: MAX_MESSAGE_BYTES,
    onerror: (error) => logError(`mcp: ${error.message}`),
  });

  const hostOrigin = createHostOriginCheck(settings.allowedHosts, settings.allowedOrigins);
  const bodies = new BodyBudget(MAX_HELD_BODY_BYTES);
  let draining = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const malformed = checkRequestLine(req, hostOrigin.host);
    if (malformed) return send(res, rpcError(malformed.status, malformed.message));
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Before the Host check: health probes name the address they reach (Kubernetes the pod's
    // IP, load balancers the target's), and the answer holds nothing a rebinding page could use.
    // No CORS headers: no browser page needs it.
    if (url.pathname === '/healthz') {
      return send(
        res,
        Response.json({ status: draining ? 'draining' : 'ok', version }, { status: draining ? 503 : 200 }),
      );
    }
    const foreign = hostOrigin.request(req);
    if (foreign) return send(res, rpcError(foreign.status, foreign.message));
    const head = headRequest(req, url);
    const cors = corsHeaders(req.headers.origin);
    if (req.method === 'OPTIONS') return send(res, preflightResponse(cors));

    const metadata = gate?.serveMetadata?.(head);
    if (metadata) return send(res, metadata, cors);
    if (url.pathname !== MCP_PATH) {
      return send(
        res,
        Response.json({ error: 'not_found', message: `Not found: MCP is served at ${MCP_PATH}.` }, { status: 404 }),
        cors,
      );
    }
    if (draining) {
      return send(
        res,
        rpcError(503, 'This server is shutting down: send the request again (another server will take it).'),
        {
          ...cors,
          connection: 'close',
          'retry-after': '1',
        },
      );
    }
    // In flight from here, not from when its body is read: a request whose token is being
    // checked when SIGTERM comes (OAuth may wait seconds on the issuer) is answered, not dropped.
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });

    let authInfo: AuthInfo | undefined;
    if (gate) {
      const verdict = await gate.authenticate(head);
      if (verdict instanceof Response) return send(res, verdict, cors);
      authInfo = verdict;
    }
    const refusal = checkClientKey(head.headers, settings, config);
    if (refusal) return send(res, rpcError(400, refusal), cors);

    // Until the answer has gone, this key's generations are kept: a generation the request
    // starts is tracked (for the drain and get_image) even when it is the key's only one.
    res.once('close', generationsByKey.hold(ownKeyOf(head.headers).apiKey ?? config.apiKey).release);

    const declared = Number(req.headers['content-length']);
    if (declared > MAX_MESSAGE_BYTES) {
      return send(res, rpcError(413, tooLargeMessage(declared, MAX_MESSAGE_BYTES)), cors);
    }
    // Held until the answer is done: the SDK and the tools keep the body (or what it decodes to)
    // that long.
    const share = bodies.share();
    res.once('close', share.release);
    if (declared > 0 && !share.grow(declared)) return send(res, busy(share.refusal), cors);

    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (req.method === 'GET' || req.method === 'HEAD') {
      // The SDK's adapter reads no body for these.
      if (authInfo) (req as IncomingMessage & { auth?: AuthInfo }).auth = authInfo;
      return serveMcp(req, res);
    }
    // Read here rather than by the SDK (whose adapter reads the body of every other method, a PUT
    // it then answers 405 too), to refuse a body whose mere shape would hold the event loop for
    // everyone (see MAX_STRUCTURE_BYTES) before anything parses it, or that would pass the bodies
    // held at once.
    const read = await readMessageBody(req, MAX_MESSAGE_BYTES, share);
    if (!read) return;
    if ('status' in read) {
      // What it held is dropped with the refusal.
      share.release();
      return send(res, read.status === 503 ? busy(read.message) : rpcError(read.status, read.message));
    }
    await serveMcp(withBody(req, read.chunks, authInfo), res);
  }

  return {
    listener: (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logError(`http: ${(error as Error).message}`);
        if (!res.headersSent) send(res, rpcError(500, 'Internal error.'));
        else res.destroy();
      });
    },
    get inFlight() {
      return inFlight;
    },
    async drain(until) {
      draining = true;
      const stop = () => shutdown.abort();
      if (until.aborted) stop();
      else until.addEventListener('abort', stop, { once: true });
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      // Generations whose calls answered "pending" (at `until`, or earlier after
      // GENIMIX_MAX_WAIT_MS): Genimix gets the rest of the drain time to finish them, so the image
      // is stored when another process's get_image asks for it. Cutting the connection now would
      // leave a billed Generate without its image.
      const all = generationsByKey.all();
      const running = all.reduce((sum, g) => sum + g.running, 0);
      if (running === 0) return;
      logError(`waiting for ${running} generation(s) still running at Genimix, until the drain time is up.`);
      await Promise.all(all.map((g) => g.settled()));
    },
  };
}

/**
 * Why a request's Genimix key headers are refused, or `undefined` to serve it.
 * Security: the key itself never goes into the message (the core's check names the header only).
 */
function checkClientKey(headers: Headers, settings: HttpSettings, config: ServerConfig): string | undefined {
  const brings = headers.has(CLIENT_KEY_HEADER) || headers.has(CLIENT_PROJECT_HEADER);
  if (!settings.clientKeys) {
    return brings
      ? 'This server does not take a Genimix key or project from its clients: remove the X-Genimix-Api-Key and X-Genimix-Project-Id headers (the server uses its own), or ask its operator to set GENIMIX_CLIENT_KEYS=allow.'
      : undefined;
  }
  let own: { apiKey?: string; projectId?: string };
  try {
    own = readClientKey(headers);
  } catch (error) {
    return `${clientKeyProblem(error)} Fix the header in your MCP client's configuration.`;
  }
  // A user's key with the server's project would spend the user's tokens in a project that is
  // not theirs, or fail with a puzzling 403: a key comes with its project.
  if (own.apiKey && !own.projectId) {
    return 'X-Genimix-Api-Key needs X-Genimix-Project-Id: send the project your key belongs to beside it.';
  }
  if (!config.apiKey && !own.apiKey) {
    return 'This server has no Genimix key of its own: send your key in the X-Genimix-Api-Key header and your project in X-Genimix-Project-Id.';
  }
  return undefined;
}

/** A request with the headers only, for the checks made before the body is read. */
function headRequest(req: IncomingMessage, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  // Only the path matters to the checks; the host was validated above.
  return new Request(new URL(url.pathname + url.search, `http://${req.headers.host ?? 'localhost'}`), {
    method: 'GET',
    headers,
  });
}

/** A JSON-RPC error answer outside any request (`id: null`), with an HTTP status. */
function rpcError(status: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }, { status });
}

/** 503 for a request to send again shortly: the server is busy, not failing. */
function busy(message: string): Response {
  const response = rpcError(503, message);
  response.headers.set('retry-after', '5');
  return response;
}

/**
 * The most of a request's body still to come that an answer given before reading it lets the
 * server read and discard, in bytes, to keep the connection.
 */
const DISCARDED_BODY_BYTES = 64 * 1024;

/**
 * Writes a small, complete web `Response` (never a stream) to a Node response. The request's body
 * is never read here: when more than {@link DISCARDED_BODY_BYTES} of it (or a chunked body) is
 * still to come, the connection is closed after the answer, for Node would otherwise read and
 * discard all of it, however large, to keep the connection: a client refused before its body is
 * read could stream gigabytes in. A small rest is read, so that a client still writing it is not
 * reset before it reads the answer.
 */
function send(res: ServerResponse, response: Response, extra: Record<string, string> = {}): void {
  void response.arrayBuffer().then((body) => {
    const headers: Record<string, string> = { ...extra };
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    if (largeBodyUnread(res.req)) headers.connection = 'close';
    res.writeHead(response.status, headers);
    res.end(Buffer.from(body));
  });
}

function largeBodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const declared = Number(req.headers['content-length']);
  return !(declared <= DISCARDED_BODY_BYTES);
}
