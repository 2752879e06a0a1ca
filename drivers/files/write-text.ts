import { writeFile } from 'node:fs/promises';

/**
 * Writes `text` to the file at `path` (UTF-8, created or replaced): the door the programs above the
 * kernel write their output through (a trace, say), since kernel code does no I/O of its own.
 *
 * @example
 * ```ts
 * await writeTextFile('run.trace.json', serializeTrace(trace));
 * ```
 */
export function writeTextFile(path: string, text: string): Promise<void> {
  return writeFile(path, text, 'utf8');
}
