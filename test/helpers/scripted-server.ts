import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the scripted server answers to the next request. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send only this many bytes of `body`, then destroy the socket (a connection dropped mid-body). */
  cutAfterBytes?: number;
  /** Never answer (until the server closes). */
  hang?: boolean;
}

/** Answers to give in turn, then `last` for every request after them. */
export function inTurn(answers: ScriptedResponse[], last: ScriptedResponse = answers.at(-1)!): () => ScriptedResponse {
  let next = 0;
  return () => answers[next++] ?? last;
}

/**
 * A loopback HTTP server that answers each request with whatever `next` holds, or with
 * `byRoute(method, url)` when that is set and returns an answer. It records what it was sent.
 */
export async function startScriptedServer(): Promise<{
  url: string;
  next: ScriptedResponse;
  byRoute: ((method: string, url: string) => ScriptedResponse | undefined) | undefined;
  seen: http.IncomingHttpHeaders[];
  requests: Array<{ method: string; url: string }>;
  close(): Promise<void>;
}> {
  const state = {
    next: { status: 200 } as ScriptedResponse,
    byRoute: undefined as ((method: string, url: string) => ScriptedResponse | undefined) | undefined,
    seen: [] as http.IncomingHttpHeaders[],
    requests: [] as Array<{ method: string; url: string }>,
  };
  const server = http.createServer((req, res) => {
    state.seen.push(req.headers);
    state.requests.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    req.on('end', () => {
      const answer = state.byRoute?.(req.method ?? '', req.url ?? '') ?? state.next;
      const { status, headers = {}, body, cutAfterBytes, hang } = answer;
      if (hang) return;
      if (cutAfterBytes !== undefined && body !== undefined) {
        const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body);
        res.writeHead(status, { 'content-length': String(bytes.length), ...headers });
        res.write(bytes.subarray(0, cutAfterBytes), () => res.socket?.destroy());
        return;
      }
      res.writeHead(status, headers);
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get next() {
      return state.next;
    },
    set next(value) {
      state.next = value;
    },
    get byRoute() {
      return state.byRoute;
    },
    set byRoute(value) {
      state.byRoute = value;
    },
    seen: state.seen,
    requests: state.requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
