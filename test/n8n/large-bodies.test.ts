/**
 * A Get whose body never ends (a broken proxy, a misrouted stream): the node must stop at the
 * core's 50 MiB cap as the bytes arrive, not buffer without bound (n8n#18764).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PNG_SIGNATURE } from '../helpers/images.js';
import { loopbackBufferBytes } from '../helpers/socket-buffers.js';
import { NodeApiError, runNode } from './harness.js';

let server: http.Server;
let baseUrl: string;
let bytesSent = 0;

beforeAll(async () => {
  const chunk = Buffer.alloc(1024 * 1024, 7);
  server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'image/png' });
    res.write(PNG_SIGNATURE);
    // Endless: write whenever the socket drains, until the client goes away.
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) bytesSent += chunk.length;
    };
    res.on('drain', pump);
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('Get of an endless body fails at the 50 MiB cap, having read little more than that', async () => {
  const run = await runNode({
    credentials: { apiKey: 'sk_test_endless_body_key', projectId: 'p', baseUrl },
    parameters: { resource: 'image', operation: 'get', imageId: 'endless' },
  });
  expect(run.error).toBeInstanceOf(NodeApiError);
  expect(run.error!.message).toMatch(/larger than 52428800 bytes/);
  // The kernel's socket buffers hold what was written and never read; past that, the server
  // could only have written more if the node had gone on reading.
  expect(bytesSent).toBeLessThan(52428800 + loopbackBufferBytes() + 4 * 1024 * 1024);
});
