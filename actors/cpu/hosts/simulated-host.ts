/**
 * Simulated CPUs: N kernels in one thread over the same ring code (ArrayBuffers instead of
 * SharedArrayBuffers), on one virtual clock. Which CPU steps next is drawn from the seeded random
 * driver (stream `cpu/step`), so a seed fixes the interleaving and with it the whole event stream.
 *
 * A step is one unit of a CPU's work: a pump of its inbound rings, or one piece of its ready work
 * (usually a dispatcher drain). Nothing parks: a CPU with work is a candidate for the next step.
 *
 * A simulation can pause a CPU or crash it (`kernel.simulatedCpus`, see cpu-faults.ts): a CPU that
 * is not up takes no steps, a paused one's due timers wait in its ready work, and a crashed one's
 * kernel is cut off and may boot again as its next incarnation. A run without faults is stepped
 * exactly as before they existed: no draws, no timers, no actors are added.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ mode: 'simulated', seed: 7, cpus: 3, modules: [url] });
 * const pinger = kernel.spawn(Pinger, { cpu: 2 });
 * await kernel.simulatedClock.runUntilIdle();
 * ```
 */
import type { Clock, TimerHandle } from '../../../drivers/clock/clock.js';
import type { RunUntilIdleOptions, SimulatedClock } from '../../../drivers/clock/simulated.js';
import type { Random } from '../../../drivers/random/random.js';
import { assertCallback } from '../../../drivers/clock/timer-arguments.js';
import { describeError } from '../../../ground/errors.js';
import type { KernelCore } from '../../runtime/kernel-core.js';
import { BehaviorCatalog, type ModuleList } from '../catalog.js';
import { Doorbell } from '../doorbell.js';
import { createInterconnect, type InterconnectMemory } from '../interconnect.js';
import type { CpuNode } from '../cpu-node.js';
import { announceCpuDown, announceCpuRestart, firstGenerationOf, type LiveCpu } from './cpu-deaths.js';
import { checkFaultedCpu, checkFaultMs, type SimulatedCpuFaults, simulatedCrashWhy } from './cpu-faults.js';
import type { BootCpu, BootedCpu, CpuHost, CpuRunState } from './cpu-host.js';

/** The virtual time a pump takes that finds only frames that must wait, in ms: a real CPU's busy round. */
const blockedPumpMs = 0.05;

/** What simulated CPUs share. */
export interface SimulatedCpusOptions {
  readonly cpus: number;
  /** The one virtual clock of the machine. */
  readonly clock: SimulatedClock;
  /** The root random stream: CPU 0 draws from it, CPU n from its stream `cpu/n`, the stepper from `cpu/step`. */
  readonly random: Random;
  readonly modules: ModuleList;
  /** Data bytes of each ring between two CPUs. */
  readonly ringBytes: number;
  /** Wraps the clock each CPU reads (BootOptions.cpuClock). */
  readonly cpuClock?: ((cpu: number, clock: SimulatedClock) => SimulatedClock) | undefined;
}

