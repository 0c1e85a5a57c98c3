/**
 * The command line: commander parses it (every command with `--help`), the commands do the work,
 * and every failure ends as one message and an exit code (exit-codes.ts).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { version } from '../package.json';
import type { CommandContext } from './command-context.js';
import { deleteCommand } from './commands/delete.js';
import { generateCommand } from './commands/generate.js';
import { generateBatchCommand } from './commands/generate-batch.js';
import { getCommand } from './commands/get.js';
import { modelsCommand } from './commands/models.js';
import { uploadCommand } from './commands/upload.js';
import { EXIT, type ExitCode, UsageError } from './exit-codes.js';
import { describeFailure } from './failure.js';
import { DELETE_HELP, GENERATE_HELP, GET_HELP, MAIN_HELP, MODELS_HELP, UPLOAD_HELP } from './help.js';
import { DEFAULT_MODEL_KEY } from './model-option.js';
import { Reporter } from './report.js';
import { type GlobalOptions, outputMode } from './settings.js';

/** The longest `--timeout`, in seconds: the longest timer Node sets (about 24.8 days). */
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The most lines a batch handles at once. */
const MAX_CONCURRENCY = 32;

/** The batch's default concurrency. */
const DEFAULT_CONCURRENCY = 4;

/**
 * Runs the command line `args` (without `node` and the script) and returns the exit code.
 * Prints results on stdout and everything else on stderr; never throws.
 */
