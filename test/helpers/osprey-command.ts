/** Runs the built `osprey` command in a child process, for the command's tests. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built command's entry module. */
export const ospreyPath = fileURLToPath(new URL('../../bin/osprey.js', import.meta.url));

/** What the command did: its exit code and what it printed. */
export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `osprey ...args` and resolves once it exits (at most 60 s), failing or not. */
export function runOsprey(...args: string[]): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ospreyPath, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : ((error as { code?: number }).code ?? 1), stdout, stderr });
    });
  });
}
