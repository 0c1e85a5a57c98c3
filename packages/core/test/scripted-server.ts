import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the scripted server answers to the next request. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Send only this many bytes of `body`, then destroy the socket (a connection dropped mid-body). */
  cutAfterBytes?: number;
}

/** A loopback HTTP server that answers each request with whatever `next` holds. */
export async function startScriptedServer(): Promise<{ url: string; next: ScriptedResponse; seen: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const state = {
    next: { status: 200 } as ScriptedResponse,
    seen: [] as http.IncomingHttpHeaders[],
  };
  const server = http.createServer((req, res) => {
    state.seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      const { status, headers = {}, body, cutAfterBytes } = state.next;
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
    seen: state.seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
