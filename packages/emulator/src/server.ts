import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { checkId, GenimixValidationError } from '@genimix/core';
import type { KeyRing } from './auth.js';
import { awaitingContinue, ClientAbortedError, discardRest } from './body.js';
import { applyFault, type Exchange, respond } from './faults/apply.js';
import type { FaultRegistry } from './faults/registry.js';
import type { FaultKind } from './faults/types.js';
import type { RequestRecorder } from './requests.js';
import { errorReply, HttpError, newRequestId, type Reply, sendReply } from './respond.js';
import type { RouteContext } from './routes/context.js';
import { type GenerateSettings, generate } from './routes/generate.js';
import { deleteImage, getImage, putImage } from './routes/images.js';
import type { ImageStore } from './store/types.js';
import { targetOf } from './target.js';

/** One handled request, as {@link ServerOptions.onRequest} sees it. Holds no header, so no key. */
export interface RequestLogEntry {
  /** The `x-request-id` the response carried. */
  readonly requestId: string;
  readonly method: string;
  /** The request path without its query string, with any accepted API key in it replaced by `[redacted]`. */
  readonly path: string;
  /** The response status; meaningless when `aborted`. */
  readonly status: number;
  /** True when no complete response went out: the client went away, or the connection was cut. */
  readonly aborted: boolean;
  /** From the request's arrival until its response was sent or abandoned, in ms. */
  readonly durationMs: number;
  /** The kind of the injected fault that affected the request, if one did. */
  readonly fault?: FaultKind;
}

/** What the request handler needs. */
export interface ServerOptions {
  readonly keys: KeyRing;
  readonly store: ImageStore;
  /** The largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** The emulator's URL (no trailing slash), known once the server listens. */
  readonly baseUrl: () => string;
  /** The injected faults; each request takes at most one as it arrives. */
  readonly faults: FaultRegistry;
  /** Where every request is recorded as it arrives. */
  readonly requests: RequestRecorder;
  /** How Generate draws and how long it waits. */
  readonly generate: GenerateSettings;
  /** Called once per request when its response is done. */
  readonly onRequest?: ((entry: RequestLogEntry) => void) | undefined;
}

type Route = (ctx: RouteContext) => Promise<Reply>;

// The method table of each route kind; HEAD is a GET without a body.
const ROUTES: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  generate: { PUT: generate },
  image: { GET: getImage, HEAD: getImage, PUT: putImage, DELETE: deleteImage },
};

const ROUTE_LIST = 'PUT /v1/:projectId/generate/:imageId and GET, HEAD, PUT, DELETE /v1/:projectId/image/:imageId';

/**
 * The emulator's request handler: the request log, faults, routing, authentication and error
 * responses. Resolves when the request is fully handled and answered (or its connection cut);
 * never rejects.
 */
export function createRequestHandler(
  options: ServerOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = performance.now();
    const requestId = newRequestId();
    res.setHeader('x-request-id', requestId);
    const method = req.method ?? '';
    const rawPath = (req.url ?? '/').split('?', 1)[0]!;
    const path = pathForLog(rawPath, options.keys);
    const target = targetOf(method, rawPath);
    const fault = options.faults.take(target);
    const record = options.requests.open({
      requestId,
      method,
      path,
      route: target.route,
      ...ids(target),
      ...(fault ? { fault: fault.kind } : {}),
    });

    // Aborted when the connection ends, for whatever reason (the client left, a fault cut it,
    // close() ended it): any wait a fault makes stops then, so no timer outlives its connection.
    const ended = new AbortController();
    res.once('close', () => {
      ended.abort();
      const aborted = !res.writableFinished;
      if (aborted) record.setStatus('dropped');
      options.onRequest?.({
        requestId,
        method,
        path,
        status: res.statusCode,
        aborted,
        durationMs: Math.round(performance.now() - started),
        ...(fault ? { fault: fault.kind } : {}),
      });
    });

    let handled = false;
    const exchange: Exchange = {
      res,
      signal: ended.signal,
      async handle() {
        if (handled) throw new Error('A request is handled at most once.');
        handled = true;
        const reply = await handleRequest(req, res, options, ended.signal);
        if (reply === undefined) {
          // The client went away before its request was complete (its body, or a Generate's
          // latency): nothing to answer.
          record.setStatus('dropped');
          res.destroy();
          return undefined;
        }
        return closeIfBodyUnread(req, reply);
      },
      send(reply) {
        if (res.destroyed) return;
        record.setStatus(reply.status);
        sendReply(res, closeIfBodyUnread(req, reply));
      },
      mark: (status) => record.setStatus(status),
    };
    await (fault ? applyFault(fault, exchange) : respond(exchange));
    if (!req.readableEnded) discardRest(req);
  };
}

