import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { call, errorMessage, rawRequest, sampleImage, startEmulator, upload } from './helpers.js';

describe('PUT /v1/:projectId/image/:imageId and GET it back', () => {
  for (const [format, type] of [
    ['png', 'image/png'],
    ['jpeg', 'image/jpeg'],
    ['webp', 'image/webp'],
    ['gif', 'image/gif'],
  ] as const) {
    it(`round-trips a ${format.toUpperCase()} byte for byte, with its content type`, async () => {
      const emulator = await startEmulator();
      const bytes = await sampleImage(format);
      const response = await upload(emulator, 'demo', `pic-${format}`, bytes, type);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        success: true,
        message: 'Image uploaded successfully',
        imageUrl: `${emulator.url}/v1/demo/image/pic-${format}`,
      });

      const image = await call(emulator, 'GET', `/v1/demo/image/pic-${format}`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toBe(type);
      expect(image.headers.get('content-length')).toBe(String(bytes.length));
      expect(Buffer.from(await image.arrayBuffer()).equals(bytes)).toBe(true);
    });
  }

  it('reads image/jpg as image/jpeg and ignores parameters of the type', async () => {
    const emulator = await startEmulator();
    const jpeg = await sampleImage('jpeg');
    expect((await upload(emulator, 'demo', 'a', jpeg, 'image/jpg')).status).toBe(200);
    expect((await upload(emulator, 'demo', 'b', jpeg, 'Image/JPEG; charset=binary')).status).toBe(200);
    expect((await call(emulator, 'GET', '/v1/demo/image/a')).headers.get('content-type')).toBe('image/jpeg');
  });

  it('replaces an image with the same id', async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png', 1);
    const gif = await sampleImage('gif', 2);
    expect((await upload(emulator, 'demo', 'x', png, 'image/png')).status).toBe(200);
    expect((await upload(emulator, 'demo', 'x', gif, 'image/gif')).status).toBe(200);
    const image = await call(emulator, 'GET', '/v1/demo/image/x');
    expect(image.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await image.arrayBuffer()).equals(gif)).toBe(true);
  });

  it('answers HEAD with the headers of a GET and no body', async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png');
    await upload(emulator, 'demo', 'x', png, 'image/png');
    const head = await call(emulator, 'HEAD', '/v1/demo/image/x');
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('image/png');
    expect(head.headers.get('content-length')).toBe(String(png.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect((await call(emulator, 'HEAD', '/v1/demo/image/missing')).status).toBe(404);
  });

  it('serves a percent-encoded path as the plain id', async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png');
    await upload(emulator, 'demo', 'abc', png, 'image/png');
    expect((await call(emulator, 'GET', '/v1/d%65mo/image/%61bc')).status).toBe(200);
  });
});

describe('refused uploads (400, nothing stored)', () => {
  const cases: Array<[string, () => Promise<Uint8Array>, string | undefined, RegExp]> = [
    [
      'text bytes declared as PNG',
      async () => Buffer.from('hello, I am not an image'),
      'image/png',
      /not a PNG, JPEG, WebP or GIF/,
    ],
    [
      'base64 of a PNG',
      async () => Buffer.from((await sampleImage('png')).toString('base64')),
      'image/png',
      /not a PNG/,
    ],
    ['a PNG declared as JPEG', () => sampleImage('png'), 'image/jpeg', /contradicts.*image\/png/],
    ['a JPEG declared as WebP', () => sampleImage('jpeg'), 'image/webp', /contradicts.*image\/jpeg/],
    ['a PNG without Content-Type', () => sampleImage('png'), undefined, /Content-Type header missing/],
    [
      'a PNG declared as application/octet-stream',
      () => sampleImage('png'),
      'application/octet-stream',
      /not an accepted image type/,
    ],
    [
      'an SVG, not an accepted type',
      async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      'image/svg+xml',
      /not an accepted image type/,
    ],
    ['an empty body', async () => new Uint8Array(0), 'image/png', /empty/],
  ];
  for (const [name, bytes, type, message] of cases) {
    it(name, async () => {
      const emulator = await startEmulator();
      const response = await upload(emulator, 'demo', 'x', await bytes(), type);
      expect(response.status).toBe(400);
      expect(await errorMessage(response)).toMatch(message);
      expect(await emulator.store.has('demo', 'x')).toBe(false);
    });
  }

  it("refuses invalid image ids with core checkId's message", async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png');
    const response = await upload(emulator, 'demo', 'a%2Fb', png, 'image/png');
    expect(response.status).toBe(400);
    expect(await errorMessage(response)).toMatch(/^imageId "a\/b" contains "\/"/);
    for (const path of [
      '/v1/demo/image/..',
      '/v1/demo/image/%2E%2E',
      '/v1/%2e/image/x',
      '/v1/demo/image/..%2Fsecret',
    ]) {
      const response = await rawRequest(emulator, 'GET', path);
      expect(response.status, path).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        success: false,
        message: expect.stringMatching(/^(imageId|projectId) /),
      });
    }
    const long = await upload(emulator, 'demo', 'x'.repeat(129), png, 'image/png');
    expect(long.status).toBe(400);
    expect(await errorMessage(long)).toMatch(/imageId is 129 characters long/);
  });
});

