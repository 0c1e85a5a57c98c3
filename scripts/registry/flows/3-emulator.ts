/**
 * `npx -y @genimix/emulator --port 0`: the CLI prints `Genimix emulator listening on <url> (…)` on
 * stdout once it listens; then the four endpoints answer real HTTP calls with its default key.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { root } from '../../n8n/package.js';
import { secs, startService } from '../../n8n/processes.js';
import { type Flow, timed } from '../flow.js';

const PACKAGE = '@genimix/emulator';
/** The emulator's default accepted key (`--api-key` changes it). */
const DEFAULT_KEY = 'dev-key';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export default {
  name: 'emulator',
  title: `npx -y ${PACKAGE} --port 0: generate, upload, get and delete over HTTP`,
  async run(ctx, c) {
    const user = await ctx.user('emulator');
    const service = startService('npx emulator', 'npx', ['-y', PACKAGE, '--port', '0'], {
      cwd: user.dir,
      env: user.env,
    });
    try {
      const [match, startMs] = await timed(() =>
        service.waitFor(/Genimix emulator listening on (http:\/\/127\.0\.0\.1:\d+)/, 5 * 60_000),
      );
      const url = match[1]!;
      c.ok(!url.endsWith(':0'), `it printed the port it picked (${url})`);
      const headers = { 'x-api-key': DEFAULT_KEY };
      const base = `${url}/v1/registry-cli`;

      const generate = await fetch(`${base}/generate/fox`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({
          provider: 'google',
          modelId: 'imagen-3.0-generate-002',
          prompt: 'A red fox in the snow',
        }),
      });
      const generated = (await generate.json()) as { success?: boolean; imageUrl?: string };
      c.equal(generate.status, 200, 'PUT …/generate/fox status');
      c.equal(generated.imageUrl, `${base}/image/fox`, 'Generate imageUrl');

      const photo = await readFile(path.join(root, 'fixtures', 'stm32f3-discovery.jpg'));
      const upload = await fetch(`${base}/image/photo`, {
        method: 'PUT',
        headers: { ...headers, 'content-type': 'image/jpeg' },
        body: photo,
      });
      await upload.arrayBuffer();
      c.equal(upload.status, 200, `PUT …/image/photo (${photo.length} bytes of JPEG) status`);

      const got = await fetch(`${base}/image/fox`, { headers });
      const png = Buffer.from(await got.arrayBuffer());
      c.equal(got.status, 200, 'GET …/image/fox status');
      c.equal(got.headers.get('content-type'), 'image/png', 'GET …/image/fox content-type');
      c.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), `GET …/image/fox is a PNG (${png.length} bytes)`);
      const gotPhoto = await fetch(`${base}/image/photo`, { headers });
      const photoBack = Buffer.from(await gotPhoto.arrayBuffer());
      c.ok(photoBack.equals(photo), 'GET …/image/photo returns the uploaded bytes');

      const del = await fetch(`${base}/image/photo`, { method: 'DELETE', headers });
      const deleted = (await del.json()) as { deleted?: string };
      c.equal(del.status, 200, 'DELETE …/image/photo status');
      c.equal(deleted.deleted, 'photo', 'DELETE answer names the image');
      const gone = await fetch(`${base}/image/photo`, { headers });
      await gone.arrayBuffer();
      c.equal(gone.status, 404, 'GET …/image/photo after the delete');
      const wrongKey = await fetch(`${base}/image/fox`, { headers: { 'x-api-key': 'wrong' } });
      await wrongKey.arrayBuffer();
      c.equal(wrongKey.status, 401, 'a wrong key is refused');
      return [`installed and listening in ${secs(startMs)} (empty npm cache: sharp and the rest from the registry)`];
    } finally {
      await service.stop();
    }
  },
} satisfies Flow;
