/** What every command runs with, and the frame of the commands that handle one image. */
import { EXIT, type ExitCode, type StopSignal, signalExit } from './exit-codes.js';
import { onInterrupt } from './interrupt.js';
import { removeUnfinishedFiles } from './output/atomic-file.js';
import { type Spinner, startSpinner } from './progress.js';
import type { Reporter } from './report.js';
import type { GlobalOptions, OutputMode } from './settings.js';

/** A command's surroundings: the global flags, the output mode, the environment, the working folder. */
export interface CommandContext {
  options: GlobalOptions;
  mode: OutputMode;
  reporter: Reporter;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A one-image command's work, and what to tell the user if Ctrl-C stops it. */
export interface SingleTask {
  /** The spinner's first text. */
  spinnerText: string;
  /** Does the work; may change the spinner's text as it goes. Throws on failure. */
  run(spinner: Spinner): Promise<void>;
  /** What an interruption means now ("It may have been billed: ..."), or ''. */
  interruptedNote(): string;
}

/**
 * Runs a one-image command under a spinner. Ctrl-C (or SIGTERM) ends it at once: the spinner is
 * removed, a half-written file too, and the user is told what the interruption may have left
 * behind; the exit code is 130 (143 for SIGTERM, 129 for SIGHUP).
 */
export async function runSingle(ctx: CommandContext, task: SingleTask): Promise<ExitCode> {
  const spinner = await startSpinner(ctx.mode, task.spinnerText);
  const stop = (signal: StopSignal) => {
    spinner.stop();
    removeUnfinishedFiles();
    const exitCode = signalExit(signal);
    const note = task.interruptedNote();
    ctx.reporter.failure({
      exitCode,
      name: 'Interrupted',
      message: `Interrupted (${signal}).${note ? ` ${note}` : ''}`,
    });
    process.exit(exitCode);
  };
  const removeHandlers = onInterrupt({ first: () => stop('SIGINT'), now: stop });
  try {
    await task.run(spinner);
    return EXIT.ok;
  } finally {
    spinner.stop();
    removeHandlers();
  }
}
