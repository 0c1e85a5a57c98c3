/** `genimix generate --from prompts.txt --out-dir DIR`: one image per line, resumable (batch/run-batch.ts). */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { lockFolder } from '../batch/folder-lock.js';
import { readPrompts } from '../batch/prompt-file.js';
import { BatchRun, type LineOutcome } from '../batch/run-batch.js';
import { failedLines, summaryText, tally } from '../batch/summary.js';
import type { CommandContext } from '../command-context.js';
import { EXIT, type ExitCode, signalExit, UsageError } from '../exit-codes.js';
import { onInterrupt } from '../interrupt.js';
import { parseModel } from '../model-option.js';
import { removeLeftoverTemporaries, removeUnfinishedFiles } from '../output/atomic-file.js';
import { writableFolder } from '../output/destination.js';
import { startBatchBar } from '../progress.js';
import { imageRecord } from '../report.js';
import { connect } from '../settings.js';

/** The options of a batch. */
export interface BatchOptions {
  from: string;
  outDir?: string;
  concurrency: number;
  model?: string;
}

/**
 * Runs a batch. Exit 0 when every line has its image, 1 when a line failed (the others are
 * kept), 130 when Ctrl-C stopped it (the first lets Generates in flight finish and be written,
 * the second cancels them), 2 for bad input before anything is sent.
 */
export async function generateBatchCommand(ctx: CommandContext, options: BatchOptions): Promise<ExitCode> {
  const model = parseModel(options.model);
  const lines = await readPrompts(options.from, ctx.cwd);
  const connection = connect(ctx.options, ctx.env);
  const outDir = await outputFolder(options.outDir, ctx.cwd);
  if (!model.known)
    ctx.reporter.note(`Note: ${model.key} is not in the catalog (genimix models); sending it as given.`);
  else if (!model.available)
    ctx.reporter.note(`Note: the catalog marks ${model.key} as coming soon (genimix models); Genimix may refuse it.`);

  // Taken before any request; a lock left by a failure before the `try` is taken over by the next
  // run, its process being gone.
  const unlock = await lockFolder(outDir);
  const settled: LineOutcome[] = [];
  const bar = await startBatchBar(ctx.mode, lines.length);
  const printRecord = (outcome: LineOutcome) =>
    process.stdout.write(`${JSON.stringify(outcomeRecord(outcome, connection.projectId, model.key))}\n`);
  const run = new BatchRun(
    connection.client,
    { lines, model, outDir, concurrency: options.concurrency },
    { projectId: connection.projectId, timeoutSeconds: connection.timeoutSeconds },
    (outcome) => {
      settled.push(outcome);
      // A line Ctrl-C kept from starting is not done: the bar shows how far the batch got.
      if (outcome.status !== 'not-started') bar.tick(tally(settled));
      if (ctx.mode.json) printRecord(outcome);
    },
  );
  // Under the lock, a temporary file of this batch's images is a dead run's: it would stay forever.
  const ids = run.ids;
  await removeLeftoverTemporaries(outDir, (name) => ids.has(name.slice(0, name.lastIndexOf('.'))));
  let interrupted = false;
  const end = () => ({ outDir, total: lines.length, interrupted, aborted: 0 });
  const removeHandlers = onInterrupt({
    first() {
      interrupted = true;
      run.stop();
      const note = `Stopping: no new line starts; ${run.inFlight} in flight finish${run.inFlight === 1 ? 'es' : ''} and ${run.inFlight === 1 ? 'is' : 'are'} written (a Generate sent is billed). Press Ctrl-C again to cancel them now.`;
      if (ctx.mode.progress) bar.note(note);
      else ctx.reporter.note(note);
    },
    now(signal) {
      const aborted = run.inFlight;
      // Taken before the abort: the lines it cuts off would settle only after the exit.
      const unsettled = run.unsettled();
      run.abort();
      // A script reading --json learns of every line, the cut-off ones that may have been billed too.
      if (ctx.mode.json) for (const outcome of unsettled) printRecord(outcome);
      bar.stop();
      removeUnfinishedFiles();
      printSummary(ctx, settled, { ...end(), interrupted: true, aborted });
      unlock();
      process.exit(signalExit(signal));
    },
  });
  try {
    const outcomes = await run.run();
    bar.stop();
    printSummary(ctx, outcomes, end());
    if (interrupted) return EXIT.interrupted;
    return outcomes.some((o) => o.status === 'failed') ? EXIT.failure : EXIT.ok;
  } finally {
    bar.stop();
    removeHandlers();
    unlock();
  }
}

/** The summary on stderr: whole, or with `--quiet` only the failed lines; nothing with `--json` (the lines say it all). */
function printSummary(
  ctx: CommandContext,
  outcomes: readonly LineOutcome[],
  end: Parameters<typeof summaryText>[1],
): void {
  if (ctx.mode.json) return;
  process.stderr.write(ctx.mode.quiet ? failedLines(outcomes) : summaryText(outcomes, end));
}

/** `--out-dir` (default: the working folder), created if missing. */
async function outputFolder(outDir: string | undefined, cwd: string): Promise<string> {
  const dir = path.resolve(cwd, outDir ?? '.');
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError('--out-dir', `--out-dir ${dir} cannot be created (${code}): name a folder you may write to.`);
  }
  return writableFolder(dir, '--out-dir');
}

/** A line's outcome as its `--json` object. */
function outcomeRecord(outcome: LineOutcome, projectId: string, modelKey: string): object {
  const { line, status, prompt, reason, duplicateOf, failure } = outcome;
  const image = imageRecord({ id: outcome.id, project: projectId, model: modelKey }, outcome.saved, outcome.imageUrl);
  return {
    line,
    status,
    ...image,
    ...(outcome.saved === undefined && outcome.file !== undefined ? { file: outcome.file } : {}),
    prompt,
    ...(reason === undefined ? {} : { reason }),
    ...(duplicateOf === undefined ? {} : { duplicateOf }),
    ...(failure === undefined
      ? {}
      : {
          error: { name: failure.name, message: failure.message, status: failure.status, requestId: failure.requestId },
        }),
  };
}
