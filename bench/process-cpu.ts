/**
 * CPU time of processes from /proc (Linux), for saying where a bench's CPU went: a 2-core
 * machine shared by the clients, the servers, nginx and the emulator is CPU-bound quickly.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times: 100 on every Linux the bench runs on. */
const TICKS_PER_SECOND = 100;

/**
 * User + system CPU time of a process (all its threads), with `withChildren` also of its child
 * processes (nginx's worker, for nginx's master), in ms; NaN where /proc does not tell (not
 * Linux, or the process is gone).
 */
export function cpuMs(pid: number, withChildren = false): number {
  let ticks = ownTicks(pid);
  if (Number.isNaN(ticks) || !withChildren) return ticks * (1000 / TICKS_PER_SECOND);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)) {
      if (child) ticks += ownTicks(Number(child)) || 0;
    }
  } catch {
    // no children file: count the process alone
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function ownTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)", which may hold spaces: state is the first; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** A process to meter: its name in reports, its pid, and whether its child processes count too. */
export type Metered = readonly [name: string, pid: number, withChildren?: boolean];

/** A CPU meter over a set of named processes: `start()`, then `read()` gives each one's share of one core, in %. */
export class CpuMeter {
  #processes: readonly Metered[];
  #start = new Map<string, number>();
  #startedAt = 0;

  constructor(processes: readonly Metered[]) {
    this.#processes = processes;
  }

  start(): void {
    this.#startedAt = performance.now();
    for (const [name, pid, withChildren] of this.#processes) this.#start.set(name, cpuMs(pid, withChildren));
  }

  /**
   * Each process's CPU time since `start()`, in ms and as a share of one core over the same wall
   * time, in %; NaN for a process gone since.
   */
  read(): Array<{ name: string; ms: number; percent: number }> {
    const wall = performance.now() - this.#startedAt;
    return this.#processes.map(([name, pid, withChildren]) => {
      const ms = cpuMs(pid, withChildren) - (this.#start.get(name) ?? 0);
      return { name, ms, percent: (100 * ms) / wall };
    });
  }
}