/** Boots `options.cpus` simulated CPUs with `bootCpu`; returns CPU 0 and the host of them all. */
export async function startSimulatedCpus(options: SimulatedCpusOptions, bootCpu: BootCpu): Promise<{ readonly first: BootedCpu; readonly host: CpuHost }> {
  const { cpus, random } = options;
  const catalog = await BehaviorCatalog.load(options.modules);
  const memory = createInterconnect(cpus, options.ringBytes, false);
  const machine = new SimulatedMachine(options.clock, random.stream('cpu/step'), cpus);
  const booted: BootedCpu[] = [];
  /** The clock CPU `cpu` reads: its own on the machine's, wrapped as the boot options say. */
  const clockOf = (cpu: number): SimulatedClock => options.cpuClock?.(cpu, machine.clockOf(cpu)) ?? machine.clockOf(cpu);
  for (let cpu = 0; cpu < cpus; cpu++) {
    // CPU 0 keeps the root stream, so a one-CPU and a many-CPU kernel draw alike on CPU 0.
    booted.push(await bootCpu({ cpu, memory, catalog, clock: clockOf(cpu), random: cpu === 0 ? random : random.stream(`cpu/${cpu}`) }));
  }
  // A crashed CPU boots again as it first did, on a stream and pid generations of its own incarnation.
  const reboot = (cpu: number, incarnation: number) => {
    const stream = random.stream(`cpu/${cpu}/incarnation-${incarnation}`);
    return bootCpu({ cpu, memory, catalog, clock: clockOf(cpu), random: stream, firstGeneration: firstGenerationOf(incarnation), incarnation });
  };
  machine.attach(booted, { memory, ringBytes: options.ringBytes, reboot });
  const faults: SimulatedCpuFaults = {
    pause(cpu, forMs) {
      checkFaultedCpu(cpu, cpus, 'paused');
      checkFaultMs(forMs, 'forMs');
      machine.pause(cpu, forMs);
    },
    crash(cpu, crashOptions = {}) {
      checkFaultedCpu(cpu, cpus, 'crashed');
      const { restartAfterMs, why = simulatedCrashWhy } = crashOptions;
      if (restartAfterMs !== undefined) checkFaultMs(restartAfterMs, 'restartAfterMs');
      machine.crash(cpu, String(why), restartAfterMs);
    },
    recover: () => machine.recover(),
  };
  const host: CpuHost = {
    cpus,
    doorbellCounters: (cpu) => new Doorbell(memory.doorbells[cpu]!).counters(),
    cpuStates: () => [...machine.states],
    simulatedFaults: faults,
    shutdown: () => machine.shutdown(),
  };
  booted[0]!.core.otherCpus = host;
  return { first: booted[0]!, host };
}

/** How the machine reaches its CPUs' memory and boots a crashed CPU again (as incarnation `incarnation`). */
interface MachineRestarts {
  readonly memory: InterconnectMemory;
  readonly ringBytes: number;
  readonly reboot: (cpu: number, incarnation: number) => Promise<BootedCpu>;
}

/** A live CPU as a crash tells it, including that the dead one will not come back. */
type ToldCpu = LiveCpu & Pick<CpuNode, 'cpuGone'>;

/** Steps N CPUs in a seeded order on one virtual clock; pauses and crashes them when told. */
class SimulatedMachine {
  private readonly ready: (() => void)[][] = [];
  private nodes: CpuNode[] = [];
  private cores: KernelCore[] = [];
  private restarts: MachineRestarts | null = null;
  private stepPending = false;
  private readonly stepBound = () => this.step();
  /** Steps taken, by CPU (for tests and stats). */
  readonly steps: number[];
  /** Where each CPU is: only an `up` one takes steps. */
  readonly states: CpuRunState[];
  /**
   * Each CPU's incarnation (its crashes so far). A clock serves one: once it is over, what that
   * kernel still schedules is dropped and its timers fire into nothing.
   */
  private readonly incarnations: number[];
  /** Why each CPU that is down died. */
  private readonly whys: string[];
  /** The timer that ends each CPU's pause, and when it is due. */
  private readonly pauses: ({ readonly timer: TimerHandle; readonly untilMs: number } | null)[];
  /** The timer that boots each crashed CPU again, where one was asked for. */
  private readonly restartTimers: (TimerHandle | null)[];
  /** Crashes and restarts to apply once the machine is free (see `whenFree`), in order. */
  private readonly faultsDue: (() => void)[] = [];
  /** A step or a fault is running. */
  private applying = false;
  /** A CPU booting again: its kernel is made, and joins the machine when its boot resolves. */
  private rebooting: Promise<void> | null = null;
  /** The kernel shuts the other CPUs down: faults are over. */
  private stopping = false;

  constructor(
    private readonly shared: SimulatedClock,
    private readonly choices: Random,
    readonly cpus: number,
  ) {
    for (let cpu = 0; cpu < cpus; cpu++) this.ready.push([]);
    this.steps = new Array<number>(cpus).fill(0);
    this.states = new Array<CpuRunState>(cpus).fill('up');
    this.incarnations = new Array<number>(cpus).fill(0);
    this.whys = new Array<string>(cpus).fill('');
    this.pauses = new Array<null>(cpus).fill(null);
    this.restartTimers = new Array<null>(cpus).fill(null);
  }

