/**
 * A scenario: a program under test, as one module a campaign runs seed after seed on a simulated
 * kernel (one thread, virtual time, seeded choices). It boots the system (`setup`), drives it
 * (`workload`), and says what must hold: `invariants` after the run, `liveness` once the faults have
 * stopped. The faults to inject are drawn per seed from `faults` (fault-plan.ts).
 *
 * @example
 * ```ts
 * // bank.sim.ts
 * export default scenario({
 *   name: 'bank transfers',
 *   boot: { cpus: 2, modules: [new URL('./bank.js', import.meta.url)] },
 *   setup: (kernel) => ({ bank: kernel.spawn(Bank) }),
 *   async workload(kernel, sim, { bank }) {
 *     for (let i = 0; i < 20; i++) { bank.tell({ type: 'transfer', amount: sim.random('amounts').int(10) }); await sim.sleep(5); }
 *   },
 *   invariants: { 'money is conserved': async (kernel, sim, { bank }) => (await bank.ask({ type: 'total' })) === 1000 },
 * });
 * ```
 */
import type { ActorRef, BootOptions, Kernel } from '../boot/index.js';
import type { Sim } from './sim.js';

/** What a check returns: whether it holds. */
export type Check<S> = (kernel: Kernel, sim: Sim, system: S) => boolean | Promise<boolean>;

/** The faults a scenario allows; each seed draws its own plan from them. */
export interface FaultOptions<S> {
  /** The actors that may be killed (`kernel.exit(ref, 'kill')`), asked at each kill: the live ones now. */
  readonly killable?: (kernel: Kernel, system: S) => readonly ActorRef<never>[];
  /** At most this many kills per run at a time (default 3). */
  readonly killsMax?: number;
  /**
   * At most this many kills per run at a message (default 1): one of the killable actors (picked when
   * the workload starts) is killed as its n-th message is sent, n within the first `killMessageMax`
   * (default 50), so that message finds it dead.
   */
  readonly messageKillsMax?: number;
  readonly killMessageMax?: number;
  /**
   * Mail to these actors may be dropped, duplicated or delayed: the live ones after setup. In half the
   * seeds with such faults, they hit one of the mailboxes only.
   */
  readonly messagesTo?: (kernel: Kernel, system: S) => readonly ActorRef<never>[];
  /** The highest share of that mail dropped in a run (default 0.2); each seed draws its own, often none. */
  readonly dropShareMax?: number;
  /** The highest share duplicated (default 0.1). */
  readonly duplicateShareMax?: number;
  /** The highest share delayed (default 0.2), each by up to `delayMsMax` (default 50). */
  readonly delayShareMax?: number;
  readonly delayMsMax?: number;
  /**
   * The most messages the faults hold back at once, delayed or clogged (default 1 024): past it they
   * are dropped (dead letters with the cause `fault-injected`), as a network whose buffers are full.
   */
  readonly heldMessagesMax?: number;
  /**
   * Actors that partitions may cut apart (each seed may draw some): during one, mail between its two
   * sides is dropped, in both directions or, for an asymmetric one, from the first side only. Half of
   * them are clogs instead: the mail is held, and delivered in order when the partition heals.
   */
  readonly partitionable?: (kernel: Kernel, system: S) => readonly ActorRef<never>[];
  /** At most this many partitions per run (default 2). */
  readonly partitionsMax?: number;
  /** Actors that may be paused (take no mail for a while, as a stalled thread): the live ones at each pause. */
  readonly pausable?: (kernel: Kernel, system: S) => readonly ActorRef<never>[];
  /** At most this many pauses per run (default 3), each up to `pauseMsMax` long (default 100). */
  readonly pausesMax?: number;
  readonly pauseMsMax?: number;
  /**
   * Faults of the simulated CPUs 1 and up (CPU 0 embeds the kernel), on a kernel of several: pauses,
   * at most `pausesMax` (default 2) each up to `pauseMsMax` (default 100), in which a CPU takes no
   * steps and loses nothing; crashes, at most `crashesMax` (default 1), in which a CPU dies with its
   * actors (asks to them fail with CpuDownError, links and monitors hear `killed`) and boots again
   * up to `restartAfterMsMax` later (default 100), or stays down with `restarts: false`.
   */
  readonly cpus?: {
    readonly pausesMax?: number;
    readonly pauseMsMax?: number;
    readonly crashesMax?: number;
    readonly restartAfterMsMax?: number;
    readonly restarts?: boolean;
  };
  /**
   * Clock faults on the simulated CPUs (each seed may draw some): drifts, a CPU's clock running at
   * a drawn rate within 1 ± `driftMax` (default 0.2) for a drawn while, at most `driftsMax` (default
   * 2); and jumps, a CPU's clock leaping forward by up to `jumpMsMax` (default 100), at most
   * `jumpsMax` (default 2). What a CPU's actors read (`ctx.now()`) and their timers follow its clock.
   */
  readonly clocks?: { readonly driftsMax?: number; readonly driftMax?: number; readonly jumpsMax?: number; readonly jumpMsMax?: number };
  /**
   * Faults of the kinds booted subsystems register (actors/plugin/fault-kind.ts), by kind name, each
   * with limits that override the kind's defaults: `{ balloon: { countMax: 2, shareMax: 1 } }` puts
   * up to two balloons, each taking up to all free memory, in a seed's plan (the vm subsystem's).
   */
  readonly kinds?: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Whether the fault points in actors' code (`ctx.maybe`) and in the runtime's may fire during the
   * workload, as `sim.maybe` sites do (default true): a cross-CPU ring is sometimes taken for full,
   * for one. False keeps them on their common paths.
   */
  readonly faultPoints?: boolean;
  /** Faults happen within this many ms of virtual time from the workload's start (default 1 000). */
  readonly windowMs?: number;
}

