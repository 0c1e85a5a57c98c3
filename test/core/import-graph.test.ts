import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * What `import '@genimix/core'` loads, recorded by a resolve hook in a fresh Node process: the
 * core's import cost is a third of what it was because zod, undici and most of image-size wait
 * for first use (bench/core-import.ts measures it). A dependency added at the top of a module
 * would quietly bring the cost back: this names it.
 */
function modulesLoadedBy(code: string): string[] {
  const hook = `
    export async function resolve(specifier, context, next) {
      const result = await next(specifier, context);
      process.stderr.write('LOADED ' + result.url + '\\n');
      return result;
    }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const run = spawnSync(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--input-type=module', '-e', code],
    {
      encoding: 'utf8',
      cwd: createRequire(import.meta.url)
        .resolve('@genimix/core/package.json')
        .replace(/package\.json$/, ''),
    },
  );
  expect(run.status, run.stderr).toBe(0);
  return run.stderr
    .split('\n')
    .filter((line) => line.startsWith('LOADED '))
    .map((line) => line.slice('LOADED '.length));
}

describe('importing @genimix/core', () => {
  it('loads neither zod nor undici, and of image-size only the four accepted formats', () => {
    const loaded = modulesLoadedBy("await import('@genimix/core');");
    expect(loaded.some((url) => url.includes('/packages/core/dist/index.js'))).toBe(true);
    expect(loaded.filter((url) => /\/node_modules\/(zod|undici)\//.test(url))).toEqual([]);
    const imageSize = loaded
      .filter((url) => url.includes('/image-size/'))
      .map((url) => url.replace(/^.*\/image-size\/dist\/esm\//, ''));
    expect([...new Set(imageSize)].sort()).toEqual([
      'types/gif.js',
      'types/jpg.js',
      'types/png.js',
      'types/utils.js',
      'types/webp.js',
    ]);
  });

  it('loads zod when the first JSON body is read, and the client still checks it', async () => {
    const loaded = modulesLoadedBy(`
      const { GenimixClient } = await import('@genimix/core');
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"success":true,"deleted":"x"}'); });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const client = new GenimixClient({ apiKey: 'sk_import_graph_0123', projectId: 'p', baseUrl: 'http://127.0.0.1:' + server.address().port });
      const result = await client.deleteImage({ imageId: 'x' });
      if (result.deleted !== 'x') throw new Error('unexpected ' + JSON.stringify(result));
      server.close(); await client.close?.();
    `);
    expect(loaded.some((url) => /\/node_modules\/zod\//.test(url))).toBe(true);
    expect(loaded.some((url) => /\/node_modules\/undici\//.test(url))).toBe(true);
  });

  it('loads no undici when the requests go through the fetch transport', () => {
    const loaded = modulesLoadedBy(`
      const { GenimixClient } = await import('@genimix/core');
      const { createFetchTransport } = await import('@genimix/core/fetch');
      const { createServer } = await import('node:http');
      const server = createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"success":true,"deleted":"x"}'); });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const client = new GenimixClient({ apiKey: 'sk_import_graph_0123', projectId: 'p', baseUrl: 'http://127.0.0.1:' + server.address().port, transport: createFetchTransport() });
      const result = await client.deleteImage({ imageId: 'x' });
      if (result.deleted !== 'x') throw new Error('unexpected ' + JSON.stringify(result));
      server.close();
    `);
    expect(loaded.some((url) => url.includes('/packages/core/dist/fetch.js'))).toBe(true);
    expect(loaded.filter((url) => /\/node_modules\/undici\/|\/dist\/undici\.js/.test(url))).toEqual([]);
  });
});