  attach(booted: readonly BootedCpu[], restarts: MachineRestarts): void {
    this.nodes = booted.map((entry) => entry.node);
    this.cores = booted.map((entry) => entry.core);
    this.restarts = restarts;
    for (const node of this.nodes) node.port.onOffered = () => this.poke();
    this.poke();
  }

  /** The clock of CPU `cpu`'s current incarnation: its own ready work, its timers on the shared one. */
  clockOf(cpu: number): SimulatedClock {
    const shared = this.shared;
    const ready = this.ready[cpu]!;
    const poke = () => this.poke();
    const incarnation = this.incarnations[cpu]!;
    const clock: SimulatedClock & Clock = {
      kind: 'simulated',
      now: () => shared.now(),
      setTimer: (delayMs: number, callback: () => void): TimerHandle => {
        assertCallback(callback, 'setTimer');
        return shared.setTimer(delayMs, () => this.fire(cpu, incarnation, callback));
      },
      cancelTimer: (handle: TimerHandle) => shared.cancelTimer(handle),
      keepAlive: (handle: TimerHandle, keep: boolean) => shared.keepAlive(handle, keep),
      schedule: (callback: () => void) => {
        // A crashed incarnation's code (a continuation still running in the thread) schedules nothing.
        if (this.incarnations[cpu] !== incarnation) return;
        ready.push(callback);
        poke();
      },
      soon: (callback: () => void) => clock.schedule(callback),
      runReady: () => shared.runReady(),
      advance: (ms: number) => shared.advance(ms),
      // One clock for all CPUs: CPU time consumed on one delays the others too (no parallel time).
      consume: (ms: number) => shared.consume(ms),
      runUntilIdle: (runOptions?: RunUntilIdleOptions) => shared.runUntilIdle(runOptions),
      waitWhile: (words, index, expected, timeoutMs) => shared.waitWhile(words, index, expected, timeoutMs),
      waitWhileAsync: (words, index, expected, timeoutMs) => shared.waitWhileAsync(words, index, expected, timeoutMs),
      pendingTimers: () => shared.pendingTimers(),
      pendingWork: () => shared.pendingWork() + ready.length,
    };
    return clock;
  }

  /** Pauses CPU `cpu` (checked: not 0) for `forMs`, or longer if it is paused until later already. */
  pause(cpu: number, forMs: number): void {
    if (this.stopping || this.states[cpu] === 'down') return;
    const untilMs = this.shared.now() + forMs;
    if ((this.pauses[cpu]?.untilMs ?? -1) >= untilMs) return;
    const timer = this.shared.setTimer(forMs, () => this.resume(cpu));
    this.endPause(cpu);
    this.states[cpu] = 'paused';
    this.pauses[cpu] = { timer, untilMs };
  }

  /** Crashes CPU `cpu` (checked: not 0) once the machine is free, and boots it again `restartAfterMs` later if given. */
  crash(cpu: number, why: string, restartAfterMs: number | undefined): void {
    this.whenFree(() => this.crashNow(cpu, why, restartAfterMs));
  }

  /** Ends every pause now, and boots now each crashed CPU waiting to; resolves once they are up. */
  async recover(): Promise<void> {
    for (;;) {
      for (let cpu = 1; cpu < this.cpus; cpu++) {
        this.endPause(cpu);
        if (this.states[cpu] === 'paused') this.resume(cpu);
        const restart = this.restartTimers[cpu];
        if (restart == null) continue;
        this.shared.cancelTimer(restart);
        this.whenFree(() => this.restartNow(cpu));
      }
      while (this.rebooting !== null) await this.rebooting;
      // Crashes asked for meanwhile have been applied once the boots were over: end theirs too.
      if (this.faultsDue.length === 0 && this.restartTimers.every((timer) => timer == null)) return;
    }
  }

