import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * `folder` with a leading `~` or `~/` (`~\` on Windows) replaced by the user's home folder.
 * Hosts start the server from JSON arguments and environment, with no shell to expand it, and
 * Claude Desktop's working directory is `/`, where `~/Pictures` would name `/~/Pictures`.
 * `~user` is left as it is: only a shell knows other users' homes.
 */
export function expandHome(folder: string, home: string = os.homedir()): string {
  if (folder === '~') return home;
  if (folder.startsWith('~/') || (path.sep === '\\' && folder.startsWith('~\\'))) {
    return path.join(home, folder.slice(2));
  }
  return folder;
}

/**
 * One line per folder of `folders` (absolute paths) that does not exist or is not a folder,
 * naming it (JSON-quoted, so a newline in a name cannot forge a line of the log) and why; empty
 * when all are folders. The server still starts: a folder may appear later (a drive mounted).
 */
export async function folderProblems(folders: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const folder of folders) {
    try {
      if (!(await stat(folder)).isDirectory()) problems.push(`${JSON.stringify(folder)} is not a folder`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(
        `${JSON.stringify(folder)} ${code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be checked (${code ?? error})`}`,
      );
    }
  }
  return problems;
}
