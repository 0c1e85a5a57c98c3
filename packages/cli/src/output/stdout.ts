/** Image bytes on stdout, for `-o -`: written with back-pressure, and a closed pipe reported as a failure. */
import { once } from 'node:events';
import { GenimixError } from '@genimix/core';

/**
 * Writes `chunks` to stdout and returns the number of bytes written.
 * @throws {Error} when stdout is closed early (a `head -c` that has had enough: `EPIPE`) or fails
 */
export async function writeToStdout(chunks: AsyncIterable<Uint8Array>): Promise<number> {
  const stdout = process.stdout;
  // Without a listener, an EPIPE would be thrown from the stream as an uncaught exception.
  const ignore = () => {};
  stdout.on('error', ignore);
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      // once() rejects when the stream emits 'error' meanwhile.
      if (!stdout.write(chunk)) await once(stdout, 'drain');
    }
    // Flushed before the command says it is done.
    await new Promise<void>((resolve, reject) => stdout.write('', (error) => (error ? reject(error) : resolve())));
    return bytes;
  } catch (error) {
    // The image's own stream failing (a connection cut mid-image) is Genimix's failure, not stdout's.
    if (error instanceof GenimixError) throw error;
    const { code, message } = error as NodeJS.ErrnoException;
    throw new Error(
      code === 'EPIPE'
        ? 'stdout was closed before the whole image was written (the program reading it stopped early).'
        : `The image could not be written to stdout: ${message}`,
      { cause: error },
    );
  } finally {
    stdout.off('error', ignore);
  }
}
