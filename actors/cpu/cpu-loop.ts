/**
 * The loop of a real CPU (the main thread's or a worker's), driven by the CPU's scheduler state
 * (actors/sched/machine.ts): `running`, it takes what other CPUs sent and runs the actors that woke;
 * `idlePolling`, it polls its doorbell for a bounded time; `parked`, it sleeps on the doorbell until
 * a producer rings it (our IPI: `Atomics.notify` only when the target is parked). The dispatcher
 * moves the same state (`running` when a drain starts, `idlePolling` when it runs dry), so the
 * state `sched.stats` shows is what the CPU does. Local work may run while the loop sleeps (the
 * event loop goes on: a timer, I/O, embedding code); its drain takes the state out of `parked`, the
 * loop sleeps on until a frame comes or its park times out, and then does what the state says. The
 * doorbell's sleep flag, not the state, tells producers whether to notify.
 *
 * Parking uses `waitWhileAsync`, on workers too: a CPU is an event loop with timers, sockets and
 * promises of its actors, and a blocking wait would freeze them all. The price is one event-loop
 * hop per wake-up, paid only after the spin found nothing.
 */
import { assert } from '../../ground/assert.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { wakeIfParked } from '../ring/wake.js';
import type { CpuState } from '../sched/cpu-state.js';
import { busyRoundsPerYield, idleSpinMicrosDefault, parkTimeoutMsDefault, spinPollsPerClockRead } from './limits.js';
import type { CpuNode } from './cpu-node.js';
import { SpinBudget } from './spin-budget.js';

/** How an idle CPU's spin ended: work came, its budget ran out, or it left its core to a CPU it woke. */
type SpinEnd = 'won' | 'spent' | 'yielded';

export interface CpuLoopOptions {
  /**
   * How long a CPU with nothing to do polls its doorbell before it parks, in µs, at least (default
   * `idleSpinMicrosDefault`); the CPU lengthens it while its parks keep ending soon (see SpinBudget).
   */
  readonly spinMicrosMax?: number;
  /**
   * How many times `spinMicrosMax` the spin may grow to while parks keep ending soon (default 1: it
   * stays as it is; see `spinGrowthFor`).
   */
  readonly spinGrowthMax?: number;
  /** Longest park, a safety net (default 1000 ms). */
  readonly parkTimeoutMs?: number;
}

/** What the loop did, for stats and benchmarks. */
export interface CpuLoopCounters {
  pumps: number;
  frames: number;
  spinsWon: number;
  parks: number;
}

export class CpuLoop {
  readonly counters: CpuLoopCounters = { pumps: 0, frames: 0, spinsWon: 0, parks: 0 };
  private running = false;
  private done: Promise<void> = Promise.resolve();
  private readonly spinBudget: SpinBudget;
  private readonly parkTimeoutMs: number;

  constructor(
    private readonly kernel: KernelCore,
    private readonly node: CpuNode,
    /** The CPU's scheduler state: what the loop does next. */
    private readonly state: CpuState,
    options: CpuLoopOptions = {},
  ) {
    const spinMicros = options.spinMicrosMax ?? idleSpinMicrosDefault;
    assert(Number.isFinite(spinMicros) && spinMicros >= 0, 'spinMicrosMax must be a finite, non-negative number');
    this.spinBudget = new SpinBudget(spinMicros / 1000, options.spinGrowthMax ?? 1);
    this.parkTimeoutMs = options.parkTimeoutMs ?? parkTimeoutMsDefault;
    // A busy CPU takes in frames between turns, not only when its drain ends.
    kernel.dispatcher.rings = node.port;
    // This CPU is a thread of a machine whose worker threads keep the process alive until its
    // shutdown: an armed deadline timer holds nothing more open.
    kernel.asks.heldOpenByThreads = true;
    // Code outside the loop (the embedding code on the main thread, actors run by a setImmediate
    // drain) may send while the loop sleeps on the doorbell. To an awake CPU, an answer follows
    // within microseconds, so wake the loop to spin for it instead of paying a cross-thread wake
    // when it comes. To a parked CPU, the answer takes its wake-up first (50 µs or more here),
    // longer than the spin: spinning then only took a core from the CPU that must wake (a parked
    // round trip took 1.7–2.0× as long with it, interleaved on 2 cores), so the loop sleeps on, and
    // a loop about to spin parks instead (see SpinBudget). The sleep flag says whether it sleeps (a
    // drain may have moved the state on meanwhile): one load of this CPU's own doorbell line.
    const header = node.port.doorbell.header;
    node.port.onOffered = (_target, targetWasParked) => {
      if (!targetWasParked) wakeIfParked(header);
      else this.spinBudget.wokeParkedCpu(kernel.clock.now());
    };
  }

