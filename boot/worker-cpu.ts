/**
 * A worker CPU's life: imports the boot modules and the subsystems' modules, boots the kernel of
 * its CPU on the shared interconnect, runs the CPU loop, and follows the host's control messages
 * (see actors/cpu/hosts/worker-protocol.ts). A function rather than the worker's main module, so
 * the bundled package keeps one copy of the runtime that the worker's boot modules share
 * (build/bundle.ts); boot/worker-entry.ts calls it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from '../ground/errors.js';
import { BehaviorCatalog } from '../actors/cpu/catalog.js';
import { availableCpus } from '../drivers/machine/available-cpus.js';
import { CpuLoop } from '../actors/cpu/cpu-loop.js';
import { spinGrowthFor } from '../actors/cpu/spin-budget.js';
import { CpuNode } from '../actors/cpu/cpu-node.js';
import { countSharedBuffers, watchBufferMemory } from '../actors/cpu/hosts/buffer-watchdog.js';
import type { HostToWorker, SubsystemAddress, WorkerBoot, WorkerToHost } from '../actors/cpu/hosts/worker-protocol.js';
import { type AnySubsystem, configure } from '../actors/plugin/subsystem.js';
import { bootCpu } from './boot-cpu.js';

/** Runs this worker thread as the CPU its `workerData` names; returns once it is booted (or failed to). */
export async function runWorkerCpu(): Promise<void> {
  const boot = workerData as WorkerBoot;
  const port = parentPort!;
  const post = (message: WorkerToHost) => port.postMessage(message);
  // Before the boot modules are imported: what they allocate is counted against the bound.
  const sharedBytes = boot.bufferMbMax === undefined ? () => 0 : countSharedBuffers();

  try {
    const catalog = await BehaviorCatalog.load(boot.modules);
    const { subsystems: addresses, ...options } = boot.options;
    const subsystems = await Promise.all(addresses.map(importSubsystem));
    const { core, node, state } = bootCpu(
      { ...options, mode: 'real' },
      subsystems,
      {
        cpu: boot.cpu,
        memory: boot.memory,
        catalog,
        firstGeneration: boot.firstGeneration,
        incarnation: boot.incarnation,
      },
      CpuNode,
    );
    const routing = node!;
    const loop = new CpuLoop(core, routing, state, { spinGrowthMax: spinGrowthFor(routing.cpus, availableCpus()) });
    const stopWatchdog = boot.bufferMbMax === undefined ? () => {} : watchBufferMemory(core.clock, boot.cpu, boot.bufferMbMax, sharedBytes);
    port.on('message', (message: HostToWorker) => {
      switch (message.kind) {
        case 'cpu-down':
          routing.cpuDown(message.cpu, message.why);
          return;
        case 'cpu-up':
          // The restarted CPU's rings are new buffers: adopt them before mapping.
          message.rings.forEach((ring, index) => (boot.memory.rings[index] = ring));
          routing.cpuUp(message.cpu);
          return;
        case 'shutdown':
          stopWatchdog();
          void core.shutdown().then(async () => {
            await loop.stop();
            post({ kind: 'stopped' });
            port.close();
          });
          return;
      }
    });
    loop.start();
    post({ kind: 'ready' });
  } catch (error) {
    post({ kind: 'boot-failed', error: describeError(error) });
    port.close();
  }
}

/** The subsystem `address` names: the export of its module whose name it is, with the host's options. */
async function importSubsystem(address: SubsystemAddress): Promise<AnySubsystem> {
  const namespace = (await import(address.module)) as Record<string, unknown>;
  for (const value of Object.values(namespace)) {
    const candidate = value as Partial<AnySubsystem> | null;
    if (typeof candidate === 'object' && candidate !== null && candidate.name === address.name && typeof candidate.start === 'function') {
      return configure(candidate as AnySubsystem, address.options);
    }
  }
  throw new TypeError(`subsystem '${address.name}' is not exported by ${address.module}`);
}