export interface Scenario<S = unknown> {
  readonly name: string;
  /** The simulated kernel's options (the mode and the seed are the campaign's). */
  readonly boot?: Omit<BootOptions, 'mode' | 'seed' | 'clock' | 'random'>;
  /** Spawns the system under test; what it returns is handed to the workload and the checks. */
  setup?(kernel: Kernel, sim: Sim): S | Promise<S>;
  /** Drives the system: asks, tells, `sim.sleep`, draws from `sim.random`. */
  workload(kernel: Kernel, sim: Sim, system: S): Promise<void>;
  /** What must hold when the workload is over. */
  readonly invariants?: Readonly<Record<string, Check<S>>>;
  /** What must come true once the faults have stopped, within `withinMs` of virtual time (default 10 000). */
  readonly liveness?: { readonly withinMs?: number } & Readonly<Record<string, Check<S> | number | undefined>>;
  readonly faults?: FaultOptions<S>;
  /** Virtual time the workload may take, at most (default one virtual hour). */
  readonly timeMsMax?: number;
}

/** Checks and returns a scenario: a name, a workload, checks that are functions. */
export function scenario<S>(definition: Scenario<S>): Scenario<S> {
  if (typeof definition?.name !== 'string' || definition.name.length === 0) throw new TypeError('a scenario has a name');
  if (typeof definition.workload !== 'function') throw new TypeError(`scenario '${definition.name}': workload must be a function`);
  for (const [name, check] of Object.entries(definition.invariants ?? {})) {
    if (typeof check !== 'function') throw new TypeError(`scenario '${definition.name}': invariant '${name}' must be a function`);
  }
  for (const [name, check] of Object.entries(definition.liveness ?? {})) {
    if (name === 'withinMs' ? !(typeof check === 'number' && check > 0) : typeof check !== 'function') {
      throw new TypeError(`scenario '${definition.name}': liveness '${name}' must be ${name === 'withinMs' ? 'a positive number of ms' : 'a function'}`);
    }
  }
  return Object.freeze({ ...definition });
}
