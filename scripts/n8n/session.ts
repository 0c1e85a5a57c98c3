/**
 * A whole real-n8n run as a process: a temporary folder with the run log, Ctrl-C handling, every
 * child stopped and the clean-ups run at the end, the log shown on failure, the folder removed
 * (`GENIMIX_N8N_KEEP_TEMP=1` keeps it), `PASS`/`FAIL` and the exit code.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { closeRunLog, openRunLog, secs, showRunLog, stopAll, stopOnSignals } from './processes.js';

/** What a session's main function returns: an exit code, or one with whether the children's log helps (default yes). */
export type SessionResult = number | { status: number; showLog: boolean };

/**
 * Runs `main(tmp)` and exits the process with its result (0 pass, else fail; a throw prints its
 * message and fails, showing the children's log). `title` names the run in the last line
 * (`PASS: <title> (12.3s)`).
 */
export async function runSession(
  title: string,
  tmpPrefix: string,
  main: (tmp: string) => Promise<SessionResult>,
): Promise<never> {
  const started = performance.now();
  let tmpDir: string | undefined;
  const removeTemp = async () => {
    await closeRunLog();
    if (tmpDir && process.env.GENIMIX_N8N_KEEP_TEMP) console.log(`(kept ${tmpDir}: GENIMIX_N8N_KEEP_TEMP is set)`);
    else if (tmpDir) await rm(tmpDir, { recursive: true, force: true });
  };
  stopOnSignals('n8n, PostgreSQL, Redis and the emulator', () => stopAll().then(removeTemp));

  let status = 1;
  let showLog = true;
  try {
    tmpDir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
    openRunLog(path.join(tmpDir, 'run.log'));
    const result = await main(tmpDir);
    ({ status, showLog } = typeof result === 'number' ? { status: result, showLog: true } : result);
  } catch (err) {
    console.error(`\n✗ ${(err as Error).message}`);
    status = 1;
  }
  try {
    await stopAll();
    if (status !== 0 && showLog) await showRunLog();
  } finally {
    await removeTemp();
  }
  console.log(`${status === 0 ? 'PASS' : 'FAIL'}: ${title} (${secs(performance.now() - started)})`);
  process.exit(status);
}
