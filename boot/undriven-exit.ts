/**
 * The exit check of a simulated kernel. When the process is about to end because its event loop
 * ran dry, while code still awaits the kernel (an ask in flight, or a spawn, stop, shutdown or
 * status request of the `Kernel` facade not yet settled) and the kernel is not stopped, nobody is
 * driving its clock: that await can never settle. The check says so on stderr, with how to drive
 * the kernel, and the exit code becomes 1, where Node would end in silence (code 13 for a
 * top-level await, 0 for an await inside a function nobody awaited).
 *
 * It counts only what it can see: asks and the facade's own operations. A promise of the program's
 * own that waits on an actor is not known to it; `kernel.runUntil(promise)` drives that one too.
 */
import { processExitChecks } from '../drivers/clock/exit-check.js';
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import type { KernelCore } from '../actors/runtime/kernel-core.js';

/** Operations of a simulated kernel's facade that wait on its clock and have not settled, by name. */
export class AwaitedOperations {
  private readonly pending = new Map<string, number>();

  /** How many are pending now. */
  get count(): number {
    let count = 0;
    for (const each of this.pending.values()) count += each;
    return count;
  }

  /** The pending ones, as `kernel.spawned ×2, kernel.shutdown`. */
  describe(): string {
    return [...this.pending].map(([name, count]) => (count === 1 ? `kernel.${name}` : `kernel.${name} ×${count}`)).join(', ');
  }

  /**
   * Counts `promise` as the operation `name` while it is pending, and returns a promise that settles
   * as it does. The caller gets that one, not `promise`: a rejection nobody handles is still reported
   * as unhandled.
   */
  track<T>(name: string, promise: Promise<T>): Promise<T> {
    this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
    return promise.finally(() => {
      const left = this.pending.get(name)! - 1;
      if (left === 0) this.pending.delete(name);
      else this.pending.set(name, left);
    });
  }
}

/**
 * Registers the exit check of the simulated kernel `core`, whose facade counts its operations in
 * `operations`; returns the function that removes it (call it when the kernel stops). The check
 * holds `core` weakly, so a kernel the program dropped is not kept alive for it.
 */
export function checkUndrivenAtExit(core: KernelCore, operations: AwaitedOperations): () => void {
  // Only `operations` is captured here, never `core`: the check must not keep its subject alive.
  return processExitChecks.add(core, (subject) => undrivenReport(subject, operations));
}

/** What to tell if `core` is awaited and nobody drives it; undefined when all is well. */
function undrivenReport(core: KernelCore, operations: AwaitedOperations): string | undefined {
  if (core.isStopped) return undefined;
  const asks = core.asks.size;
  if (asks === 0 && operations.count === 0) return undefined;
  const clock = core.clock as SimulatedClock;
  const awaited = [...(asks > 0 ? [`${counted(asks, 'ask')} in flight`] : []), ...(operations.count > 0 ? [`${operations.describe()} pending`] : [])];
  const state = [...awaited, `${counted(clock.pendingTimers(), 'timer')} armed`, `${counted(clock.pendingWork(), 'callback')} ready`].join(', ');
  return [
    `osprey: the process is ending while it awaits a simulated kernel that nobody drives (seed ${core.seed}, virtual time ${clock.now()} ms; ${state}).`,
    'Its virtual time moves only when the program drives it, so that await can never settle. Drive it while awaiting:',
    '  await kernel.runUntil(ref.ask(message))  // runs the kernel until the promise settles; returns its value',
    '  await kernel.settle()                    // runs what is ready now, without moving virtual time',
    '  await kernel.advance(ms)                 // moves virtual time by ms',
    '  await kernel.runUntilIdle()              // runs until no work and no timer is left',
  ].join('\n');
}

function counted(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
