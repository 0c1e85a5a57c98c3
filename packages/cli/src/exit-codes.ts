/**
 * The command's exit codes, as `genimix --help` and the README list them. Scripts branch on
 * them: 1 is worth retrying later, 2 needs the command or its input changed.
 */
export const EXIT = {
  /** Everything asked for was done. */
  ok: 0,
  /** Genimix or the network failed (an error status, no answer, a broken answer), or a file could not be written. */
  failure: 1,
  /** Bad usage or input: an unknown option, a missing setting, an invalid id or prompt, an unreadable file. Nothing was sent. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT), as shells report a command killed by it (128 + 2). */
  interrupted: 130,
  /** Stopped by SIGTERM (128 + 15). */
  terminated: 143,
  /** Stopped by SIGHUP (128 + 1): the terminal closed, the SSH session dropped. */
  hungUp: 129,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The signals that stop a command: Ctrl-C, kill, and a terminal that went away. */
export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

/** The exit code for a signal that stopped the command. */
export function signalExit(signal: StopSignal): ExitCode {
  return signal === 'SIGINT' ? EXIT.interrupted : signal === 'SIGTERM' ? EXIT.terminated : EXIT.hungUp;
}

/**
 * Bad usage or input found by the command itself (exit 2), before anything was sent.
 * `setting` names the flag, argument or variable to fix (`--id`, `GENIMIX_API_KEY`, `FILE`).
 */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(message);
    this.setting = setting;
  }
}
