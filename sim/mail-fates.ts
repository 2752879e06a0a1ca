/**
 * The runtime's mail hook (`KernelCore.mailFaults`) as a run's plan sets it, while the fault window
 * lasts: each message's fate (dropped across a partition in force, held across a clog until it
 * heals, else dropped, duplicated or delayed at the plan's shares when it goes to one of the
 * scenario's `messagesTo` actors), and the kills at a message (the n-th message sent to a killable
 * actor kills it on its way, so it finds its target dead). Held messages wait on the machine's true
 * time, at most `heldMessagesMax` at once.
 *
 * @example
 * ```ts
 * const hook = mailFatesOf(plan, scenario.faults, kernel, machine, system, machine.now());
 * if (hook !== null) for (const cpu of kernel.threadKernels()) cpu.core.mailFaults = hook;
 * ```
 */
import type { Cell } from '../actors/runtime/cell.js';
import type { MailFate, MailFaults } from '../actors/runtime/mail-faults.js';
import type { ActorRef, Kernel } from '../boot/index.js';
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import {
  faultWindowMsDefault,
  heldMessagesMaxDefault,
  partitionableCountMax,
  pickIndex,
  type PlannedFault,
  type PlannedMailFaults,
  type PlannedMessageKill,
  type PlannedPartition,
} from './fault-plan.js';
import type { FaultOptions } from './scenario.js';

/** The hook for `plan`, or null when the plan has no fault on the mail. */
export function mailFatesOf<S>(
  plan: readonly PlannedFault[],
  options: FaultOptions<S> | undefined,
  kernel: Kernel,
  machine: SimulatedClock,
  system: S,
  startMs: number,
): MailFaults | null {
  const mail = plan.find((fault): fault is PlannedMailFaults => fault.kind === 'mail');
  const partitions = plan.filter((fault): fault is PlannedPartition => fault.kind === 'partition');
  const messageKills = plan.filter((fault): fault is PlannedMessageKill => fault.kind === 'kill-at-message');
  if (mail === undefined && partitions.length === 0 && messageKills.length === 0) return null;
  const killsAt = messageKillTargets(messageKills, options?.killable?.(kernel, system) ?? []);
  const candidates = (options?.messagesTo?.(kernel, system) ?? []).map((ref) => ref.pid);
  // Scoped to one mailbox, the faults hit only the candidate its fraction picks.
  const scoped = mail?.mailbox === undefined ? undefined : pickIndex(mail.mailbox, candidates.length);
  const targets = new Set(mail?.mailbox === undefined ? candidates : scoped === undefined ? [] : [candidates[scoped]!]);
  const sides = (options?.partitionable?.(kernel, system) ?? []).map((ref) => ref.pid);
  if (sides.length > partitionableCountMax) throw new RangeError(`a scenario names at most ${partitionableCountMax} partitionable actors, got ${sides.length}`);
  const windowMs = options?.windowMs ?? faultWindowMsDefault;
  const random = kernel.random.stream('sim.mail');
  const sideOf = (partition: PlannedPartition, pid: number): number => {
    const index = sides.indexOf(pid);
    return index < 0 ? -1 : partition.sides[index]! < 0.5 ? 0 : 1;
  };
  // When each message held back (delayed, clogged) is let go, in machine time: at most heldMessagesMax at once.
  const heldMax = options?.heldMessagesMax ?? heldMessagesMaxDefault;
  let held: number[] = [];
  const holdFor = (ms: number): MailFate => {
    const nowMs = machine.now();
    if (held.length >= heldMax) held = held.filter((dueMs) => dueMs > nowMs);
    if (held.length >= heldMax) return 'drop';
    held.push(nowMs + ms);
    return ms;
  };
  // When each clog lets the mail between a pair go, in machine time, by `from>to`: mail sent at that
  // very instant waits behind it, as on a connection that keeps its order.
  const clogReleases = new Map<string, number>();
  return {
    hold: (ms, release) => void machine.setTimer(ms, release),
    fateOf(target: Cell, _message: unknown, from: number): MailFate {
      const nowMs = machine.now();
      const released = clogReleases.get(`${from}>${target.pid}`);
      if (released !== undefined && nowMs <= released) return holdFor(released - nowMs);
      const atMs = nowMs - startMs;
      if (atMs >= windowMs) return 'deliver';
      const kill = killsAt.get(target.pid);
      if (kill !== undefined) {
        kill.sent++;
        if (kill.atMessages.has(kill.sent)) kernel.exit(kill.ref, 'kill');
      }
      for (const partition of partitions) {
        if (atMs < partition.atMs || atMs >= partition.atMs + partition.forMs) continue;
        const fromSide = sideOf(partition, from);
        const toSide = sideOf(partition, target.pid);
        if (fromSide < 0 || toSide < 0 || fromSide === toSide || (partition.asymmetric && fromSide !== 0)) continue;
        if (!partition.clog) return 'drop';
        // A clog lets its mail go when it heals, all due at once, so in the order it was sent.
        const healsAtMs = startMs + partition.atMs + partition.forMs;
        clogReleases.set(`${from}>${target.pid}`, healsAtMs);
        return holdFor(healsAtMs - nowMs);
      }
      if (mail === undefined || !targets.has(target.pid)) return 'deliver';
      const draw = random.next();
      if (draw < mail.drop) return 'drop';
      if (draw < mail.drop + mail.duplicate) return 'duplicate';
      if (draw < mail.drop + mail.duplicate + mail.delay) return holdFor(1 + random.int(mail.delayMsMax));
      return 'deliver';
    },
  };
}

/** Each message kill's target (the killable actors at the workload's start), by pid: at which messages it dies, and how many it has been sent. */
function messageKillTargets(kills: readonly PlannedMessageKill[], killable: readonly ActorRef<never>[]) {
  const targets = new Map<number, { readonly ref: ActorRef<never>; readonly atMessages: Set<number>; sent: number }>();
  for (const kill of kills) {
    const index = pickIndex(kill.pick, killable.length);
    if (index === undefined) continue;
    const ref = killable[index]!;
    const target = targets.get(ref.pid) ?? { ref, atMessages: new Set<number>(), sent: 0 };
    target.atMessages.add(kill.atMessage);
    targets.set(ref.pid, target);
  }
  return targets;
}