  start(): void {
    assert(!this.running, 'the CPU loop is already running');
    this.running = true;
    this.done = this.run();
  }

  /** Stops the loop (waking it if parked); resolves when it has returned. */
  stop(): Promise<void> {
    this.running = false;
    // Ring our own bell: a parked loop wakes, sees `running` false and returns.
    this.node.port.doorbell.ring(this.node.cpu);
    return this.done;
  }

  private async run(): Promise<void> {
    const state = this.state;
    const counters = this.counters;
    let parkFollowsYield = false;
    while (this.running) {
      switch (state.value) {
        case 'running':
          await this.busyRounds();
          break;
        case 'idlePolling': {
          const end = await this.spin();
          if (end === 'won') {
            counters.spinsWon++;
            state.send('sched.work-arrived');
          } else {
            // Every spin that ends without work says whether the park after it (if a drain did not
            // make the CPU run meanwhile) follows a yield.
            parkFollowsYield = end === 'yielded';
            state.send('sched.poll-budget-spent');
          }
          break;
        }
        case 'parked': {
          counters.parks++;
          const parkedAtMs = this.kernel.clock.now();
          await this.node.port.doorbell.parkAsync(this.parkTimeoutMs, this.kernel.clock);
          this.spinBudget.afterPark(this.kernel.clock.now() - parkedAtMs, parkFollowsYield);
          state.send('sched.wake');
          // Woken for frames, the common case: take them in now rather than at the spin's first
          // poll, a microtask and a call later, on code that runs slowly right after a park
          // (docs/measured-limits.md §3i).
          if (this.node.port.hasWork()) state.send('sched.work-arrived');
          break;
        }
      }
    }
    // What the last round sent (the kernel's goodbyes on a shutdown) goes out before the loop ends.
    this.node.port.publish();
  }

  /**
   * Takes in frames and runs the actors they woke, round after round, yielding to the event loop
   * between rounds, until a pump finds nothing: then the CPU goes idle-polling.
   */
  private async busyRounds(): Promise<void> {
    const node = this.node;
    const dispatcher = this.kernel.dispatcher;
    const counters = this.counters;
    for (let rounds = 1; this.running; rounds++) {
      // What the promises settled since the last round sent (an actor's next ask, after the answer
      // this round took in) goes out now, not after the pump finds nothing and the spin begins: a
      // few per cent off an awake round trip.
      if (rounds > 1) node.port.publish();
      const frames = node.pump();
      counters.pumps++;
      // Blocked: a frame waits for room in a mailbox; running the actors makes it.
      if (frames === 0 && !node.port.blocked) break;
      counters.frames += frames;
      // Run the actors those frames woke now, in this turn, rather than a setImmediate later.
      if (dispatcher.runnable > 0) dispatcher.drain();
      node.flushOutboxes();
      if (rounds % busyRoundsPerYield !== 0)
        await null; // let settled promises (asks answered just now) continue
      else await this.macrotask(); // and timers and I/O, every few rounds
    }
    this.state.send('sched.queue-empty');
  }

  /**
   * Polls for work for the spin budget; reads the clock once per `spinPollsPerClockRead`
   * polls. Between two readings it lets settled promises go on (an actor's continuation after an
   * answer, a drain that runs as a microtask) and publishes what they staged: otherwise a frame they
   * send would wait for the end of the spin, and its answer for a park and a wake (measured: a remote
   * ask right after a local one took 60–120 µs instead of 6). Only microtasks: work that waits for
   * the event loop (a timer, a drain after a macrotask) waits for the spin to end, as before.
   */
  private async spin(): Promise<SpinEnd> {
    const port = this.node.port;
    const clock = this.kernel.clock;
    let nowMs = clock.now();
    const endMs = nowMs + this.spinBudget.ms;
    do {
      port.publish();
      if (port.hasWork()) return 'won';
      // Having just woken a parked CPU, and nothing to do, this one leaves it the core (see SpinBudget).
      if (this.spinBudget.yieldNow(nowMs)) return 'yielded';
      for (let polls = 1; polls < spinPollsPerClockRead; polls++) if (port.hasWork()) return 'won';
      await null;
      nowMs = clock.now();
    } while (nowMs < endMs);
    port.publish();
    return 'spent';
  }

  private macrotask(): Promise<void> {
    return new Promise((resolve) => this.kernel.clock.schedule(resolve));
  }
}