describe('upload size limit', () => {
  it('accepts an upload of exactly maxUploadBytes and answers 413 one byte past it', async () => {
    const png = await sampleImage('png');
    // Trailing bytes after the image do not change what its magic bytes say.
    const padded = Buffer.concat([png, Buffer.alloc(1000 - png.length)]);
    const emulator = await startEmulator({ maxUploadBytes: 1000 });
    expect((await upload(emulator, 'demo', 'fits', padded, 'image/png')).status).toBe(200);

    const over = await upload(emulator, 'demo', 'over', Buffer.concat([padded, Buffer.alloc(1)]), 'image/png');
    expect(over.status).toBe(413);
    expect(await errorMessage(over)).toMatch(/1000 bytes/);
    expect(await emulator.store.list('demo')).toEqual(['fits']);
  });

  it('answers 413 for a body without Content-Length once it passes the limit', async () => {
    const emulator = await startEmulator({ maxUploadBytes: 64 * 1024 });
    const png = await sampleImage('png');
    const chunks = [png, ...Array.from({ length: 40 }, () => Buffer.alloc(16 * 1024))];
    const response = await fetch(`${emulator.url}/v1/demo/image/streamed`, {
      method: 'PUT',
      headers: { 'x-api-key': 'dev-key', 'Content-Type': 'image/png' },
      body: Readable.toWeb(Readable.from(chunks)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await emulator.store.has('demo', 'streamed')).toBe(false);
    // The connection still serves the next request.
    expect((await call(emulator, 'GET', '/v1/demo/image/streamed')).status).toBe(404);
  });

  it('answers 413 for a large upload (50 MiB default) without taking it in', async () => {
    const emulator = await startEmulator({ maxUploadBytes: 4 * 1024 * 1024 });
    const big = Buffer.concat([await sampleImage('png'), Buffer.alloc(5 * 1024 * 1024)]);
    const response = await upload(emulator, 'demo', 'big', big, 'image/png');
    expect(response.status).toBe(413);
  });
});

describe('DELETE /v1/:projectId/image/:imageId', () => {
  it('answers { success: true, deleted } and the image is gone', async () => {
    const emulator = await startEmulator();
    await upload(emulator, 'demo', 'x', await sampleImage('png'), 'image/png');
    const response = await call(emulator, 'DELETE', '/v1/demo/image/x');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, deleted: 'x' });

    const after = await call(emulator, 'GET', '/v1/demo/image/x');
    expect(after.status).toBe(404);
    expect(await errorMessage(after)).toBe('Image "x" not found in project "demo".');
    expect((await call(emulator, 'DELETE', '/v1/demo/image/x')).status).toBe(404);
  });

  it('answers 404 naming image and project for a missing image', async () => {
    const emulator = await startEmulator();
    for (const method of ['GET', 'DELETE']) {
      const response = await call(emulator, method, '/v1/demo/image/never');
      expect(response.status).toBe(404);
      const message = await errorMessage(response);
      expect(message).toContain('never');
      expect(message).toContain('demo');
    }
  });
});

describe('projects', () => {
  it('keeps the same image id in two projects as two images', async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png');
    const jpeg = await sampleImage('jpeg');
    await upload(emulator, 'alpha', 'shared', png, 'image/png');
    await upload(emulator, 'beta', 'shared', jpeg, 'image/jpeg');

    const a = await call(emulator, 'GET', '/v1/alpha/image/shared');
    const b = await call(emulator, 'GET', '/v1/beta/image/shared');
    expect(Buffer.from(await a.arrayBuffer()).equals(png)).toBe(true);
    expect(Buffer.from(await b.arrayBuffer()).equals(jpeg)).toBe(true);

    expect((await call(emulator, 'DELETE', '/v1/alpha/image/shared')).status).toBe(200);
    expect((await call(emulator, 'GET', '/v1/alpha/image/shared')).status).toBe(404);
    expect((await call(emulator, 'GET', '/v1/beta/image/shared')).status).toBe(200);
    expect((await call(emulator, 'GET', '/v1/gamma/image/shared')).status).toBe(404);
  });
});

describe('routing', () => {
  it('answers 404 JSON for unknown routes', async () => {
    const emulator = await startEmulator();
    for (const path of ['/', '/v2/demo/image/x', '/v1', '/v1/demo', '/v1/demo/images/x', '/v1/demo/image/x/extra']) {
      const response = await call(emulator, 'GET', path);
      expect(response.status, path).toBe(404);
      expect(await errorMessage(response)).toMatch(/No route/);
    }
  });

  it('answers 405 with Allow for a method a route does not have', async () => {
    const emulator = await startEmulator();
    const post = await call(emulator, 'POST', '/v1/demo/image/x');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE');
    expect(await errorMessage(post)).toMatch(/POST/);

    const get = await call(emulator, 'GET', '/v1/demo/generate/x');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('PUT');
  });
});

describe('the read-only store view', () => {
  it('lists, gets and checks images per project, and hands out copies', async () => {
    const emulator = await startEmulator();
    const png = await sampleImage('png');
    await upload(emulator, 'demo', 'b', png, 'image/png');
    await upload(emulator, 'demo', 'a', png, 'image/png');
    expect(await emulator.store.list('demo')).toEqual(['a', 'b']);
    expect(await emulator.store.list('other')).toEqual([]);
    expect(await emulator.store.has('demo', 'a')).toBe(true);
    expect(await emulator.store.has('other', 'a')).toBe(false);

    const stored = await emulator.store.get('demo', 'a');
    expect(stored).toMatchObject({ projectId: 'demo', imageId: 'a', contentType: 'image/png', size: png.length });
    stored!.bytes.fill(0);
    const image = await call(emulator, 'GET', '/v1/demo/image/a');
    expect(Buffer.from(await image.arrayBuffer()).equals(png)).toBe(true);
    expect('put' in emulator.store || 'delete' in emulator.store).toBe(false);
  });
});
