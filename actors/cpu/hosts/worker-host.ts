/**
 * Real CPUs: worker threads on a SharedArrayBuffer interconnect. The main thread is CPU 0: it
 * keeps the kernel tree the embedding code talks to, and actors spawned without `cpu` live there, so
 * a tell from embedding code costs no encoding. CPUs 1..N-1 are workers, each with its own kernel
 * and dispatcher, started from the entry module the boot layer names (boot/worker-entry.ts).
 *
 * Each worker CPU is supervised: an actor `kernel.cpu.<n>` under the `kernel.cpus` supervisor owns it. When
 * the worker dies (an uncaught error, `process.exit`, running out of memory), the other CPUs are told
 * (asks waiting on its actors fail with `CpuDownError`), the actor crashes, and its supervisor
 * restarts it: a new worker on fresh rings, with a new pid generation so old refs never reach new
 * actors, and the actors other CPUs had placed there are spawned again behind their old refs.
 */
import { Worker } from 'node:worker_threads';
import { CpuBootError, CpuDownError, describeError } from '../../../ground/errors.js';
import type { TimerHandle } from '../../../drivers/clock/clock.js';
import type { ParkingCounters } from '../../ring/wake.js';
import { fromSystem } from '../../runtime/system-context.js';
import type { ChildSpec } from '../../../supervisors/child-spec.js';
import { BehaviorCatalog, type ModuleList } from '../catalog.js';
import { availableCpus } from '../../../drivers/machine/available-cpus.js';
import { CpuLoop } from '../cpu-loop.js';
import { spinGrowthFor } from '../spin-budget.js';
import { Doorbell } from '../doorbell.js';
import { createInterconnect, type InterconnectMemory } from '../interconnect.js';
import { announceCpuDown, announceCpuRestart, firstGenerationOf, type LiveCpu } from './cpu-deaths.js';
import type { BootCpu, BootedCpu, CpuHost, CpuRunState } from './cpu-host.js';
import type { HostToWorker, WorkerKernelOptions, WorkerToHost } from './worker-protocol.js';

/** How long a worker gets to shut its kernel down before it is terminated, in ms. */
const workerShutdownMs = 10_000;
/** The smallest heap bound a worker CPU accepts, in MiB: booting the kernel and its modules needs about half. */
export const workerHeapMbMin = 16;

type CpuActorMsg = { readonly type: 'cpu-exited'; readonly why: string };

interface WorkerSlot {
  readonly worker: Worker;
  state: 'booting' | 'up' | 'stopping' | 'down';
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

/** What worker CPUs are started with. */
export interface WorkerCpusOptions {
  readonly cpus: number;
  readonly modules: ModuleList;
  /** Data bytes of each ring between two CPUs. */
  readonly ringBytes: number;
  /** Heap bound of each worker, in MiB (undefined: Node's own). */
  readonly heapMbMax: number | undefined;
  /** The worker's main module: it boots its CPU's kernel from the `WorkerBoot` it is given. */
  readonly entry: URL;
  /** The plain-data kernel options every worker boots with. */
  readonly kernelOptions: WorkerKernelOptions;
}

/**
 * Boots this thread as CPU 0 (with `bootCpu`) and `cpus - 1` worker threads; resolves once every
 * worker is up. Returns CPU 0 and the host of the workers, whose loop runs from now on.
 */
export async function startWorkerCpus(options: WorkerCpusOptions, bootCpu: BootCpu): Promise<{ readonly first: BootedCpu; readonly host: CpuHost }> {
  const heapMbMax = options.heapMbMax;
  if (heapMbMax !== undefined && !(Number.isInteger(heapMbMax) && heapMbMax >= workerHeapMbMin)) {
    throw new RangeError(`workerHeapMbMax must be a whole number of MiB, at least ${workerHeapMbMin} (a worker CPU needs that much to boot), got ${heapMbMax}`);
  }
  const catalog = await BehaviorCatalog.load(options.modules);
  const memory = createInterconnect(options.cpus, options.ringBytes, true);
  const host = new WorkerCpus(memory, catalog.moduleUrls, options);
  const first = await bootCpu({ cpu: 0, memory, catalog, cpuChildren: host.childSpecs() });
  host.attach(first);
  try {
    await host.allReady();
  } catch (error) {
    await first.core.shutdown();
    throw error;
  }
  return { first, host };
}

class WorkerCpus implements CpuHost {
  private readonly slots: (WorkerSlot | null)[];
  private readonly incarnations: number[];
  private loop: CpuLoop | null = null;
  private first: BootedCpu | null = null;

  constructor(
    private readonly memory: InterconnectMemory,
    private readonly moduleUrls: readonly string[],
    private readonly options: WorkerCpusOptions,
  ) {
    this.slots = new Array<WorkerSlot | null>(memory.cpus).fill(null);
    this.incarnations = new Array<number>(memory.cpus).fill(0);
  }

  get cpus(): number {
    return this.memory.cpus;
  }

  /** The supervised actors that own CPUs 1..N-1, static children of the `kernel.cpus` supervisor. */
  childSpecs(): ChildSpec<never>[] {
    const specs: ChildSpec<never>[] = [];
    for (let cpu = 1; cpu < this.memory.cpus; cpu++) {
      specs.push({
        id: `cpu-${cpu}`,
        start: this.cpuBehavior(cpu) as never,
        options: { name: `kernel.cpu.${cpu}` },
        restart: 'permanent',
        shutdown: workerShutdownMs + 1_000,
      });
    }
    return specs;
  }

