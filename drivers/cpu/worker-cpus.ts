/**
 * Real CPUs: worker threads on a SharedArrayBuffer interconnect. The main thread is CPU 0: it
 * keeps the kernel tree the embedding code talks to, and actors spawned without `cpu` live there, so
 * a tell from embedding code costs no encoding. CPUs 1..N-1 are workers, each with its own kernel
 * and dispatcher, started from `worker-entry.ts`.
 *
 * Each worker CPU is supervised: an actor `kernel.cpu.<n>` under the `sched` supervisor owns it. When
 * the worker dies (an uncaught error, `process.exit`, running out of memory), the other CPUs are told
 * (asks waiting on its actors fail with `CpuDownError`), the actor crashes, and its supervisor
 * restarts it: a new worker on fresh rings, with a new pid generation so old refs never reach new
 * actors, and the actors other CPUs had placed there are spawned again behind their old refs.
 */
import { Worker } from 'node:worker_threads';
import { BehaviorCatalog } from '../../actors/cpu/catalog.js';
import { CpuLoop } from '../../actors/cpu/cpu-loop.js';
import { Doorbell } from '../../actors/cpu/doorbell.js';
import type { ParkingCounters } from '../../actors/ring/wake.js';
import { createInterconnect, replaceRingsOf, type InterconnectMemory } from '../../actors/cpu/interconnect.js';
import { cpuRingBytesDefault } from '../../actors/cpu/limits.js';
import { fromSetup } from '../../actors/runtime/behavior.js';
import type { Cell } from '../../actors/runtime/cell.js';
import { CpuDownError, describeError } from '../../ground/errors.js';
import { Kernel, type BootOptions, type CpuHost } from '../../actors/runtime/kernel.js';
import type { ChildSpec } from '../../supervisors/child-spec.js';
import type { HostToWorker, WorkerKernelOptions, WorkerToHost } from './worker-protocol.js';

/** How long a worker gets to shut its kernel down before it is terminated, in ms. */
const workerShutdownMs = 10_000;
/** The smallest heap bound a worker CPU accepts, in MiB: booting the kernel and its modules needs about half. */
const workerHeapMbMin = 16;
/** Pid generations each restart of a CPU skips, so refs to its dead actors never resolve again. */
const generationsPerIncarnation = 4_096;
const generationSpan = 2 ** 21 - generationsPerIncarnation;

type CpuActorMsg = { readonly type: 'cpu-exited'; readonly why: string };

interface WorkerSlot {
  readonly worker: Worker;
  state: 'booting' | 'up' | 'stopping' | 'down';
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
}

/** Boots `cpus` CPUs: this thread as CPU 0 and `cpus - 1` workers. Returns CPU 0's kernel. */
export async function bootWorkerCpus(options: BootOptions, cpus: number): Promise<Kernel> {
  const catalog = await BehaviorCatalog.load(options.modules ?? []);
  const ringBytes = options.ringBytes ?? cpuRingBytesDefault;
  const memory = createInterconnect(cpus, ringBytes, true);
  const heapMbMax = options.workerHeapMbMax;
  if (heapMbMax !== undefined && !(Number.isInteger(heapMbMax) && heapMbMax >= workerHeapMbMin)) {
    throw new RangeError(`workerHeapMbMax must be a whole number of MiB, at least ${workerHeapMbMin} (a worker CPU needs that much to boot), got ${heapMbMax}`);
  }
  const host = new WorkerCpus(memory, catalog.moduleUrls, ringBytes, workerOptionsOf(options), heapMbMax);
  const kernel = await Kernel.boot({ ...options, interconnect: { cpu: 0, memory, catalog, schedChildren: host.childSpecs() } });
  kernel.cpuHost = host;
  host.startLoop(kernel);
  try {
    await host.allReady();
  } catch (error) {
    await kernel.shutdown();
    throw error;
  }
  return kernel;
}

class WorkerCpus implements CpuHost {
  private readonly slots: (WorkerSlot | null)[];
  private readonly incarnations: number[];
  private loop: CpuLoop | null = null;
  private kernel: Kernel | null = null;

