import { readFileSync } from 'node:fs';

/**
 * The most bytes a loopback TCP connection can hold between a writer and a reader that has
 * stopped reading: the largest send buffer plus the largest receive buffer the kernel may grow
 * them to (Linux's `tcp_wmem` and `tcp_rmem`, third field), in bytes. A test that counts what a
 * client could write before a server refused its body must allow this much: this machine lets a
 * receive buffer grow to 32 MiB, so "little more than the limit" is up to 36 MiB more (a bound
 * of 16 MiB failed in CI when the kernel had taken the client's whole body).
 * Where the kernel does not tell (not Linux), 64 MiB.
 */
export function loopbackBufferBytes(): number {
  try {
    const largest = (name: string) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
    const total = largest('tcp_wmem') + largest('tcp_rmem');
    if (Number.isFinite(total) && total > 0) return total;
  } catch {
    // No /proc: the fallback below.
  }
  return 64 * 1024 * 1024;
}
