/**
 * A throw-away Redis for n8n's queue mode (Debian's `redis-server`, installed with apt-get when
 * missing): 127.0.0.1 on a free port, nothing saved to disk, stopped with the other children.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { aptInstall } from './apt.js';
import { commandOk, freePort, startService } from './processes.js';

const REDIS_PACKAGE = 'redis-server';

const findRedis = () => commandOk('sh', ['-c', 'command -v redis-server']) || undefined;

/** The `redis-server` binary; installs Debian's package when there is none. */
export async function ensureRedis(): Promise<{ bin: string; version: string; how: string }> {
  let bin = findRedis();
  let how = 'installed';
  if (!bin) {
    await aptInstall(REDIS_PACKAGE);
    bin = findRedis();
    if (!bin) throw new Error(`apt-get installed ${REDIS_PACKAGE} but there is no redis-server on the PATH`);
    how = 'installed with apt-get';
  }
  const version = commandOk(bin, ['--version'])?.match(/v=(\S+)/)?.[1] ?? '?';
  return { bin, version, how };
}

/** Starts `redis-server` with its working folder in `<tmp>/redis`; resolves when it accepts connections. */
export async function startRedis(bin: string, tmp: string): Promise<{ port: number }> {
  const dir = path.join(tmp, 'redis');
  await mkdir(dir);
  const port = await freePort();
  const redis = startService(
    'redis',
    bin,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--protected-mode',
      'no',
    ],
    {
      cwd: dir,
    },
  );
  await redis.waitFor(/Ready to accept connections/, 30_000);
  return { port };
}
