/**
 * Faults injected into actor mail, for simulation: a hook on the send paths (`ActorRef.tell` and
 * asks) that a simulated run installs on each CPU's kernel core (`KernelCore.mailFaults`) and that
 * is null otherwise, one branch. It decides each message's fate: delivered, dropped, duplicated or
 * delayed. The delivery contract holds: a dropped message is a dead letter with the cause
 * `fault-injected` (an ask then runs to its deadline, as one lost on a network does), and a delayed
 * one is delivered later, or is a dead letter then if its target stopped meanwhile.
 *
 * @example
 * ```ts
 * kernel.core.mailFaults = { fateOf: (target) => (target === flaky.cell ? 'drop' : 'deliver'), hold: (ms, release) => clock.setTimer(ms, release) };
 * ```
 */
import type { Cell } from './cell.js';

/** What happens to one message: delivered now, dropped, delivered twice, or delivered after this many ms. */
export type MailFate = 'deliver' | 'drop' | 'duplicate' | number;

export interface MailFaults {
  /** The fate of `message` from actor `from` (0: from outside any actor) to `target`. */
  fateOf(target: Cell, message: unknown, from: number): MailFate;
  /**
   * Holds a delayed message back for `ms`, then calls `release`: on the simulation's own clock, the
   * machine's true time, which no CPU's clock fault skews and no CPU's crash stops.
   */
  hold(ms: number, release: () => void): void;
}

/**
 * Sends `message` to `target` as `faults` decide; `origin` is what `deliver` takes (the sender's pid,
 * or minus an ask's id), `from` the sender's pid.
 */
export function sendUnderFaults(faults: MailFaults, target: Cell, message: unknown, origin: number, from: number): boolean {
  const fate = faults.fateOf(target, message, from);
  switch (fate) {
    case 'deliver':
      return target.deliver(message, origin);
    case 'drop':
      target.kernel.deadLetter(message, origin, target, 'fault-injected');
      return true;
    case 'duplicate':
      target.deliver(message, origin);
      // The copy of an ask is a tell: one answer per ask.
      return target.deliver(message, origin < 0 ? 0 : origin);
    default:
      faults.hold(fate, () => target.deliver(message, origin));
      return true;
  }
}
