/**
 * Simulated CPUs: N kernels in one thread over the same ring code (ArrayBuffers instead of
 * SharedArrayBuffers), on one virtual clock. Which CPU steps next is drawn from the seeded random
 * driver (stream `cpu/step`), so a seed fixes the interleaving and with it the whole event stream.
 *
 * A step is one unit of a CPU's work: a pump of its inbound rings, or one piece of its ready work
 * (usually a dispatcher drain). Nothing parks: a CPU with work is a candidate for the next step.
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
import { BehaviorCatalog, type ModuleList } from '../catalog.js';
import { Doorbell } from '../doorbell.js';
import { createInterconnect } from '../interconnect.js';
import type { CpuNode } from '../cpu-node.js';
import type { BootCpu, BootedCpu, CpuHost } from './cpu-host.js';

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
  for (let cpu = 0; cpu < cpus; cpu++) {
    // CPU 0 keeps the root stream, so a one-CPU and a many-CPU kernel draw alike on CPU 0.
    const clock = options.cpuClock?.(cpu, machine.clockOf(cpu)) ?? machine.clockOf(cpu);
    booted.push(await bootCpu({ cpu, memory, catalog, clock, random: cpu === 0 ? random : random.stream(`cpu/${cpu}`) }));
  }
  machine.attach(booted.map((entry) => entry.node));
  const kernels = booted.map((entry) => entry.core);
  const host: CpuHost = {
    cpus,
    doorbellCounters: (cpu) => new Doorbell(memory.doorbells[cpu]!).counters(),
    shutdown: async () => {
      for (const kernel of kernels.slice(1).reverse()) await kernel.shutdown();
    },
  };
  booted[0]!.core.otherCpus = host;
  return { first: booted[0]!, host };
}

/** Steps N CPUs in a seeded order on one virtual clock. */
class SimulatedMachine {
  private readonly ready: (() => void)[][] = [];
  private nodes: CpuNode[] = [];
  private stepPending = false;
  private readonly stepBound = () => this.step();
  /** Steps taken, by CPU (for tests and stats). */
  readonly steps: number[];

  constructor(
    private readonly shared: SimulatedClock,
    private readonly choices: Random,
    readonly cpus: number,
  ) {
    for (let cpu = 0; cpu < cpus; cpu++) this.ready.push([]);
    this.steps = new Array<number>(cpus).fill(0);
  }

  attach(nodes: CpuNode[]): void {
    this.nodes = nodes;
    for (const node of nodes) node.port.onOffered = () => this.poke();
    this.poke();
  }

  clockOf(cpu: number): SimulatedClock {
    const shared = this.shared;
    const ready = this.ready[cpu]!;
    const poke = () => this.poke();
    const clock: SimulatedClock & Clock = {
      kind: 'simulated',
      now: () => shared.now(),
      setTimer: (delayMs: number, callback: () => void): TimerHandle => shared.setTimer(delayMs, callback),
      cancelTimer: (handle: TimerHandle) => shared.cancelTimer(handle),
      schedule: (callback: () => void) => {
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
    // as a real CPU's loop would, rather than at the next retry timer.
    for (const other of this.nodes) if (other.waitingFrames > 0) other.flushOutboxes();
    for (let other = 0; other < this.cpus; other++) {
      if (this.hasWork(other)) {
        this.poke();
        break;
      }
    }
  }

  private hasWork(cpu: number): boolean {
    return this.ready[cpu]!.length > 0 || (this.nodes[cpu]?.port.hasWork() ?? false);
  }
}
