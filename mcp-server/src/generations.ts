import type { GenerateImageResult } from '@genimix/core';

/** How a generation ended: the stored image's URL, or the error. */
export type GenerationOutcome = { ok: true; imageUrl: string } | { ok: false; error: unknown };

/** What waiting on a generation gave: its outcome, or `'running'` when the wait ran out first. */
export type WaitResult = GenerationOutcome | 'running';

/** How long a failed generation that a call stopped waiting for is remembered for get_image, in ms. */
const FAILURE_KEPT_MS = 15 * 60_000;

/** One Generate request to Genimix, which may outlive the tool call that started it. */
export class Generation {
  /** When it started, in ms since the epoch. */
  readonly startedAt = Date.now();
  /** Settles with the outcome; never rejects. */
  readonly done: Promise<GenerationOutcome>;
  /** The outcome once settled. */
  outcome: GenerationOutcome | undefined;
  readonly #controller = new AbortController();

  constructor(
    readonly projectId: string,
    readonly imageId: string,
    readonly provider: string,
    readonly modelId: string,
    run: (signal: AbortSignal) => Promise<GenerateImageResult>,
  ) {
    this.done = run(this.#controller.signal).then(
      (result): GenerationOutcome => ({ ok: true, imageUrl: result.imageUrl }),
      (error: unknown): GenerationOutcome => ({ ok: false, error }),
    );
    void this.done.then((outcome) => (this.outcome = outcome));
  }

  /** Seconds since it started, for messages. */
  get elapsedSeconds(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  /** Cancels the request to Genimix (it fails with an abort error). */
  cancel(): void {
    this.#controller.abort();
  }

  /**
   * Waits for the outcome, at most `maxWaitMs`. An abort of `signal` ends the wait at once with
   * `'running'`; whether that also cancels the generation is the caller's choice.
   */
  async wait(maxWaitMs: number, signal: AbortSignal): Promise<WaitResult> {
    if (this.outcome) return this.outcome;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<'running'>((resolve) => {
      timer = setTimeout(() => resolve('running'), maxWaitMs);
      onAbort = () => resolve('running');
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([this.done, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * The generations this server has started that a later call may still need: running ones (a
 * call that waited `GENIMIX_MAX_WAIT_MS` answered that the image is still being generated, and
 * `get_image` waits for it instead of answering 404), and failed ones no call has reported yet.
 * Finished ones leave at once: Genimix stores the image, and `get_image` fetches it as usual.
 */
export class Generations {
  readonly #byImage = new Map<string, Generation>();
  readonly #onEmpty: (() => void) | undefined;

  /** @param onEmpty called each time the last generation tracked leaves */
  constructor(onEmpty?: () => void) {
    this.#onEmpty = onEmpty;
  }

  /** How many generations are tracked: running, or failed and not yet reported. */
  get size(): number {
    return this.#byImage.size;
  }

  /**
   * Starts a generation and tracks it.
   * @param run sends the Generate request, cancelled by the signal it is given
   */
  start(
    projectId: string,
    imageId: string,
    provider: string,
    modelId: string,
    run: (signal: AbortSignal) => Promise<GenerateImageResult>,
  ): Generation {
    const generation = new Generation(projectId, imageId, provider, modelId, run);
    const key = keyOf(projectId, imageId);
    this.#byImage.set(key, generation);
    void generation.done.then((outcome) => {
      if (this.#byImage.get(key) !== generation) return;
      if (outcome.ok) {
        this.#delete(key);
        return;
      }
      // A failure waits for get_image to report it, but not for ever.
      const timer = setTimeout(() => this.forget(generation), FAILURE_KEPT_MS);
      timer.unref?.();
    });
    return generation;
  }

  /** How many generations are running now (a failure kept for get_image is not running). */
  get running(): number {
    let count = 0;
    for (const generation of this.#byImage.values()) if (!generation.outcome) count++;
    return count;
  }

  /** Settles when every generation running now has ended (never rejects). */
  async settled(): Promise<void> {
    await Promise.all([...this.#byImage.values()].map((g) => g.done));
  }

  /** The generation of this image that is running, or that failed unreported; else `undefined`. */
  find(projectId: string, imageId: string): Generation | undefined {
    return this.#byImage.get(keyOf(projectId, imageId));
  }

  /** Stops tracking `generation` (its outcome was reported). */
  forget(generation: Generation): void {
    const key = keyOf(generation.projectId, generation.imageId);
    if (this.#byImage.get(key) === generation) this.#delete(key);
  }

  #delete(key: string): void {
    this.#byImage.delete(key);
    if (this.#byImage.size === 0) this.#onEmpty?.();
  }
}

function keyOf(projectId: string, imageId: string): string {
  return `${projectId}/${imageId}`;
}
