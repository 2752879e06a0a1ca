/**
 * Names across CPUs: a name taken on any CPU is announced to the others (`kernel.name`), so a
 * lookup on any CPU finds the actor. Names in the `kernel.` namespace belong to each CPU's own
 * system actors and stay home.
 */
import type { Pid } from '../../ground/pid.js';
import { pidCpu } from '../../ground/pid.js';
import { KERNEL_NAME, kernelName } from '../../protocols/runtime.js';
import { Status } from '../runtime/cell.js';
import type { ActorRef } from '../runtime/ref.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';

/** Names that each CPU has its own of (its system actors): never announced to the others. */
const perCpuNamePrefix = 'kernel.';

export class RemoteNames {
  readonly frames: readonly FrameType[] = [defineFrameType(kernelName, (message) => this.noticed(message.name, message.pid, message.registered))];
  /** Names other CPUs' actors hold, as they announced them. */
  private readonly names = new Map<string, Pid>();

  constructor(private readonly node: CpuNode) {}

  /** Local actor `pid` took or gave up `name`: tell every other CPU. */
  nameChanged(name: string, pid: Pid, registered: boolean): void {
    if (name.startsWith(perCpuNamePrefix)) return;
    const node = this.node;
    for (let cpu = 0; cpu < node.cpus; cpu++) if (cpu !== node.cpu) node.send(cpu, { type: KERNEL_NAME, name, pid, registered });
  }

  /** The actor another CPU announced under `name`, if any. */
  lookup(name: string): ActorRef<never> | undefined {
    const pid = this.names.get(name);
    return pid === undefined ? undefined : this.node.kernel.refOf(pid);
  }

  /** CPU `cpu` died: its names died with its actors; its next incarnation announces its own. */
  cpuDown(cpu: number): void {
    for (const [name, pid] of this.names) if (pidCpu(pid) === cpu) this.names.delete(name);
  }

  /** CPU `cpu` is back: tell it the names this CPU's actors hold. */
  cpuUp(cpu: number): void {
    for (const [name, cell] of this.node.kernel.registry) {
      if (cell.isRemote() || cell.status === Status.Stopped || name.startsWith(perCpuNamePrefix)) continue;
      this.node.send(cpu, { type: KERNEL_NAME, name, pid: cell.pid, registered: true });
    }
  }

  private noticed(name: string, pid: Pid, registered: boolean): void {
    // Taken by a CPU that has died since (the frame was still in its ring): the name died with it.
    if (registered && this.node.isDown(pidCpu(pid))) return;
    if (registered) this.names.set(name, pid);
    // A name can move (an actor migrated): only the holder it names gives it up.
    else if (this.names.get(name) === pid) this.names.delete(name);
  }
}
