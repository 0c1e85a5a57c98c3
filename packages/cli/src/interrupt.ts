/**
 * Ctrl-C, as a command sees it. A batch asks for two steps (the first SIGINT stops gently, the
 * second at once); a single command stops at the first. SIGTERM and SIGHUP (the terminal closed)
 * always stop at once.
 */
import type { StopSignal } from './exit-codes.js';

/** What to do on each signal. */
export interface InterruptHandlers {
  /** The first SIGINT. */
  first(): void;
  /** A second SIGINT, or SIGTERM or SIGHUP at any time: must end the process. */
  now(signal: StopSignal): void;
}

/**
 * Installs `handlers` for SIGINT, SIGTERM and SIGHUP, in place of Node's default (which would end
 * the process at once, leaving temporary files behind). Returns a function that removes them.
 */
export function onInterrupt(handlers: InterruptHandlers): () => void {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) return handlers.now('SIGINT');
    interrupted = true;
    handlers.first();
  };
  const onSigterm = () => handlers.now('SIGTERM');
  const onSighup = () => handlers.now('SIGHUP');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  process.on('SIGHUP', onSighup);
  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    process.off('SIGHUP', onSighup);
  };
}