  /** Shuts the CPUs but 0 down, last first, once CPU 0's tree has stopped: pauses end, restarts are off. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (let cpu = 1; cpu < this.cpus; cpu++) {
      const restart = this.restartTimers[cpu];
      if (restart != null) this.shared.cancelTimer(restart);
      this.restartTimers[cpu] = null;
      // A paused CPU must run to stop its actors.
      this.endPause(cpu);
      if (this.states[cpu] === 'paused') this.resume(cpu);
    }
    while (this.rebooting !== null) await this.rebooting;
    for (let cpu = this.cpus - 1; cpu >= 1; cpu--) if (this.states[cpu] !== 'down') await this.cores[cpu]!.shutdown();
  }

  private poke(): void {
    if (this.stepPending) return;
    this.stepPending = true;
    this.shared.schedule(this.stepBound);
  }

  /** One unit of work on one CPU drawn among those that have work. */
  private step(): void {
    this.stepPending = false;
    const candidates: number[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) if (this.hasWork(cpu)) candidates.push(cpu);
    if (candidates.length === 0) return;
    const cpu = candidates.length === 1 ? candidates[0]! : candidates[this.choices.int(candidates.length)]!;
    this.steps[cpu]!++;
    const ready = this.ready[cpu]!;
    const node = this.nodes[cpu];
    const inbound = node?.port.hasWork();
    this.applying = true;
    try {
      // Both kinds of work pending: a coin decides, so neither order is baked in.
      if (inbound && (ready.length === 0 || this.choices.int(2) === 0)) {
        // A pump that finds only frames that must wait (blocked) is a real CPU polling its rings: it
        // takes time. Free, a machine whose CPUs all wait for each other would step for ever at one
        // instant, and nothing that waits for time (a stall's bound, a retry) would come.
        if (node.pump() === 0 && node.port.blocked) this.shared.consume(blockedPumpMs);
      } else {
        ready.shift()!();
      }
      // A pump makes room in rings whose senders may hold frames in their outboxes: move them on now,
      // as a real CPU's loop would, rather than at the next retry timer. A CPU that is not up moves nothing.
      for (let other = 0; other < this.cpus; other++) {
        const otherNode = this.nodes[other];
        if (otherNode !== undefined && this.states[other] === 'up' && otherNode.waitingFrames > 0) otherNode.flushOutboxes();
      }
    } finally {
      this.applying = false;
    }
    if (this.faultsDue.length > 0) this.applyFaultsDue();
    for (let other = 0; other < this.cpus; other++) {
      if (this.hasWork(other)) {
        this.poke();
        break;
      }
    }
  }

  private hasWork(cpu: number): boolean {
    return this.states[cpu] === 'up' && (this.ready[cpu]!.length > 0 || (this.nodes[cpu]?.port.hasWork() ?? false));
  }

  /**
   * Runs `callback`, a timer of incarnation `incarnation` of CPU `cpu`: now if that CPU is up, as
   * its ready work once it is if it is paused (or booting again), never if that incarnation died.
   */
  private fire(cpu: number, incarnation: number, callback: () => void): void {
    if (this.incarnations[cpu] !== incarnation) return;
    if (this.states[cpu] === 'up') callback();
    else this.ready[cpu]!.push(callback);
  }

  private resume(cpu: number): void {
    this.pauses[cpu] = null;
    if (this.states[cpu] !== 'paused') return;
    this.states[cpu] = 'up';
    this.poke();
  }

  private endPause(cpu: number): void {
    const pause = this.pauses[cpu];
    if (pause == null) return;
    this.shared.cancelTimer(pause.timer);
    this.pauses[cpu] = null;
  }

  /**
   * Applies `fault` (a crash or a restart) now, or, while a step or another fault runs or a CPU
   * boots again, as soon as that is over: a CPU dies between steps, and the others are told of
   * one death or restart at a time, as a host tells its workers.
   */
  private whenFree(fault: () => void): void {
    this.faultsDue.push(fault);
    this.applyFaultsDue();
  }

  private applyFaultsDue(): void {
    if (this.applying) return;
    this.applying = true;
    try {
      while (this.faultsDue.length > 0 && this.rebooting === null) this.faultsDue.shift()!();
    } finally {
      this.applying = false;
    }
  }

