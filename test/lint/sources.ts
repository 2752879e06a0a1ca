/** The repository's TypeScript sources, as the lint tests read them. */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/test/lint/sources.js, three levels below it. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const sourceFileName = /\.(?:ts|mts|cts|tsx|js|mjs|cjs)$/;
const skippedFolders = new Set(['node_modules', 'dist']);
const folderDepthMax = 32;

/**
 * Every source file under `folder` (an absolute path; none if it does not exist), sorted, skipping
 * declarations, dot-folders, node_modules and build output.
 */
export function listSourceFiles(folder: string, depth = 0): string[] {
  if (!existsSync(folder)) return [];
  if (depth > folderDepthMax) throw new RangeError(`folder nesting deeper than ${folderDepthMax} at ${folder}`);
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || skippedFolders.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...listSourceFiles(path, depth + 1));
    else if (entry.isFile() && sourceFileName.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** A path relative to the repository root, `/`-separated. */
export function repoPath(file: string): string {
  return relative(repoRoot, file).split('\\').join('/');
}
