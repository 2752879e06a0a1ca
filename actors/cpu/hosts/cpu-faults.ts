/**
 * The faults a simulation can inject into the CPUs of a simulated machine (simulated-host.ts): a
 * pause, which stops a CPU for a while and loses nothing, and a crash, which kills it with its
 * actors, as a worker thread that exits would, and may boot it again. CPU 0 is the thread that
 * embeds the kernel (its tree, the embedding code's tells, the clock everything is driven from):
 * it can be neither.
 */
import { timerDelayMsMax } from '../../../drivers/clock/timer-arguments.js';

/** How a simulated CPU crashes. */
export interface CpuCrashOptions {
  /**
   * Boot the CPU again this many virtual ms after the crash: fresh rings, a new pid generation, and
   * the actors other CPUs had placed there spawned again behind their refs. Absent: it stays down
   * until the kernel shuts down, and each actor other CPUs had placed there is gone for good: its
   * `kernel.spawned(ref)` rejects with `CpuDownError`, and mail to it is a dead letter `stopped`.
   */
  readonly restartAfterMs?: number;
  /** Why it died, as `CpuDownError` says (default `'a simulated crash'`). */
  readonly why?: string;
}

/**
 * Faults of the CPUs of a simulated kernel (`kernel.simulatedCpus`), at the current virtual time.
 *
 * A **pause** takes CPU `cpu` out of the machine's steps for `forMs` of virtual time: its actors
 * take no turns, its rings fill and its timers, once due, wait until it resumes; then everything
 * that waited runs, in order, and nothing is lost. Other CPUs go on: their asks to it may time out.
 * A pause of a paused CPU lasts until the later of the two ends.
 *
 * A **crash** kills CPU `cpu` between two of its steps (one asked for during a step, from an
 * actor's turn, comes right after it). Its kernel runs nothing more, and what its code still does
 * (a handler's continuation) reaches no other CPU. The others learn of it as of a worker's death:
 * asks waiting on its actors fail with `CpuDownError`, tells waiting to reach it are dead letters
 * `stopped`, links to its actors get exit `killed` and monitors `down`, its names are gone, and later
 * sends to its actors fail at once. What it had published in its rings before still arrives.
 *
 * A CPU that is down stays as it is: pausing or crashing it again does nothing. So do faults once
 * the kernel's shutdown reaches the other CPUs (after CPU 0's tree has stopped): it ends the pauses
 * there are, and calls off the restarts to come.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ mode: 'simulated', seed: 7, cpus: 3, modules: [url] });
 * const counter = kernel.spawn(Counter, { cpu: 2, name: 'counter' });
 * kernel.simulatedCpus.pause(2, 100);                        // CPU 2 stands still for 100 virtual ms
 * await kernel.advance(100);
 * kernel.simulatedCpus.crash(2, { restartAfterMs: 50 });     // its asks fail with CpuDownError
 * kernel.cpuStates();                                        // ['up', 'up', 'down']
 * await kernel.advance(50);                                  // back: `counter` is a fresh Counter
 * ```
 */
export interface SimulatedCpuFaults {
  /** Pauses CPU `cpu` (1..cpus-1) for `forMs` (≥ 0) virtual ms. Throws RangeError for CPU 0 or a bad number. */
  pause(cpu: number, forMs: number): void;
  /** Crashes CPU `cpu` (1..cpus-1), and boots it again if `options.restartAfterMs` says when. Throws RangeError for CPU 0 or a bad number. */
  crash(cpu: number, options?: CpuCrashOptions): void;
  /**
   * Ends the faults in force now: every pause, and every wait of a crashed CPU to boot again (it
   * boots now). Resolves once those CPUs are up; a CPU crashed for good stays down. What a
   * simulation calls when its faults stop.
   */
  recover(): Promise<void>;
}

/** The crash's cause when the caller gives none. */
export const simulatedCrashWhy = 'a simulated crash';

/** Refuses a CPU a fault cannot hit: CPU 0, or one the machine does not have. */
export function checkFaultedCpu(cpu: number, cpus: number, fault: 'paused' | 'crashed'): void {
  if (cpu === 0) {
    throw new RangeError(`cpu 0 cannot be ${fault}: it is the thread that embeds the kernel (its tree, the embedding code, the clock's driver)`);
  }
  if (!Number.isInteger(cpu) || cpu < 1 || cpu >= cpus) {
    throw new RangeError(`cpu ${cpu} cannot be ${fault}: this kernel runs cpus 0..${cpus - 1}, and only cpus 1..${cpus - 1} can be`);
  }
}

/** Refuses a duration of a fault that a timer could not wait: not a number of ms in 0..timerDelayMsMax. */
export function checkFaultMs(ms: number, name: 'forMs' | 'restartAfterMs'): void {
  if (typeof ms !== 'number' || !(ms >= 0 && ms <= timerDelayMsMax)) {
    throw new RangeError(`${name} must be a number of ms in 0..${timerDelayMsMax}, got ${String(ms)}`);
  }
}
