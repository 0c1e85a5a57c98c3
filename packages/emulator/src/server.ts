import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { GenimixValidationError, checkId } from '@genimix/core';
import type { KeyRing } from './auth.js';
import { ClientAbortedError, awaitingContinue, discardRest } from './body.js';
import { HttpError, newRequestId, sendError } from './respond.js';
import type { RouteContext } from './routes/context.js';
import { generate } from './routes/generate.js';
import { deleteImage, getImage, putImage } from './routes/images.js';
import type { ImageStore } from './store/types.js';

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
}

/** What the request handler needs. */
export interface ServerOptions {
  readonly keys: KeyRing;
  readonly store: ImageStore;
  /** The largest upload accepted, in bytes. */
  readonly maxUploadBytes: number;
  /** The emulator's URL (no trailing slash), known once the server listens. */
  readonly baseUrl: () => string;
  /** Called once per request when its response is done. */
  readonly onRequest?: ((entry: RequestLogEntry) => void) | undefined;
}

type Route = (ctx: RouteContext) => Promise<void>;

// The method table of each route kind; HEAD is a GET without a body.
const ROUTES: Readonly<Record<string, Readonly<Record<string, Route>>>> = {
  generate: { PUT: generate },
  image: { GET: getImage, HEAD: getImage, PUT: putImage, DELETE: deleteImage },
};

const ROUTE_LIST = 'PUT /v1/:projectId/generate/:imageId and GET, HEAD, PUT, DELETE /v1/:projectId/image/:imageId';

/**
 * The emulator's request handler: routing, authentication, error responses and the request log.
 * Resolves when the request is fully handled; never rejects.
 */
export function createRequestHandler(options: ServerOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = performance.now();
    const requestId = newRequestId();
    res.setHeader('x-request-id', requestId);
    const path = pathForLog((req.url ?? '/').split('?', 1)[0]!, options.keys);
    res.once('close', () => {
      options.onRequest?.({
        requestId,
        method: req.method ?? '',
        path,
        status: res.statusCode,
        aborted: !res.writableFinished,
        durationMs: Math.round(performance.now() - started),
      });
    });

    try {
      await route(req, res, options);
    } catch (err) {
      answerError(req, res, err, options.keys);
    }
    if (!req.readableEnded) discardRest(req);
  };
}

async function route(req: IncomingMessage, res: ServerResponse, options: ServerOptions): Promise<void> {
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
    throw new HttpError(405, `Method ${method} is not allowed on /v1/:projectId/${kind}/:imageId: use ${allow}.`, { Allow: allow });
  }
  const imageId = checkId('imageId', decodeSegment(rawImage));
  const imageUrl = `${options.baseUrl()}/v1/${encodeURIComponent(projectId)}/image/${encodeURIComponent(imageId)}`;
  await handler({ req, res, projectId, imageId, store: options.store, imageUrl, maxUploadBytes: options.maxUploadBytes });
}

/** Sends the error response for whatever a route threw. */
function answerError(req: IncomingMessage, res: ServerResponse, err: unknown, keys: KeyRing): void {
  if (err instanceof ClientAbortedError) {
    res.destroy();
    return;
  }
  if (res.headersSent) {
    // Part of a success was sent already; only a cut connection still tells the client it failed.
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  // A client waiting for "100 Continue" would otherwise keep its connection waiting for an answer
  // to a body it never sends.
  if (awaitingContinue(req) && !req.readableEnded) headers.Connection = 'close';
  if (err instanceof HttpError) {
    sendError(res, err.status, keys.redact(err.message), { ...err.headers, ...headers });
  } else if (err instanceof GenimixValidationError) {
    sendError(res, 400, keys.redact(err.message), headers);
  } else {
    // The detail goes to the log of whoever runs the emulator, not to the client.
    console.error('genimix-emulator: internal error:', err);
    sendError(res, 500, 'Internal emulator error; see the emulator\'s own output for details.', headers);
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'The path has a malformed percent-encoding (a "%" not followed by two hex digits of UTF-8).');
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
