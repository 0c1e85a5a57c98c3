/** Debian packages a real-n8n run needs (PostgreSQL, Redis), installed with apt-get when missing. */
import { commandOk, MINUTE, run, runOk } from './processes.js';

/**
 * `apt-get install -y --no-install-recommends <pkg>`, with `apt-get update` first if that fails.
 * @throws unless running as root on a machine with apt-get, naming the command to run by hand
 */
export async function aptInstall(pkg: string): Promise<void> {
  if (process.getuid?.() !== 0 || !commandOk('sh', ['-c', 'command -v apt-get'])) {
    throw new Error(`${pkg} is not installed; install it, e.g. \`sudo apt-get install -y ${pkg}\``);
  }
  console.log(`    installing ${pkg} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const args = ['install', '-y', '--no-install-recommends', pkg];
  if ((await run('apt-get', args, { env, timeoutMs: 15 * MINUTE })).code !== 0) {
    await runOk('apt-get update', 'apt-get', ['update'], { env, timeoutMs: 10 * MINUTE });
    await runOk(`apt-get install ${pkg}`, 'apt-get', args, { env, timeoutMs: 15 * MINUTE });
  }
}
