/**
 * registry.npmjs.org played by a local registry: an HTTP proxy on 127.0.0.1 that terminates
 * `CONNECT registry.npmjs.org:443` with a certificate from a throw-away CA and forwards the
 * decrypted requests to a registry on loopback (Verdaccio). A process given {@link NpmjsStandIn.env}
 * sees the packages there as if they were published on npmjs.org.
 *
 * Why: n8n's Community edition installs community packages only from https://registry.npmjs.org
 * (any other `N8N_COMMUNITY_PACKAGES_REGISTRY` needs an Enterprise licence), so the way every
 * non-Enterprise user gets a package can only be tried under the public registry's name.
 *
 * The forwarded requests carry `Host: registry.npmjs.org` and `X-Forwarded-Proto: https`, from
 * which Verdaccio 6 writes tarball URLs (`getPublicUrl` in @verdaccio/url), so tarballs come back
 * through the proxy too. Every other host is refused (403), as are plain-HTTP proxy requests.
 */
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream';
import selfsigned from 'selfsigned';

/** The host the stand-in answers for; CONNECT to any other host is refused. */
export const NPMJS_HOST = 'registry.npmjs.org';

/** Hosts a process reaches directly, never through the stand-in (the emulator, PostgreSQL, Verdaccio). */
const NO_PROXY = '127.0.0.1,localhost';

/** Headers that describe one hop, not the request: never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
]);

export interface NpmjsStandInOptions {
  /** The registry that answers for npmjs.org: `http://127.0.0.1:PORT/` (a path prefix is kept). */
  registryUrl: string;
  /** Where `npmjs-stand-in.log` gets one line per request (method, URL, status); none when absent. */
  logDir?: string;
}

/** A running stand-in. */
export interface NpmjsStandIn {
  /**
   * What a process needs to reach npmjs.org through the stand-in: `HTTPS_PROXY`/`https_proxy`,
   * `HTTP_PROXY`/`http_proxy`, `NO_PROXY`/`no_proxy` (loopback stays direct), `NODE_EXTRA_CA_CERTS`
   * (the throw-away CA), and npm's own `npm_config_https_proxy`, `npm_config_proxy`,
   * `npm_config_noproxy` and `npm_config_cafile` (npm 11's proxied requests do not trust
   * `NODE_EXTRA_CA_CERTS`: they fail with UNABLE_TO_VERIFY_LEAF_SIGNATURE without it; the CA
   * file alone is enough, as every host but npmjs.org is refused anyway), and `npm_config_cache`,
   * a cache of its own: npm keys its cache by URL and falls back to stale entries when the
   * registry fails, so answers given under npmjs.org's name must never reach the user's cache.
   */
  readonly env: Record<string, string>;
  /**
   * Every request, oldest first, as `METHOD URL`: `CONNECT host:port` for each tunnel asked for
   * (refused ones included), `GET https://registry.npmjs.org/<path>` for each request inside one,
   * `GET http://host/path` for refused plain-HTTP proxy requests.
   */
  readonly requests: string[];
  /** `http://127.0.0.1:PORT` */
  readonly proxyUrl: string;
  /** The CA certificate file (PEM) that `NODE_EXTRA_CA_CERTS` names; removed by `close` with the npm cache. */
  readonly caFile: string;
  /** Stops listening, ends open tunnels and removes the temporary folder. */
  close(): Promise<void>;
}

/**
 * Starts the stand-in on 127.0.0.1, port 0, with a new CA and a certificate for registry.npmjs.org
 * (EC P-256, valid one day; the keys stay in memory, only the CA certificate is written, to a
 * temporary folder that also holds the npm cache its env names). Throws when `registryUrl` is not an http(s) URL.
 */