/** The reply to the request as routed and handled; `undefined` when the client went away. */
async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerOptions,
  signal: AbortSignal,
): Promise<Reply | undefined> {
  try {
    // res only for "100 Continue" (see body.ts); the reply itself is sent by the caller.
    return await route(req, res, options, signal);
  } catch (err) {
    return replyForError(err, options.keys);
  }
}

async function route(
  req: IncomingMessage,
  res: ServerResponse,
  options: ServerOptions,
  signal: AbortSignal,
): Promise<Reply> {
  const method = req.method ?? 'GET';
  const raw = (req.url ?? '/').split('?', 1)[0]!;
  const segments = raw.split('/').slice(1);
  if (!raw.startsWith('/') || segments[0] !== 'v1') throw unknownRoute(method, raw, options.keys);

  // Authentication comes before anything else under /v1, so no answer tells a caller without a
  // valid key which projects, images or routes exist.
  const principal = options.keys.authenticate(req.headers['x-api-key']);
  if (segments.length !== 4) throw unknownRoute(method, raw, options.keys);
  const [, rawProject, kind, rawImage] = segments as [string, string, string, string];
  const projectId = checkId('projectId', decodeSegment(rawProject));
  options.keys.authorize(principal, projectId);

  const methods = Object.hasOwn(ROUTES, kind) ? ROUTES[kind] : undefined;
  if (!methods) throw unknownRoute(method, raw, options.keys);
  const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
  if (!handler) {
    const allow = Object.keys(methods).join(', ');
    throw new HttpError(405, `Method ${method} is not allowed on /v1/:projectId/${kind}/:imageId: use ${allow}.`, {
      Allow: allow,
    });
  }
  const imageId = checkId('imageId', decodeSegment(rawImage));
  const imageUrl = `${options.baseUrl()}/v1/${encodeURIComponent(projectId)}/image/${encodeURIComponent(imageId)}`;
  return handler({
    req,
    res,
    projectId,
    imageId,
    store: options.store,
    imageUrl,
    maxUploadBytes: options.maxUploadBytes,
    generate: options.generate,
    signal,
  });
}

/** The error reply for whatever a route threw; `undefined` when the client went away. */
function replyForError(err: unknown, keys: KeyRing): Reply | undefined {
  if (err instanceof ClientAbortedError) return undefined;
  if (err instanceof HttpError) return errorReply(err.status, keys.redact(err.message), { ...err.headers });
  if (err instanceof GenimixValidationError) return errorReply(400, keys.redact(err.message));
  // The detail goes to the log of whoever runs the emulator, not to the client.
  console.error('genimix-emulator: internal error:', err);
  return errorReply(500, "Internal emulator error; see the emulator's own output for details.");
}

/**
 * `reply`, with `Connection: close` when the request body was held back for "100 Continue" and
 * not read: its client would otherwise keep the connection waiting for an answer to a body it
 * never sends.
 */
function closeIfBodyUnread(req: IncomingMessage, reply: Reply): Reply {
  if (!awaitingContinue(req) || req.readableEnded) return reply;
  return { ...reply, headers: { ...reply.headers, Connection: 'close' } };
}

/** The ids of a target, only those it has. */
function ids(target: { projectId?: string; imageId?: string }): { projectId?: string; imageId?: string } {
  return {
    ...(target.projectId === undefined ? {} : { projectId: target.projectId }),
    ...(target.imageId === undefined ? {} : { imageId: target.imageId }),
  };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(
      400,
      'The path has a malformed percent-encoding (a "%" not followed by two hex digits of UTF-8).',
    );
  }
}

/** The path as received, redacted; decoded first where that reveals a percent-encoded key. */
function pathForLog(raw: string, keys: KeyRing): string {
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // Malformed encoding: keep the raw path.
  }
  const redactedDecoded = keys.redact(decoded);
  return redactedDecoded === decoded ? keys.redact(raw) : redactedDecoded;
}

function unknownRoute(method: string, path: string, keys: KeyRing): HttpError {
  // Redacted before it is cut, so no cut can leave part of a key.
  const redacted = keys.redact(path);
  const shown = redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted;
  return new HttpError(404, `No route ${method} ${shown}: the API has ${ROUTE_LIST}.`);
}