  private crashNow(cpu: number, why: string, restartAfterMs: number | undefined): void {
    if (this.stopping || this.states[cpu] === 'down') return;
    const node = this.nodes[cpu]!;
    // Its last turn is over: what that turn sent goes out, as a real CPU publishes between turns.
    // Then it is cut off: what its code still does in this thread (a continuation) reaches nobody.
    node.port.publish();
    node.port.sever();
    this.endPause(cpu);
    this.states[cpu] = 'down';
    this.whys[cpu] = why;
    this.incarnations[cpu]!++;
    this.ready[cpu]!.length = 0;
    const { memory } = this.restarts!;
    const live = this.liveCpus(cpu);
    announceCpuDown(memory, cpu, why, live);
    if (restartAfterMs === undefined) {
      for (const other of live) other.cpuGone(cpu, why);
    } else {
      this.restartTimers[cpu] = this.shared.setTimer(restartAfterMs, () => this.whenFree(() => this.restartNow(cpu)));
    }
    this.poke();
  }

  /** Boots CPU `cpu` again, on fresh rings that every live CPU maps first (see announceCpuRestart). */
  private restartNow(cpu: number): void {
    this.restartTimers[cpu] = null;
    if (this.stopping || this.states[cpu] !== 'down') return;
    const { memory, ringBytes, reboot } = this.restarts!;
    announceCpuRestart(memory, cpu, ringBytes, this.liveCpus(cpu));
    // The boot itself runs now; its promise resolves a microtask later, when the CPU joins.
    this.rebooting = reboot(cpu, this.incarnations[cpu]!).then(
      (booted) => this.rejoin(cpu, booted),
      (error: unknown) => this.bootFailed(cpu, error),
    );
  }

  private rejoin(cpu: number, booted: BootedCpu): void {
    this.rebooting = null;
    this.nodes[cpu] = booted.node;
    this.cores[cpu] = booted.core;
    // It booted knowing nothing of the CPUs that are down now: tell it, and which will not come back.
    for (let other = 0; other < this.cpus; other++) {
      if (other === cpu || this.states[other] !== 'down') continue;
      booted.node.cpuDown(other, this.whys[other]!);
      if (this.restartTimers[other] === null) booted.node.cpuGone(other, this.whys[other]!);
    }
    booted.node.port.onOffered = () => this.poke();
    // A simulation's hooks are the machine's: the CPU takes those its peers have (CPU 0's, never down).
    booted.core.mailFaults = this.cores[0]!.mailFaults;
    booted.core.faultPoints = this.cores[0]!.faultPoints;
    this.states[cpu] = 'up';
    this.poke();
    this.applyFaultsDue();
  }

  /** CPU `cpu` could not boot again: it stays down, and the CPUs told it was back learn otherwise. */
  private bootFailed(cpu: number, error: unknown): void {
    this.rebooting = null;
    const why = `it failed to boot again: ${describeError(error)}`;
    this.whys[cpu] = why;
    // Whatever the half-booted kernel scheduled or armed is dropped with it.
    this.incarnations[cpu]!++;
    this.ready[cpu]!.length = 0;
    const live = this.liveCpus(cpu);
    announceCpuDown(this.restarts!.memory, cpu, why, live);
    for (const other of live) other.cpuGone(cpu, why);
    this.applyFaultsDue();
  }

  /**
   * The CPUs but `except` that are not down, in CPU order, as a death or restart is told to them:
   * a paused CPU finds it in its ready work when it resumes, as a frozen worker reads the host's
   * message once it runs again (meanwhile the count of deaths in shared memory refuses its sends).
   */
  private liveCpus(except: number): ToldCpu[] {
    const live: ToldCpu[] = [];
    for (let cpu = 0; cpu < this.cpus; cpu++) {
      const state = this.states[cpu];
      if (cpu === except || state === 'down') continue;
      const node = this.nodes[cpu]!;
      if (state === 'up') {
        live.push(node);
        continue;
      }
      const later = (work: () => void) => this.ready[cpu]!.push(work);
      live.push({
        cpuDown: (down, why) => later(() => node.cpuDown(down, why)),
        cpuUp: (up) => later(() => node.cpuUp(up)),
        cpuGone: (gone, why) => later(() => node.cpuGone(gone, why)),
      });
    }
    return live;
  }
}
