#!/usr/bin/env node
/** genimix: the command. Runs the command line, then exits with its code once stdout and stderr are flushed. */
import { main } from './program.js';

// A reader that stops early (`genimix models | head -1`) closes the pipe: what it did not read is
// not wanted. Without a listener the EPIPE would crash the process; an image being written to
// stdout notices it on its own (output/stdout.ts) and fails.
process.stdout.on('error', () => {});

const exitCode = await main(process.argv.slice(2));
// Waits for pipes to take everything written, then leaves: an idle keep-alive socket must not hold the process.
await Promise.all(
  [process.stdout, process.stderr].map((stream) => new Promise((resolve) => stream.write('', resolve))),
);
process.exit(exitCode);