  /** CPU 0 is up: run its loop (the workers' own loops run in their threads). */
  attach(first: BootedCpu): void {
    this.first = first;
    first.core.otherCpus = this;
    // Its idle spin may grow only where every CPU has a core (see SpinBudget), as the workers' may.
    this.loop = new CpuLoop(first.core, first.node, first.state, { spinGrowthMax: spinGrowthFor(first.node.cpus, availableCpus()) });
    this.loop.start();
  }

  doorbellCounters(cpu: number): ParkingCounters {
    return new Doorbell(this.memory.doorbells[cpu]!).counters();
  }

  /** CPU 0 (this thread) is up; a worker is up once booted, until it has exited (a restart boots a new one). */
  cpuStates(): readonly CpuRunState[] {
    return this.slots.map((slot, cpu) => (cpu === 0 || slot?.state === 'up' || slot?.state === 'stopping' ? 'up' : 'down'));
  }

  async allReady(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot?.ready));
  }

  async shutdown(): Promise<void> {
    // The tree has stopped by now, and with it the actors that own the workers; catch stragglers.
    await Promise.all(this.slots.map((slot) => (slot !== null && slot.state !== 'down' ? this.stopWorker(slot) : undefined)));
    await this.loop?.stop();
  }

  private cpuBehavior(cpu: number) {
    return fromSystem<CpuActorMsg>((ctx) => {
      const slot = this.startWorker(cpu, (why) => ctx.self.tell({ type: 'cpu-exited', why }));
      return {
        receive(message) {
          // Crash, so the supervisor restarts this actor and with it the CPU.
          throw new CpuDownError(cpu, `kernel.cpu.${cpu}`, message.why);
        },
        stopped: () => this.stopWorker(slot),
      };
    }, `cpu-${cpu}`);
  }

  private startWorker(cpu: number, exited: (why: string) => void): WorkerSlot {
    const incarnation = this.incarnations[cpu]!++;
    if (incarnation > 0) this.freshRings(cpu);
    const heapMbMax = this.options.heapMbMax;
    const worker = new Worker(this.options.entry, {
      workerData: {
        cpu,
        memory: this.memory,
        modules: this.moduleUrls,
        firstGeneration: firstGenerationOf(incarnation),
        incarnation,
        bufferMbMax: heapMbMax,
        options: this.options.kernelOptions,
      },
      ...(heapMbMax !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: heapMbMax } } : {}),
    });
    let markReady!: () => void;
    let failBoot!: (error: Error) => void;
    let markExited!: () => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failBoot = reject;
    });
    const exitedPromise = new Promise<void>((resolve) => (markExited = resolve));
    // A boot failure is reported through `ready`; keep it from being an unhandled rejection too.
    ready.catch(() => {});
    const slot: WorkerSlot = { worker, state: 'booting', ready, exited: exitedPromise };
    this.slots[cpu] = slot;
    let lastError: unknown = undefined;
    worker.on('message', (message: WorkerToHost) => {
      if (message.kind === 'ready') {
        if (slot.state === 'booting') slot.state = 'up';
        markReady();
      } else if (message.kind === 'boot-failed') {
        failBoot(new CpuBootError(cpu, message.error));
      }
    });
    worker.on('error', (error) => (lastError = error));
    worker.on('exit', (code) => {
      markExited();
      failBoot(new CpuBootError(cpu, `its worker exited with code ${code} while booting`));
      if (slot.state === 'stopping' || slot.state === 'down') {
        slot.state = 'down';
        return;
      }
      slot.state = 'down';
      const why = lastError !== undefined ? describeError(lastError) : `its worker exited with code ${code}`;
      this.cpuDown(cpu, why);
      exited(why);
    });
    return slot;
  }

  /** Tells every live CPU that `cpu` is gone. */
  private cpuDown(cpu: number, why: string): void {
    announceCpuDown(this.memory, cpu, why, this.liveCpus(cpu));
  }

  /** New rings for a restarting CPU, mapped at once by every live CPU. */
  private freshRings(cpu: number): void {
    announceCpuRestart(this.memory, cpu, this.options.ringBytes, this.liveCpus(cpu));
  }

  /** The CPUs but `except` that live, in CPU order: this thread's routing core, then each worker by message. */
  private liveCpus(except: number): LiveCpu[] {
    const live: LiveCpu[] = this.first === null ? [] : [this.first.node];
    this.slots.forEach((slot, cpu) => {
      if (cpu === except || slot === null || !(slot.state === 'up' || slot.state === 'booting')) return;
      const post = (message: HostToWorker) => slot.worker.postMessage(message);
      live.push({
        cpuDown: (down, why) => post({ kind: 'cpu-down', cpu: down, why }),
        // The restarted CPU's rings are new buffers: the worker adopts them before mapping.
        cpuUp: (up) => post({ kind: 'cpu-up', cpu: up, rings: this.memory.rings }),
      });
    });
    return live;
  }

  private async stopWorker(slot: WorkerSlot): Promise<void> {
    if (slot.state === 'down') return;
    slot.state = 'stopping';
    slot.worker.postMessage({ kind: 'shutdown' } satisfies HostToWorker);
    // CPU 0's clock (a real one: worker CPUs exist only in real mode) bounds the wait.
    const clock = this.first!.core.clock;
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = clock.setTimer(workerShutdownMs, () => resolve('timeout'))));
    const outcome = await Promise.race([slot.exited, timedOut]);
    clock.cancelTimer(timer!);
    if (outcome === 'timeout') await slot.worker.terminate();
  }
}
