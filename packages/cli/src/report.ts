/**
 * What a command prints. stdout carries results only: one JSON object per line with `--json`,
 * else one line of text per result (or the image bytes with `-o -`, when the line goes to
 * stderr instead). stderr carries everything else: progress, notes, errors.
 */
import type { Failure } from './failure.js';
import type { SavedImage } from './output/save-image.js';
import type { OutputMode } from './settings.js';

/** An image result as `--json` prints it: the keys in this order, absent ones left out. */
export interface ImageRecord {
  id: string;
  project: string;
  /** `provider/modelId`, for generated images. */
  model?: string;
  /** The file written (absolute path), or `-` for stdout. */
  file?: string;
  bytes?: number;
  contentType?: string;
  width?: number;
  height?: number;
  /** Where Genimix serves the image (a GET with the API key). */
  imageUrl?: string;
}

/** The record of an image written by a command. */
export function imageRecord(
  ref: { id: string; project: string; model?: string },
  saved: SavedImage | undefined,
  imageUrl: string | undefined,
): ImageRecord {
  return {
    id: ref.id,
    project: ref.project,
    ...(ref.model === undefined ? {} : { model: ref.model }),
    ...(saved ? { file: saved.file, bytes: saved.bytes, contentType: saved.contentType } : {}),
    ...(saved?.width === undefined ? {} : { width: saved.width, height: saved.height }),
    ...(imageUrl === undefined ? {} : { imageUrl }),
  };
}

/** Prints results, notes and failures as the output mode says. */
export class Reporter {
  readonly mode: OutputMode;

  constructor(mode: OutputMode) {
    this.mode = mode;
  }

  /**
   * One result on stdout: `record` as a JSON line with `--json`, else `line`. `stdoutBusy`: the
   * image bytes went to stdout (`-o -`), where anything more would corrupt them, so the result
   * goes to stderr instead: the JSON line always, the text line unless `--quiet`.
   */
  result(record: object, line: string, stdoutBusy = false): void {
    const text = this.mode.json ? JSON.stringify(record) : line;
    if (!stdoutBusy) process.stdout.write(`${text}\n`);
    else if (this.mode.json || !this.mode.quiet) process.stderr.write(`${text}\n`);
  }

  /** A note for a person on stderr (not with `--quiet` or `--json`). */
  note(text: string): void {
    if (!this.mode.quiet && !this.mode.json) process.stderr.write(`${text}\n`);
  }

  /** A failure on stderr: `genimix: <message>`, or `{"error":{...}}` with `--json`. */
  failure(failure: Failure): void {
    if (this.mode.json) {
      const { exitCode, name, message, status, requestId, setting } = failure;
      const error = { name, message, exitCode, status, requestId, setting };
      process.stderr.write(`${JSON.stringify({ error })}\n`);
    } else {
      process.stderr.write(`genimix: ${failure.message}\n`);
    }
  }
}

/** `1.4 MB`, `104.2 KB`, `512 bytes`: sizes for people (decimal units, as file managers show). */
export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** Where a saved image went, for a result line: its path, or `stdout`. */
export function whereSaved(saved: SavedImage): string {
  return saved.file === '-' ? 'stdout' : saved.file;
}

/** `image/png, 1024×1024, 104.2 KB`: what a saved image is, for a result line. */
export function describeSaved(saved: SavedImage): string {
  const size = saved.width === undefined ? '' : `, ${saved.width}×${saved.height}`;
  return `${saved.contentType}${size}, ${formatSize(saved.bytes)}`;
}
