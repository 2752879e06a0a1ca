/**
 * The main module of a worker CPU: boots a kernel for its CPU on the shared interconnect, imports
 * the boot modules, runs the CPU loop, and follows the host's control messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BehaviorCatalog } from '../../actors/cpu/catalog.js';
import { CpuLoop } from '../../actors/cpu/cpu-loop.js';
import { Kernel } from '../../actors/runtime/kernel.js';
import { describeError } from '../../ground/errors.js';
import type { HostToWorker, WorkerBoot, WorkerToHost } from './worker-protocol.js';

const boot = workerData as WorkerBoot;
const port = parentPort!;
const post = (message: WorkerToHost) => port.postMessage(message);

try {
  const catalog = await BehaviorCatalog.load(boot.modules);
  const kernel = await Kernel.boot({
    ...boot.options,
    mode: 'real',
    interconnect: { cpu: boot.cpu, memory: boot.memory, catalog, firstGeneration: boot.firstGeneration },
  });
  const node = kernel.node!;
  const loop = new CpuLoop(kernel, node);
  port.on('message', (message: HostToWorker) => {
    switch (message.kind) {
      case 'cpu-down':
        node.cpuDown(message.cpu, message.why);
        return;
      case 'cpu-up':
        // The restarted CPU's rings are new buffers: adopt them before mapping.
        message.rings.forEach((ring, index) => (boot.memory.rings[index] = ring));
        node.cpuUp(message.cpu);
        return;
      case 'shutdown':
        void kernel.shutdown().then(async () => {
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
