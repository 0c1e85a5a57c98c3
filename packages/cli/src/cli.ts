#!/usr/bin/env node
/** genimix: the command. Runs the command line, then exits with its code once stdout and stderr are flushed. */
import { EXIT } from './exit-codes.js';
import { main } from './program.js';
import { Reporter } from './report.js';
import { outputMode } from './settings.js';

const args = process.argv.slice(2);

// A reader that stops early (`genimix models | head -1`) closes the pipe: what it did not read is
// not wanted. Without a listener the EPIPE would crash the process; an image being written to
// stdout notices it on its own (output/stdout.ts) and fails. Any other failure (a full disk, a
// broken device) loses results the user asked for: the command must not end with 0 then.
let stdoutFailure: NodeJS.ErrnoException | undefined;
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') stdoutFailure ??= error;
});

let exitCode: number = await main(args);
// Waits for pipes to take everything written, then leaves: an idle keep-alive socket must not hold the process.
await Promise.all(
  [process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))),
);
if (stdoutFailure && exitCode === EXIT.ok) {
  new Reporter(outputMode({ json: args.includes('--json'), quiet: true }, false)).failure({
    exitCode: EXIT.failure,
    name: 'Error',
    message: `The results could not be written to stdout (${stdoutFailure.code ?? stdoutFailure.message}): free some space, or redirect stdout elsewhere, and run the command again.`,
  });
  exitCode = EXIT.failure;
}
process.exit(exitCode);