  constructor(
    private readonly memory: InterconnectMemory,
    private readonly modules: readonly string[],
    private readonly ringBytes: number,
    private readonly options: WorkerKernelOptions,
    private readonly heapMbMax: number | undefined,
  ) {
    this.slots = new Array<WorkerSlot | null>(memory.cpus).fill(null);
    this.incarnations = new Array<number>(memory.cpus).fill(0);
  }

  /** The supervised actors that own CPUs 1..N-1, as static children of `sched`. */
  childSpecs(): ChildSpec<never>[] {
    const specs: ChildSpec<never>[] = [];
    for (let cpu = 1; cpu < this.memory.cpus; cpu++) {
      specs.push({ id: `cpu-${cpu}`, start: this.cpuBehavior(cpu) as never, options: { name: `kernel.cpu.${cpu}` }, restart: 'permanent', shutdown: workerShutdownMs + 1_000 });
    }
    return specs;
  }

  startLoop(kernel: Kernel): void {
    this.loop = new CpuLoop(kernel, kernel.node!);
    this.loop.start();
  }

  doorbellCounters(cpu: number): ParkingCounters {
    return new Doorbell(this.memory.doorbells[cpu]!).counters();
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
    return fromSetup<CpuActorMsg>((ctx) => {
      const kernel = (ctx as unknown as Cell).kernel;
      const slot = this.startWorker(kernel, cpu, (why) => ctx.self.tell({ type: 'cpu-exited', why }));
      return {
        receive(message) {
          // Crash, so the supervisor restarts this actor and with it the CPU.
          throw new CpuDownError(cpu, `kernel.cpu.${cpu}`, message.why);
        },
        stopped: () => this.stopWorker(slot),
      };
    }, `cpu-${cpu}`);
  }

  private startWorker(kernel: Kernel, cpu: number, exited: (why: string) => void): WorkerSlot {
    this.kernel = kernel;
    const incarnation = this.incarnations[cpu]!++;
    if (incarnation > 0) this.freshRings(cpu);
    const worker = new Worker(new URL('./worker-entry.js', import.meta.url), {
      workerData: { cpu, memory: this.memory, modules: this.modules, firstGeneration: 1 + ((incarnation * generationsPerIncarnation) % generationSpan), options: this.options },
      ...(this.heapMbMax !== undefined ? { resourceLimits: { maxOldGenerationSizeMb: this.heapMbMax } } : {}),
    });
    let markReady!: () => void;
    let failBoot!: (error: Error) => void;
    let markExited!: () => void;
    const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failBoot = reject)));
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
        failBoot(new Error(`cpu ${cpu} failed to boot: ${message.error}`));
      }
    });
    worker.on('error', (error) => (lastError = error));
    worker.on('exit', (code) => {
      markExited();
      failBoot(new Error(`cpu ${cpu} exited with code ${code} while booting`));
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
    this.kernel?.node?.cpuDown(cpu, why);
    this.broadcast(cpu, { kind: 'cpu-down', cpu, why });
  }

  /** New rings for a restarting CPU, mapped at once by every live CPU. */
  private freshRings(cpu: number): void {
    replaceRingsOf(this.memory, cpu, this.ringBytes);
    new Int32Array(this.memory.doorbells[cpu]!).fill(0);
    this.kernel?.node?.cpuUp(cpu);
    this.broadcast(cpu, { kind: 'cpu-up', cpu, rings: this.memory.rings });
  }

  private broadcast(except: number, message: HostToWorker): void {
    this.slots.forEach((slot, cpu) => {
      if (cpu !== except && slot !== null && (slot.state === 'up' || slot.state === 'booting')) slot.worker.postMessage(message);
    });
  }

  private async stopWorker(slot: WorkerSlot): Promise<void> {
    if (slot.state === 'down') return;
    slot.state = 'stopping';
    slot.worker.postMessage({ kind: 'shutdown' } satisfies HostToWorker);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), workerShutdownMs)));
    const outcome = await Promise.race([slot.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') await slot.worker.terminate();
  }
}

function workerOptionsOf(options: BootOptions): WorkerKernelOptions {
  const { batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, seed, scheduler } = options;
  return Object.fromEntries(Object.entries({ batchMessagesMax, mailboxCapacity, askDeadlineMs, crossCpuOverflow, outboxWaitMs, seed, scheduler }).filter(([, value]) => value !== undefined)) as WorkerKernelOptions;
}
