/**
 * Ctrl-C, as a command sees it. A batch asks for two steps (the first SIGINT stops gently, the
 * second at once); a single command stops at the first. SIGTERM always stops at once.
 */

/** What to do on each signal. */
export interface InterruptHandlers {
  /** The first SIGINT. */
  first(): void;
  /** A second SIGINT, or SIGTERM at any time: must end the process. */
  now(signal: 'SIGINT' | 'SIGTERM'): void;
}

/**
 * Installs `handlers` for SIGINT and SIGTERM, in place of Node's default (which would end the
 * process at once, leaving temporary files behind). Returns a function that removes them.
 */
export function onInterrupt(handlers: InterruptHandlers): () => void {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) return handlers.now('SIGINT');
    interrupted = true;
    handlers.first();
  };
  const onSigterm = () => handlers.now('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  return () => {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  };
}