export async function startNpmjsStandIn(options: NpmjsStandInOptions): Promise<NpmjsStandIn> {
  const upstream = new URL(options.registryUrl);
  if (upstream.protocol !== 'http:' && upstream.protocol !== 'https:')
    throw new Error(`registryUrl must be an http(s) URL, not ${options.registryUrl}`);
  const upstreamBase = upstream.pathname.replace(/\/+$/, '');
  const logFile = options.logDir ? path.join(options.logDir, 'npmjs-stand-in.log') : undefined;
  const requests: string[] = [];
  const log = (line: string, status: number | string) => {
    if (logFile) appendFileSync(logFile, `${new Date().toISOString()} ${line} → ${status}\n`);
  };

  const { ca, leaf } = await makeCertificates();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'npmjs-stand-in-'));
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, ca.cert, { mode: 0o644 });

  const client = upstream.protocol === 'https:' ? https : http;
  // Not listening: the proxy hands it each accepted tunnel's socket.
  const tlsServer = https.createServer({ key: leaf.private, cert: leaf.cert }, (req, res) => {
    const line = `${req.method} https://${NPMJS_HOST}${req.url}`;
    requests.push(line);
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    Object.assign(headers, { host: NPMJS_HOST, 'x-forwarded-proto': 'https', 'x-forwarded-host': NPMJS_HOST });
    const forwarded = client.request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: `${upstreamBase}${req.url}`,
        headers,
      },
      (answer) => {
        log(line, answer.statusCode ?? '?');
        const back: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers))
          if (!HOP_BY_HOP.has(name) && value !== undefined) back[name] = value;
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, back);
        pipeline(answer, res, () => {});
      },
    );
    forwarded.on('error', (err) => {
      log(line, `upstream error: ${err.message}`);
      if (res.headersSent) res.destroy(err);
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`npmjs stand-in: ${err.message}\n`);
    });
    pipeline(req, forwarded, () => {});
  });
  tlsServer.on('tlsClientError', (err, socket) => {
    log(`TLS ${NPMJS_HOST}`, `client error: ${err.message}`);
    socket.destroy();
  });

  const tunnels = new Set<Socket>();
  const proxy = http.createServer((req, res) => {
    const line = `${req.method} ${req.url}`;
    requests.push(line);
    log(line, 403);
    res.writeHead(403, { 'content-type': 'text/plain' }).end(`npmjs stand-in: only CONNECT ${NPMJS_HOST}:443\n`);
  });
  proxy.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? '';
    requests.push(`CONNECT ${target}`);
    socket.on('error', () => socket.destroy());
    if (target.toLowerCase() !== `${NPMJS_HOST}:443`) {
      log(`CONNECT ${target}`, 403);
      socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
      return;
    }
    log(`CONNECT ${target}`, 200);
    tunnels.add(socket);
    socket.on('close', () => tunnels.delete(socket));
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) socket.unshift(head);
    tlsServer.emit('connection', socket);
  });
  await new Promise<void>((resolve, reject) => {
    proxy.once('error', reject);
    proxy.listen(0, '127.0.0.1', () => resolve());
  });
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const env: Record<string, string> = {
    HTTPS_PROXY: proxyUrl,
    https_proxy: proxyUrl,
    HTTP_PROXY: proxyUrl,
    http_proxy: proxyUrl,
    NO_PROXY,
    no_proxy: NO_PROXY,
    NODE_EXTRA_CA_CERTS: caFile,
    npm_config_https_proxy: proxyUrl,
    npm_config_proxy: proxyUrl,
    npm_config_noproxy: NO_PROXY,
    npm_config_cafile: caFile,
    npm_config_cache: path.join(dir, 'npm-cache'),
  };

  return {
    env,
    requests,
    proxyUrl,
    caFile,
    async close() {
      for (const socket of tunnels) socket.destroy();
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A CA (`CN=Genimix npmjs stand-in CA`) and a leaf for registry.npmjs.org signed by it, PEM. */
async function makeCertificates() {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(Date.now() + 24 * 3_600_000);
  const common = { keyType: 'ec' as const, algorithm: 'sha256', notBeforeDate, notAfterDate };
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'Genimix npmjs stand-in CA' }], {
    ...common,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: NPMJS_HOST }], {
    ...common,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: NPMJS_HOST }] },
    ],
  });
  return { ca, leaf };
}
