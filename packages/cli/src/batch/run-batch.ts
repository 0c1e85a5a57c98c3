/**
 * A batch of prompts that never pays twice for an image. For each distinct prompt, in parallel
 * up to the concurrency:
 *   1. its file (`<id>.<ext>`) is in the output folder → skipped, no request;
 *   2. else a Get (free): 200 → the image is written (fetched), no Generate;
 *   3. 404 → Generate (billed), then Get, and the image is written (generated).
 * The id depends only on the model and the prompt (batch/image-id.ts), so a re-run after an
 * interruption or a failure finds what the last run paid for, including a Generate whose answer
 * was lost (a time-out, a broken connection: `mayHaveBeenBilled`), by step 2.
 */
import {
  type GenerateImageResult,
  type GenimixClient,
  GenimixNotFoundError,
  type GetImageStreamResult,
  mayHaveBeenBilled,
} from '@genimix/core';
import pLimit from 'p-limit';
import { EXIT } from '../exit-codes.js';
import { describeFailure, type Failure, type FailureContext, NotedError } from '../failure.js';
import type { ModelChoice } from '../model-option.js';
import { existingImageFile } from '../output/destination.js';
import { type SavedImage, saveImage } from '../output/save-image.js';
import { batchImageId } from './image-id.js';
import type { PromptLine } from './prompt-file.js';

/** What became of a line. */
export type LineStatus = 'generated' | 'fetched' | 'skipped' | 'failed' | 'not-started';

/** A line's outcome, as `--json` prints it and the summary counts it. */
export interface LineOutcome {
  line: number;
  prompt: string;
  id: string;
  status: LineStatus;
  /** For `skipped`: its file was in the output folder, or an earlier line has the same prompt. */
  reason?: 'exists' | 'duplicate';
  /** For a duplicate: the line whose image it shares. */
  duplicateOf?: number;
  /** The image's file: written (generated, fetched) or found (skipped). */
  file?: string;
  saved?: SavedImage;
  imageUrl?: string;
  /** For `failed`: why, and what to do. */
  failure?: Failure;
}

/** What a batch does. */
export interface BatchPlan {
  lines: readonly PromptLine[];
  model: ModelChoice;
  /** The output folder, existing and writable. */
  outDir: string;
  /** Lines handled at once, from 1. */
  concurrency: number;
}

/** Why a line in flight did not finish when the batch was stopped at once. */
const CUT_OFF: Failure = {
  exitCode: EXIT.interrupted,
  name: 'Interrupted',
  message:
    'Cancelled before it finished: it may have been generated and billed: the next run checks with a Get before generating it again.',
};

/** One distinct prompt, and the later lines that repeat it. */
interface Job {
  line: PromptLine;
  id: string;
  duplicates: PromptLine[];
}

/** A batch run: {@link run} it; {@link stop} and {@link abort} are for Ctrl-C. */
export class BatchRun {
  readonly #client: GenimixClient;
  readonly #plan: BatchPlan;
  readonly #context: FailureContext;
  readonly #onOutcome: (outcome: LineOutcome) => void;
  readonly #jobs: Job[];
  readonly #aborter = new AbortController();
  /** Jobs being handled now, and jobs whose outcome was reported. */
  readonly #active = new Set<Job>();
  readonly #reported = new Set<Job>();
  #stopping = false;

  /**
   * @param onOutcome called once per line of the plan (duplicates too), as each is settled
   * @param context for failure messages (project, time-out)
   */
  constructor(
    client: GenimixClient,
    plan: BatchPlan,
    context: FailureContext,
    onOutcome: (outcome: LineOutcome) => void,
  ) {
    this.#client = client;
    this.#plan = plan;
    this.#context = context;
    this.#onOutcome = onOutcome;
    this.#jobs = jobsOf(plan);
  }

  /** How many distinct prompts the plan has: the lines that may cost a Generate. */
  get size(): number {
    return this.#jobs.length;
  }

