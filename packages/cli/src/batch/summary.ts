/** The end of a batch, for a person: what was done, which lines failed and why, how to resume. */
import type { BatchCounts } from '../progress.js';
import type { LineOutcome } from './run-batch.js';

/** The counts of a batch's outcomes so far. */
export interface BatchTally extends BatchCounts {
  notStarted: number;
  /** Skipped because the file was in the output folder. */
  onDisk: number;
  /** Skipped because an earlier line has the same prompt. */
  duplicates: number;
}

/** Counts `outcomes`. */
export function tally(outcomes: readonly LineOutcome[]): BatchTally {
  const count = (test: (o: LineOutcome) => boolean) => outcomes.filter(test).length;
  return {
    generated: count((o) => o.status === 'generated'),
    fetched: count((o) => o.status === 'fetched'),
    skipped: count((o) => o.status === 'skipped'),
    failed: count((o) => o.status === 'failed'),
    notStarted: count((o) => o.status === 'not-started'),
    onDisk: count((o) => o.reason === 'exists'),
    duplicates: count((o) => o.reason === 'duplicate' && o.status === 'skipped'),
  };
}

/** How the batch ended. */
export interface BatchEnd {
  /** The batch's output folder, for the summary. */
  outDir: string;
  /** Lines in the prompt file (blank lines and comments left out). */
  total: number;
  /** Ctrl-C stopped it: lines not started, lines cut off. */
  interrupted: boolean;
  /** Lines whose requests were cancelled by a second Ctrl-C (or SIGTERM). */
  aborted: number;
}

/** The failed lines, one per line of text: `line 4 (id …): <message>`; '' when none failed. */
export function failedLines(outcomes: readonly LineOutcome[]): string {
  const failed = [...outcomes].filter((o) => o.status === 'failed').sort((a, b) => a.line - b.line);
  if (failed.length === 0) return '';
  return `Failed lines:\n${failed.map((o) => `  line ${o.line} (id ${o.id}): ${o.failure?.message ?? 'failed'}`).join('\n')}\n`;
}

/** The summary: counts, failed lines, and how to resume when something is left to do. */
export function summaryText(outcomes: readonly LineOutcome[], end: BatchEnd): string {
  const t = tally(outcomes);
  const why = [
    ...(t.onDisk > 0 ? [`${t.onDisk} already in ${end.outDir}`] : []),
    ...(t.duplicates > 0 ? [`${t.duplicates} duplicate${t.duplicates === 1 ? '' : 's'}`] : []),
  ];
  const skipped = `skipped ${t.skipped}${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
  // Lines neither settled nor cut off: never started, whether they were reached or not.
  const left = end.total - (outcomes.length - t.notStarted) - end.aborted;
  const parts = [`generated ${t.generated}`, `fetched ${t.fetched}`, skipped, `failed ${t.failed}`];
  if (left > 0) parts.push(`not started ${left}`);
  if (end.aborted > 0) parts.push(`cut off ${end.aborted}`);
  let text = `${end.interrupted ? 'Interrupted' : 'Done'}: ${end.total} line${end.total === 1 ? '' : 's'}: ${parts.join(', ')}.\n`;
  text += failedLines(outcomes);
  if (end.interrupted || t.failed > 0) {
    text +=
      'Run the same command again to resume: images already written are skipped, and those Genimix has (generated but not written, or possibly billed) are fetched with a free Get instead of generated again.\n';
  }
  return text;
}
