/**
 * Generations waiting out their model's latency, for tests to see and to hurry: a test can wait
 * until a Generate is in its latency (instead of sleeping), look at the store meanwhile (the image
 * is not there yet), then end the wait.
 */
import { pause } from './faults/send.js';

/** What a waiting generation is for. */
export interface GenerationTarget {
  readonly projectId: string;
  readonly imageId: string;
  readonly provider: string;
  readonly modelId: string;
}

/** A Generate in its latency: its image is not stored until the wait is over. */
export interface WaitingGeneration extends GenerationTarget {
  /** The whole wait, in ms (after `latencyScale`). */
  readonly latencyMs: number;
  /**
   * Ends the wait now, as if the latency had passed: the image is stored (once drawn, which
   * started with the wait) and the answer sent. Does nothing once the wait is over.
   */
  endLatency(): void;
}

/** `emulator.generations`: the Generates waiting out their latency. */
export interface Generations {
  /** The generations waiting now, oldest first. Generates with no latency never wait, so never appear. */
  waiting(): readonly WaitingGeneration[];
  /**
   * The oldest generation waiting now that matches `filter` (any project or image where absent),
   * or else the next to start waiting. Rejects when the emulator closes first.
   */
  whenWaiting(filter?: { readonly projectId?: string; readonly imageId?: string }): Promise<WaitingGeneration>;
}

interface Watcher {
  readonly filter: { readonly projectId?: string; readonly imageId?: string };
  readonly resolve: (generation: WaitingGeneration) => void;
  readonly reject: (err: Error) => void;
}

/** The registry behind `emulator.generations`; Generate waits through it. */
export class GenerationRegistry implements Generations {
  #waiting: WaitingGeneration[] = [];
  #watchers: Watcher[] = [];
  #closed = false;

  /**
   * Waits `ms` for `target`, listed in {@link waiting} meanwhile; stops early when `signal`
   * aborts (the request's connection ended) or the wait is ended. No timer outlives the wait.
   *
   * @returns `true` when the latency is over (or was ended): go on and store; `false` when the
   *   connection ended first: store nothing
   */
  async wait(target: GenerationTarget, ms: number, signal: AbortSignal): Promise<boolean> {
    // No latency, no wait: a Generate behaves exactly as it did before there were latencies.
    if (ms === 0) return true;
    if (signal.aborted) return false;
    const ender = new AbortController();
    const onAbort = () => ender.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const generation: WaitingGeneration = Object.freeze({ ...target, latencyMs: ms, endLatency: () => ender.abort() });
    // Unlisted the moment the wait ends, not a tick later: whoever ended it (or saw the
    // connection close) finds it gone at once.
    const unlist = () => {
      this.#waiting = this.#waiting.filter((g) => g !== generation);
    };
    ender.signal.addEventListener('abort', unlist, { once: true });
    this.#waiting.push(generation);
    this.#notify(generation);
    try {
      await pause(ms, ender.signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      ender.signal.removeEventListener('abort', unlist);
      unlist();
    }
    return !signal.aborted;
  }

  waiting(): readonly WaitingGeneration[] {
    return Object.freeze([...this.#waiting]);
  }

  whenWaiting(filter: { readonly projectId?: string; readonly imageId?: string } = {}): Promise<WaitingGeneration> {
    const found = this.#waiting.find((g) => matches(g, filter));
    if (found) return Promise.resolve(found);
    if (this.#closed) return Promise.reject(closedError());
    const promise = new Promise<WaitingGeneration>((resolve, reject) =>
      this.#watchers.push({ filter, resolve, reject }),
    );
    // Marked handled, so a watcher nobody awaits cannot become an unhandled rejection on close;
    // whoever awaits `promise` still gets the rejection.
    promise.catch(() => {});
    return promise;
  }

  /** The emulator is closing: no generation will start waiting, so every watcher is told. */
  close(): void {
    this.#closed = true;
    const watchers = this.#watchers;
    this.#watchers = [];
    for (const w of watchers) w.reject(closedError());
  }

  #notify(generation: WaitingGeneration): void {
    this.#watchers = this.#watchers.filter((w) => {
      if (!matches(generation, w.filter)) return true;
      w.resolve(generation);
      return false;
    });
  }
}

function matches(g: GenerationTarget, filter: { readonly projectId?: string; readonly imageId?: string }): boolean {
  return (
    (filter.projectId === undefined || filter.projectId === g.projectId) &&
    (filter.imageId === undefined || filter.imageId === g.imageId)
  );
}

function closedError(): Error {
  return new Error('The emulator closed before a matching generation started waiting.');
}