export async function main(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  let context: CommandContext | undefined;
  // The mode before parsing succeeds, for reporting a usage error as --json asks.
  const early = outputMode({ json: args.includes('--json'), quiet: true }, false);

  // The subcommand being parsed, for the usage hint of its errors.
  let current: string | undefined;
  const contextOf = (command: Command): CommandContext => {
    const options = command.optsWithGlobals<GlobalOptions>();
    // A terminal that reports no width (a pseudo-terminal nobody sized) gets no progress: ora 9
    // divides by the width to count the lines it redraws, and loops forever on 0.
    const mode = outputMode(options, process.stderr.isTTY === true && (process.stderr.columns ?? 0) > 0);
    context = { options, mode, reporter: new Reporter(mode), env, cwd: process.cwd() };
    return context;
  };

  const program = new Command('genimix')
    .description(
      'Generate, fetch, upload and delete Genimix images; generate batches that resume without paying twice.',
    )
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (every command has its own: genimix <command> --help)')
    .option('--project <id>', 'the project to work in (default: GENIMIX_PROJECT_ID)')
    .option('--base-url <url>', 'the API address (default: GENIMIX_BASE_URL, else https://api.genimix.dev)')
    .option('--json', 'one JSON object per result on stdout; errors as JSON on stderr')
    .option('--timeout <seconds>', 'seconds allowed for each request attempt (default 60; Generate 180)', parseSeconds)
    .option('-q, --quiet', 'no progress and no notes on stderr; errors still show')
    .addHelpText('after', MAIN_HELP)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .hook('preSubcommand', (_program, subcommand) => {
      current = subcommand.name();
    });

  program
    .command('generate')
    .description('generate an image from a prompt and write it; or, with --from, one image per line of a file')
    .argument('[prompt]', 'what to draw (quote it); omit with --from')
    .option('-m, --model <provider/modelId>', `the model (default ${DEFAULT_MODEL_KEY}; see genimix models)`)
    .option('--id <id>', 'the image id: 1–128 of A–Z a–z 0–9 . _ - (default: a new img-<uuid>)')
    .option(
      '-o, --output <file>',
      'where to write the image: a file, a folder, or - for stdout (default: <id>.<ext> here)',
    )
    .option('--from <file>', 'batch: a file of prompts, one per line (- for stdin)')
    .option('--out-dir <dir>', 'batch: the folder to write the images to, created if missing (default: here)')
    .option(
      '-c, --concurrency <n>',
      `batch: lines handled at once, 1–${MAX_CONCURRENCY} (default ${DEFAULT_CONCURRENCY})`,
      parseWhole(1, MAX_CONCURRENCY),
    )
    .addHelpText('after', GENERATE_HELP)
    .action(async (prompt: string | undefined, opts: GenerateFlags, command: Command) => {
      const ctx = contextOf(command);
      if (opts.from === undefined) {
        if (opts.outDir !== undefined || opts.concurrency !== undefined) {
          throw new UsageError('--from', '--out-dir and --concurrency go with --from FILE (a batch).');
        }
        if (prompt === undefined) {
          throw new UsageError(
            'PROMPT',
            'Give a prompt (genimix generate "A red fox in the snow") or a file of prompts with --from FILE.',
          );
        }
        exitCode = await generateCommand(ctx, prompt, opts);
        return;
      }
      if (prompt !== undefined) {
        throw new UsageError('--from', 'Give either a prompt or --from FILE, not both.');
      }
      if (opts.id !== undefined || opts.output !== undefined) {
        throw new UsageError(
          '--from',
          'A batch names its images itself (from the model and the prompt) and writes them to --out-dir: leave out --id and -o.',
        );
      }
      exitCode = await generateBatchCommand(ctx, {
        from: opts.from,
        outDir: opts.outDir,
        concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
        model: opts.model,
      });
    });

  program
    .command('get')
    .description('download an image and write it (free)')
    .argument('<id>', 'the image id')
    .option('-o, --output <file>', 'where to write it: a file, a folder, or - for stdout (default: <id>.<ext> here)')
    .addHelpText('after', GET_HELP)
    .action(async (id: string, opts: { output?: string }, command: Command) => {
      exitCode = await getCommand(contextOf(command), id, opts);
    });

  program
    .command('upload')
    .description('upload an image file (or - for stdin), streamed')
    .argument('<file>', 'a PNG, JPEG, WebP or GIF file, or - for stdin')
    .option('--id <id>', 'the image id; replaces any image with it (default: a new img-<uuid>)')
    .addHelpText('after', UPLOAD_HELP)
    .action(async (file: string, opts: { id?: string }, command: Command) => {
      exitCode = await uploadCommand(contextOf(command), file, opts);
    });

  program
    .command('delete')
    .description('delete an image')
    .argument('<id>', 'the image id')
    .addHelpText('after', DELETE_HELP)
    .action(async (id: string, _opts: unknown, command: Command) => {
      exitCode = await deleteCommand(contextOf(command), id);
    });

  program
    .command('models')
    .description('list the models for --model (needs no key)')
    .addHelpText('after', MODELS_HELP)
    .action((_opts: unknown, command: Command) => {
      exitCode = modelsCommand(contextOf(command));
    });

  try {
    await program.parseAsync(args, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version printed what was asked; `genimix` alone printed the help on stderr.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
      if (error.code === 'commander.help') return EXIT.usage;
    }
    const failure = describeFailure(error, {
      projectId: context?.options.project ?? env.GENIMIX_PROJECT_ID,
      timeoutSeconds: context?.options.timeout,
    });
    if (error instanceof CommanderError) failure.message = commanderMessage(failure.message, current);
    new Reporter(context?.mode ?? early).failure(failure);
    return failure.exitCode;
  }
}

/** Commander's error as a sentence, with where to read the usage. */
function commanderMessage(message: string, command: string | undefined): string {
  // One line: commander puts its "(Did you mean ...?)" on a line of its own.
  const oneLine = message.replace(/\s*\n\s*/g, ' ');
  const sentence = oneLine.charAt(0).toUpperCase() + oneLine.slice(1);
  return `${sentence}${/[.!?]$/.test(sentence) ? '' : '.'} Run genimix ${command ? `${command} ` : ''}--help for usage.`;
}

/** The flags of `generate`. */
interface GenerateFlags {
  model?: string;
  id?: string;
  output?: string;
  from?: string;
  outDir?: string;
  concurrency?: number;
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0) || seconds > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(`Use a number of seconds from 0.001 to ${MAX_TIMEOUT_SECONDS}, such as 30 or 2.5.`);
  }
  if (Math.round(seconds * 1000) < 1) throw new InvalidArgumentError('Use at least 0.001 seconds.');
  return seconds;
}

function parseWhole(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`Use a whole number from ${min} to ${max}.`);
    }
    return Number(value);
  };
}
