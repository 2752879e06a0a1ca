/**
 * The stand-ins (RemoteCell) of actors of other CPUs that this CPU holds: one per pid while cached,
 * the ones local actors monitor or link to (tracked, so that the actor's stop or its CPU's death
 * reaches them). Where mail to actors that moved goes is forwarding.ts's.
 */
import { invariantBroken } from '../../ground/assert.js';
import { pidCpu, type Pid } from '../../ground/pid.js';
import type { Cell } from '../runtime/cell.js';
import type { ActorRef } from '../runtime/ref.js';
import type { ExitReason } from '../runtime/signals.js';
import type { CpuNode } from './cpu-node.js';
import { remoteRefCacheMax } from './limits.js';
import { RemoteCell } from './remote-cell.js';

export class RemoteRefs {
  /** One stand-in per pid of another CPU, so refs to one remote actor are one object; cleared when full. */
  private readonly cache = new Map<Pid, RemoteCell>();
  /** Stand-ins that local actors monitor or link to, by pid. */
  private readonly tracked = new Map<Pid, RemoteCell>();

  constructor(private readonly node: CpuNode) {}

  /** The stand-in for `pid`, an actor of another CPU (one object per pid while cached). */
  remoteCell(pid: Pid): RemoteCell {
    const node = this.node;
    const cpu = pidCpu(pid);
    if (!(cpu !== node.cpu && cpu < node.cpus)) invariantBroken(`pid of cpu ${cpu} is not remote to cpu ${node.cpu} of ${node.cpus}`);
    let cell = this.cache.get(pid);
    if (cell === undefined) {
      if (this.cache.size >= remoteRefCacheMax) this.cache.clear();
      cell = new RemoteCell(node.kernel, node, pid, cpu, 'remote', undefined);
      this.cache.set(pid, cell);
    }
    return cell;
  }

  /**
   * The ref a ref that arrived in a message stands for: the actor's own where it lives here, a
   * remote ref otherwise, or, for an actor of this CPU that is gone, a ref whose messages are dead
   * letters (a stopped stand-in: nothing else answers to that pid any more).
   */
  refFor(pid: Pid): ActorRef<never> {
    return this.node.kernel.refOf(pid) ?? (this.stoppedStandIn(pid).ref as ActorRef<never>);
  }

  /** A stand-in for `pid`, which nothing here answers to any more: what it is sent is a dead letter naming it. */
  stoppedStandIn(pid: Pid): RemoteCell {
    const gone = new RemoteCell(this.node.kernel, this.node, pid, this.node.cpu, 'gone', undefined);
    gone.markStopped();
    return gone;
  }

  /** A spawn on another CPU was answered: `cell` now stands for `pid`. */
  spawned(pid: Pid, cell: RemoteCell): void {
    this.cache.set(pid, cell);
  }

  /** Local actors monitor or link to `cell`: keep it, so the actor's stop or its CPU's death reaches them. */
  track(cell: RemoteCell): void {
    this.tracked.set(cell.pid, cell);
  }

  /** The stand-in this CPU holds for `pid`, if any. */
  known(pid: Pid): RemoteCell | undefined {
    return this.cache.get(pid) ?? this.tracked.get(pid);
  }

  /** The actor `pid` is gone (its CPU told us why): its stand-in stops, and nothing is forwarded to it. */
  gone(pid: Pid, reason: ExitReason): void {
    const cell = this.known(pid);
    cell?.markStopped(reason);
    this.cache.delete(pid);
    this.tracked.delete(pid);
    if (cell !== undefined) this.node.forwarding.gone(cell);
  }

  /**
   * CPU `cpu` died: its actors died with it. Each local actor linked to one gets an exit, reason
   * `killed`, and watchers get `down`, except for the actors this CPU placed there (`placed`):
   * their refs stay valid, since they restart with their CPU.
   */
  cpuDown(cpu: number, placed: (cell: Cell) => boolean): void {
    for (const [pid, cell] of [...this.cache, ...this.tracked]) {
      if (cell.cpu !== cpu) continue;
      this.cache.delete(pid);
      this.tracked.delete(pid);
      cell.exitLinks('killed');
      if (!placed(cell)) cell.markStopped('killed');
    }
  }
}
