import type { RequestTarget } from '../target.js';
import { checkFault } from './check.js';
import type { Fault, FaultHandle, Faults } from './types.js';

/** A caller waiting in {@link FaultHandle.whenHit}. */
interface Waiter {
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** One added fault and its counters. */
class Entry implements FaultHandle {
  readonly fault: Readonly<Fault>;
  #remaining: number;
  #hits = 0;
  #waiters: Waiter[] = [];
  readonly #onRemove: (entry: Entry) => void;

  constructor(fault: Fault, onRemove: (entry: Entry) => void) {
    this.fault = fault;
    this.#remaining = fault.times ?? 1;
    this.#onRemove = onRemove;
  }

  get remaining(): number {
    return this.#remaining;
  }

  get hits(): number {
    return this.#hits;
  }

  /** True when `target` is a request this fault applies to and it has uses left. */
  matches(target: RequestTarget): boolean {
    const f = this.fault;
    return (
      this.#remaining > 0 &&
      target.route !== undefined &&
      (f.route === undefined || f.route === target.route) &&
      (f.projectId === undefined || f.projectId === target.projectId) &&
      (f.imageId === undefined || f.imageId === target.imageId)
    );
  }

  /** Counts one affected request. */
  strike(): void {
    this.#remaining -= 1; // Infinity stays Infinity
    this.#hits += 1;
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#hits < w.count) return true;
      w.resolve();
      return false;
    });
  }

  whenHit(count = 1): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 1) {
      return Promise.reject(new TypeError(`whenHit(count): count must be a whole number ≥ 1; got ${String(count)}.`));
    }
    if (this.#hits >= count) return Promise.resolve();
    if (this.#remaining === 0) return Promise.reject(this.#never(count));
    const promise = new Promise<void>((resolve, reject) => this.#waiters.push({ count, resolve, reject }));
    // Marked handled here so that a waiter nobody awaits cannot become an unhandled rejection
    // when the fault is cleared; whoever awaits `promise` still gets the rejection.
    promise.catch(() => {});
    return promise;
  }

  remove(): void {
    this.#onRemove(this);
  }

  /** Ends the fault: no more hits; whoever waits for one learns it will not come. */
  retire(why: string): void {
    this.#remaining = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(this.#never(w.count, why));
  }

  #never(count: number, why = 'it is spent'): Error {
    return new Error(
      `The ${this.fault.kind} fault will not reach ${count} hit${count === 1 ? '' : 's'} (it has ${this.#hits}): ${why}.`,
    );
  }
}

/**
 * The emulator's faults, in the order added. The request handler calls {@link take} once per
 * request as it arrives; tests see the {@link Faults} side.
 */
export class FaultRegistry implements Faults {
  #entries: Entry[] = [];
  #closed = false;

  add(fault: Fault): FaultHandle {
    const entry = new Entry(checkFault(fault), (e) => this.#remove(e));
    if (this.#closed) entry.retire('the emulator is closed');
    else this.#entries.push(entry);
    return entry;
  }

  clear(): void {
    const entries = this.#entries;
    this.#entries = [];
    for (const entry of entries) entry.retire('the faults were cleared');
  }

  /**
   * The fault for a request that just arrived, counted as a hit: the first one, in the order
   * added, that matches `target` and has uses left; `undefined` for none. Spent faults are
   * dropped from the list, so a long run with many faults does not slow down.
   */
  take(target: RequestTarget): Fault | undefined {
    const entry = this.#entries.find((e) => e.matches(target));
    if (!entry) return undefined;
    entry.strike();
    if (entry.remaining === 0) this.#remove(entry, 'it is spent');
    return entry.fault;
  }

  /** Called by close(): every fault ends, and no fault added afterwards strikes. */
  close(): void {
    this.#closed = true;
    const entries = this.#entries;
    this.#entries = [];
    for (const entry of entries) entry.retire('the emulator is closed');
  }

  #remove(entry: Entry, why = 'it was removed'): void {
    this.#entries = this.#entries.filter((e) => e !== entry);
    entry.retire(why);
  }
}
