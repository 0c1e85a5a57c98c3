/**
 * A loopback proxy in front of a server (the emulator) that records, for every request, the
 * headers that say how long its body is, how many body bytes really arrived and the API key it
 * carried: what a client sent on the wire, which the emulator's own log does not keep.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the proxy saw it. */
export interface TappedRequest {
  method: string;
  path: string;
  /** The `Content-Length` header, as a number; undefined when absent (chunked). */
  contentLength: number | undefined;
  transferEncoding: string | undefined;
  /** The `x-api-key` header: which key the request was sent with (test keys only). */
  apiKey: string | undefined;
  /** Body bytes received. */
  bytes: number;
  /** True when the body arrived to its end; false when the client stopped sending it. */
  complete: boolean;
}

export interface UploadTap {
  /** The proxy's URL: point the client here instead of at the target. */
  url: string;
  /** Every request, in order of arrival; filled in as each body ends or breaks off. */
  requests: TappedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a recording proxy on 127.0.0.1, port 0, forwarding to `target` (an http:// URL).
 * `onData` is called with each request's byte count so far as its body arrives (to sample the
 * sender's memory while an upload is in flight, without timers). `closeAfterAnswer` closes each
 * connection after its answer (`Connection: close`), for a client that reuses a connection whose
 * upload was answered early (undici): this proxy does not serve a next request on it.
 */
export async function startUploadTap(
  target: string,
  options: { onData?: (bytesSoFar: number) => void; closeAfterAnswer?: boolean } = {},
): Promise<UploadTap> {
  const requests: TappedRequest[] = [];
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const header = req.headers['content-length'];
    const entry: TappedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      contentLength: header === undefined ? undefined : Number(header),
      transferEncoding: req.headers['transfer-encoding'],
      apiKey: req.headers['x-api-key'] as string | undefined,
      bytes: 0,
      complete: false,
    };
    requests.push(entry);
    const forward = http.request(
      // A connection per request: a body cut short must not leave a reused connection mid-request.
      // Keep-alive, so that a server answering early reads the rest of the body instead of closing.
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, connection: 'keep-alive' },
        agent: false,
      },
      (answer) => {
        res.writeHead(
          answer.statusCode ?? 502,
          options.closeAfterAnswer ? { ...answer.headers, connection: 'close' } : answer.headers,
        );
        answer.pipe(res);
      },
    );
    // Upstream went away without an answer: so does the client.
    forward.on('error', () => {
      if (!res.headersSent) res.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      entry.bytes += chunk.length;
      options.onData?.(entry.bytes);
    });
    req.on('end', () => {
      entry.complete = true;
    });
    // A client that stops mid-body: the upstream request must not complete either. ('close'
    // would not do: it also comes when the answer went out before the body was all in.)
    req.on('aborted', () => forward.destroy());
    // Whatever became of upstream, the rest of the body is read, so the connection stays usable.
    forward.on('close', () => {
      req.unpipe(forward);
      req.resume();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
