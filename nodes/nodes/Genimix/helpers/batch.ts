/** How {@link runBatch} runs its tasks. */
export interface BatchOptions {
  /** Tasks in flight at once, at least 1. */
  concurrency: number;
  /**
   * Stop at the first failure: start no further task and abort the tasks after the failed one
   * (by index) that are in flight; the tasks before it run to their end, so that the lowest-index
   * failure is found whatever the order of completion.
   */
  stopOnFailure: boolean;
  /** Aborts every task in flight and starts no more (n8n's execution cancel signal). */
  signal?: AbortSignal;
}

/**
 * Runs `task(index, signal)` for each index from 0 to `count - 1`, started in index order, at most
 * `options.concurrency` at once; each task gets its own signal, aborted when the run is cancelled
 * or (with `stopOnFailure`) when an earlier task failed. A pool of promises: no timers.
 *
 * @returns the outcome of each task by index; `undefined` for a task never started (after a
 *   stop or a cancellation). Never rejects.
 */
export async function runBatch<T>(
  count: number,
  options: BatchOptions,
  task: (index: number, signal: AbortSignal) => Promise<T>,
): Promise<Array<PromiseSettledResult<T> | undefined>> {
  const results: Array<PromiseSettledResult<T> | undefined> = new Array(count).fill(undefined);
  const inFlight = new Map<number, AbortController>();
  let next = 0;
  let stopAt = Number.POSITIVE_INFINITY;
  const cancelAll = () => {
    for (const controller of inFlight.values()) controller.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', cancelAll);

  const worker = async () => {
    while (next < count && stopAt === Number.POSITIVE_INFINITY && !options.signal?.aborted) {
      const index = next++;
      const controller = new AbortController();
      inFlight.set(index, controller);
      try {
        results[index] = { status: 'fulfilled', value: await task(index, controller.signal) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
        // A task aborted because of an earlier failure is not a failure of its own.
        if (options.stopOnFailure && !controller.signal.aborted && index < stopAt) {
          stopAt = index;
          for (const [other, otherController] of inFlight) if (other > index) otherController.abort(reason);
        }
      } finally {
        inFlight.delete(index);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  } finally {
    options.signal?.removeEventListener('abort', cancelAll);
  }
  return results;
}