  /** The image ids of the plan's distinct prompts. */
  get ids(): ReadonlySet<string> {
    return new Set(this.#jobs.map((job) => job.id));
  }

  /** Lines being handled now. */
  get inFlight(): number {
    return this.#active.size;
  }

  /**
   * No line starts from now on, and no Generate is sent that has not been already; lines in
   * flight finish (a Generate sent is billed: its image is still fetched and written).
   */
  stop(): void {
    this.#stopping = true;
  }

  /** Cancels the requests in flight (after {@link stop}); their lines fail as cancelled. */
  abort(): void {
    this.stop();
    this.#aborter.abort();
  }

  /** Handles every line; resolves with every outcome, in line order, once all are settled. */
  async run(): Promise<LineOutcome[]> {
    const limit = pLimit(this.#plan.concurrency);
    const outcomes: LineOutcome[] = [];
    const report = (outcome: LineOutcome) => {
      outcomes.push(outcome);
      this.#onOutcome(outcome);
    };
    await Promise.all(
      this.#jobs.map((job) =>
        limit(async () => {
          const outcome = await this.#settle(job);
          this.#reported.add(job);
          report(outcome);
          for (const repeat of duplicatesOf(job, outcome)) report(repeat);
        }),
      ),
    );
    return outcomes.sort((a, b) => a.line - b.line);
  }

  async #settle(job: Job): Promise<LineOutcome> {
    const base = { line: job.line.line, prompt: job.line.prompt, id: job.id };
    if (this.#stopping) return { ...base, status: 'not-started' };
    this.#active.add(job);
    try {
      return { ...base, ...(await this.#handle(job)) };
    } catch (error) {
      return { ...base, status: 'failed', failure: describeFailure(error, this.#context) };
    } finally {
      this.#active.delete(job);
    }
  }

  /**
   * The outcomes of the lines not reported yet, for an exit that will not wait for them (a
   * second Ctrl-C, SIGTERM), in line order: a line in flight failed as cut off (its Generate may
   * have been sent, and billed), the others not started, each duplicate as its line's.
   */
  unsettled(): LineOutcome[] {
    const outcomes: LineOutcome[] = [];
    for (const job of this.#jobs) {
      if (this.#reported.has(job)) continue;
      const base = { line: job.line.line, prompt: job.line.prompt, id: job.id };
      const notStarted: LineOutcome = { ...base, status: 'not-started' };
      outcomes.push(this.#active.has(job) ? { ...base, status: 'failed', failure: CUT_OFF } : notStarted);
      outcomes.push(...duplicatesOf(job, notStarted));
    }
    return outcomes.sort((a, b) => a.line - b.line);
  }

  async #handle(job: Job): Promise<Omit<LineOutcome, 'line' | 'prompt' | 'id'>> {
    const { outDir, model } = this.#plan;
    const existing = await existingImageFile(outDir, job.id);
    if (existing) return { status: 'skipped', reason: 'exists', file: existing };
    const signal = this.#aborter.signal;
    let image: GetImageStreamResult;
    let generated: GenerateImageResult | undefined;
    try {
      image = await this.#client.getImageStream({ imageId: job.id }, { signal });
    } catch (error) {
      if (!(error instanceof GenimixNotFoundError)) throw error;
      // Stopped while this line asked: it has cost nothing yet, and it will not now.
      if (this.#stopping) return { status: 'not-started' };
      try {
        generated = await this.#client.generateImage(
          { imageId: job.id, provider: model.provider, modelId: model.modelId, prompt: job.line.prompt },
          { signal },
        );
      } catch (generateError) {
        if (!mayHaveBeenBilled(generateError)) throw generateError;
        throw new NotedError(
          generateError,
          'It may have been generated and billed: the next run checks with a Get before generating it again.',
        );
      }
      try {
        image = await this.#client.getImageStream({ imageId: job.id }, { signal });
      } catch (getError) {
        throw new NotedError(
          getError,
          'It was generated (and billed): the next run fetches it without generating it again.',
        );
      }
    }
    const saved = await saveImage(image, { kind: 'folder', dir: outDir }, job.id).catch((error: unknown) => {
      throw generated
        ? new NotedError(error, 'It was generated (and billed): the next run fetches it without generating it again.')
        : error;
    });
    return {
      status: generated ? 'generated' : 'fetched',
      file: saved.file,
      saved,
      imageUrl: generated?.imageUrl ?? this.#client.imageUrl({ imageId: job.id }),
    };
  }
}

/** The plan's distinct prompts, each with its id and the later lines that repeat it, in line order. */
function jobsOf(plan: BatchPlan): Job[] {
  const byId = new Map<string, Job>();
  for (const line of plan.lines) {
    const id = batchImageId(plan.model.key, line.prompt);
    const job = byId.get(id);
    if (job) job.duplicates.push(line);
    else byId.set(id, { line, id, duplicates: [] });
  }
  return [...byId.values()];
}

/**
 * The outcomes of a job's repeated lines, given `outcome` as theirs: a repeat shares its line's
 * fate, skipped only when that line's image is there.
 */
function duplicatesOf(job: Job, outcome: LineOutcome): LineOutcome[] {
  const status = outcome.status === 'failed' || outcome.status === 'not-started' ? outcome.status : 'skipped';
  return job.duplicates.map((duplicate) => ({
    line: duplicate.line,
    prompt: duplicate.prompt,
    id: job.id,
    status,
    reason: 'duplicate',
    duplicateOf: job.line.line,
    ...(outcome.file === undefined ? {} : { file: outcome.file }),
    ...(outcome.failure === undefined ? {} : { failure: outcome.failure }),
  }));
}
