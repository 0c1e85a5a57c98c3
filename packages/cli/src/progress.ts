/**
 * Progress on stderr, for a person at a terminal: a spinner (ora) while a single command waits, a
 * bar (cli-progress) through a batch. Off unless the output mode allows it (stderr a terminal,
 * neither `--quiet` nor `--json`): then nothing at all reaches stderr from here.
 */
import type { OutputMode } from './settings.js';

// ora and cli-progress are loaded only when progress is shown: a script's run never pays for them.

/** A spinner line; every method does nothing when progress is off. */
export interface Spinner {
  /** Changes the text next to the spinner. */
  update(text: string): void;
  /** Removes the spinner line. */
  stop(): void;
}

/** Starts a spinner with `text`, or a silent stand-in when progress is off. */
export async function startSpinner(mode: OutputMode, text: string): Promise<Spinner> {
  if (!mode.progress) return { update() {}, stop() {} };
  const { default: ora } = await import('ora');
  // discardStdin off: stdin may be the image being uploaded (`upload -`), and Ctrl-C stays a signal.
  const spinner = ora({ text, stream: process.stderr, discardStdin: false }).start();
  return {
    update(next) {
      spinner.text = next;
    },
    stop() {
      spinner.stop();
    },
  };
}

/** The counts a batch bar shows beside itself. */
export interface BatchCounts {
  generated: number;
  fetched: number;
  skipped: number;
  failed: number;
}

/** A batch's bar; every method does nothing when progress is off. */
export interface BatchBar {
  /** One more line done; the counts so far. */
  tick(counts: BatchCounts): void;
  /** Writes a note above the bar. */
  note(text: string): void;
  /** Leaves the bar's last state on screen and ends its line; again, does nothing. */
  stop(): void;
}

/** Starts a bar for `total` lines, or a silent stand-in when progress is off. */
export async function startBatchBar(mode: OutputMode, total: number): Promise<BatchBar> {
  if (!mode.progress) return { tick() {}, note() {}, stop() {} };
  const { MultiBar } = await import('cli-progress');
  // A MultiBar of one: unlike SingleBar, it can write notes above the bar (log) and moves the
  // cursor relatively, so that a note does not leave the bar drawn over on stop.
  const bars = new MultiBar({
    stream: process.stderr,
    format: '{bar} {value}/{total} | generated {generated}, fetched {fetched}, skipped {skipped}, failed {failed}',
    barCompleteChar: '█',
    barIncompleteChar: '░',
    hideCursor: true,
    clearOnComplete: false,
    // The bar is cut to the terminal's width by the library; notes wrap as text does.
    linewrap: true,
    // Ctrl-C is the batch's to handle (commands/generate-batch.ts), which stops the bar itself.
    gracefulExit: false,
  });
  const bar = bars.create(total, 0, { generated: 0, fetched: 0, skipped: 0, failed: 0 });
  let stopped = false;
  return {
    tick(counts) {
      bar.increment(1, { ...counts });
    },
    note(text) {
      bars.log(`${text}\n`);
      // Drawn now: the batch may stop before the next redraw, which would drop it.
      bars.update();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}
