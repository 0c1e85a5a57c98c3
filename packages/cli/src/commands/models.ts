/** `genimix models`: the model catalog, for `--model`. Needs no key: nothing is sent. */
import { DEFAULT_MODEL, MODELS } from '@genimix/core';
import type { CommandContext } from '../command-context.js';
import { EXIT, type ExitCode } from '../exit-codes.js';

/** Prints one line (or JSON object) per model of the catalog, available ones first. */
export function modelsCommand(ctx: CommandContext): ExitCode {
  const rows = MODELS.map((m) => ({ model: `${m.provider}/${m.modelId}`, ...m, default: m === DEFAULT_MODEL }));
  if (ctx.mode.json) {
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    return EXIT.ok;
  }
  const width = Math.max(...rows.map((r) => r.model.length));
  const nameWidth = Math.max(...rows.map((r) => r.name.length));
  for (const row of rows) {
    const cost = row.costTokens === null ? 'cost TBD' : `${row.costTokens} tokens`;
    const status = row.available ? (row.default ? 'default' : '') : 'coming soon';
    const line = `${row.model.padEnd(width)}  ${row.name.padEnd(nameWidth)}  ${cost.padEnd(9)}  ${status}`;
    process.stdout.write(`${line.trimEnd()}\n`);
  }
  return EXIT.ok;
}
