/**
 * The emulator as the conformance cases see it (suite.ts's {@link EmulatorControl}): directly in
 * the vitest process, or over a small HTTP API for a runner in another runtime (run.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Emulator, FaultHandle } from '@genimix/emulator';
import type { CaseFault, EmulatorControl } from './suite.js';

/** The control of `emulator` for the cases of one run, which use `projectId` alone. */
export function inProcessControl(emulator: Emulator, projectId: string): EmulatorControl {
  return {
    async addFault(fault: CaseFault) {
      const handle = emulator.faults.add({ ...fault, projectId });
      return { whenHit: () => handle.whenHit() };
    },
    async requests(imageId?: string) {
      return emulator.requests
        .list()
        .filter((r) => r.projectId === projectId && (imageId === undefined || r.imageId === imageId))
        .map(({ method, status, fault }) => ({ method, status, ...(fault ? { fault } : {}) }));
    },
  };
}

/** A control served over HTTP on loopback, for run.ts in another process. */
export interface ServedControl {
  /** `http://127.0.0.1:<port>`: give it to run.ts as `GENIMIX_CONFORMANCE_CONTROL`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `inProcessControl` over HTTP:
 * - `POST /faults?project=<id>` with a {@link CaseFault} as JSON → `{ "id": n }`;
 * - `POST /faults/<id>/hit` → 204 once a request reached that fault (409 if it ended first);
 * - `GET /requests?project=<id>[&image=<id>]` → the requests, as `EmulatorControl.requests`.
 */
export async function serveControl(emulator: Emulator): Promise<ServedControl> {
  const faults: FaultHandle[] = [];
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const reply = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    try {
      const project = url.searchParams.get('project') ?? '';
      const hit = /^\/faults\/(\d+)\/hit$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === '/faults') {
        let text = '';
        for await (const chunk of req) text += chunk;
        faults.push(emulator.faults.add({ ...(JSON.parse(text) as CaseFault), projectId: project }));
        return reply(200, { id: faults.length - 1 });
      }
      if (req.method === 'POST' && hit) {
        const handle = faults[Number(hit[1])];
        if (!handle) return reply(404, { message: 'no such fault' });
        return await handle.whenHit().then(
          () => reply(204),
          () => reply(409, { message: 'the fault ended before a request reached it' }),
        );
      }
      if (req.method === 'GET' && url.pathname === '/requests') {
        const image = url.searchParams.get('image') ?? undefined;
        return reply(200, await inProcessControl(emulator, project).requests(image));
      }
      reply(404, { message: `no route ${req.method} ${url.pathname}` });
    } catch (error) {
      reply(400, { message: error instanceof Error ? error.message : String(error) });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
