import { type Cell, Status } from './cell.js';

/**
 * Ends `cell` with reason `normal` and `output` as its exit value (`Lifecycle.finish`): at once
 * while it runs, or, when it finishes inside its `started` hook (a machine whose initial state is
 * final), as soon as it runs: the start would otherwise mark the stopping actor running again.
 */
export function finishActor(cell: Cell, output: unknown): void {
  const lifecycle = cell.kernel.lifecycle;
  if (cell.status === Status.Running) void lifecycle.finish(cell, output);
  else if (cell.status === Status.Suspended) cell.pushSystem({ kind: 'run', run: () => void lifecycle.finish(cell, output) });
}
