/**
 * Monitors across CPUs. A local actor that monitors a ref of another CPU's actor asks that CPU once
 * per ref (`kernel.monitor`); there a RemoteWatcher watches the actor on this CPU's behalf and
 * turns its `down` signal into a `kernel.down` frame, and here the stand-in gives the signal to each
 * local watcher. `kernel.down` also tells the CPU that placed an actor that it stopped.
 */
import type { Pid } from '../../ground/pid.js';
import { KERNEL_DOWN, KERNEL_MONITOR, kernelDown, kernelMonitor } from '../../protocols/runtime.js';
import type { Cell } from '../runtime/cell.js';
import type { ExitReason } from '../runtime/signals.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { RemoteCell } from './remote-cell.js';
import { type DownReporter, RemoteWatcher } from './remote-watcher.js';

export class RemoteMonitors implements DownReporter {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelMonitor, (message, source) => this.monitorFor(source, message.pid)),
    defineFrameType(kernelDown, (message, source) => {
      const reason = exitReasonOf(message.reason);
      if (!message.gone) {
        // The incarnation ended but the actor awaits a restart in place: its monitors fire, its ref lives.
        this.node.refs.known(message.pid)?.notifyDown(reason);
        return;
      }
      this.node.placements.stoppedOn(source, message.pid, reason);
      this.node.refs.gone(message.pid, reason);
    }),
  ];
  /** Watchers standing in for other CPUs' monitors of our actors, by `watcherKey`. */
  private readonly watchers = new Map<string, RemoteWatcher>();

  constructor(private readonly node: CpuNode) {}

  /** Local actors monitor `cell`; ask its CPU to report the actor's stop. */
  requestMonitor(cell: RemoteCell): void {
    const node = this.node;
    if (node.isDown(cell.cpu)) return; // cpuDown has told the watchers already
    node.refs.track(cell);
    node.send(cell.cpu, { type: KERNEL_MONITOR, pid: cell.pid });
  }

  /** RemoteWatcher: the incarnation CPU `cpu` monitors as `pid` ended (`gone`: the actor stopped for good). */
  reportDown(cpu: number, pid: Pid, reason: ExitReason, gone: boolean, watcher: RemoteWatcher): void {
    const key = watcherKey(cpu, pid);
    if (gone && this.watchers.get(key) === watcher) this.watchers.delete(key);
    this.sendDown(cpu, pid, reason, gone);
  }

  /** Tells CPU `cpu` that the incarnation of our actor it knows as `pid` ended, and why (`kernel.down`). */
  sendDown(cpu: number, pid: Pid, reason: ExitReason, gone = true): void {
    this.node.send(cpu, { type: KERNEL_DOWN, watcher: 0, pid, reason, gone });
  }

  /** CPU `cpu` went away: nobody there watches our actors any more. */
  cpuDown(cpu: number): void {
    for (const [key, watcher] of this.watchers) {
      if (watcher.sourceCpu !== cpu) continue;
      watcher.detach();
      this.watchers.delete(key);
    }
  }

  /** CPU `source` monitors our actor `pid` (as it knows it): watch it on that CPU's behalf. */
  private monitorFor(source: number, pid: Pid): void {
    const node = this.node;
    const key = watcherKey(source, pid);
    if (this.watchers.has(key)) return;
    const target: Cell | undefined = node.localCell(pid);
    if (target === undefined) {
      this.sendDown(source, pid, 'noproc');
      return;
    }
    const watcher = new RemoteWatcher(node.kernel, this, source, pid, target);
    this.watchers.set(key, watcher);
    // An actor that moved on is watched where it went, through its stand-in here.
    watcher.ownMonitor = node.kernel.lifecycle.monitor(watcher, target);
    if (target instanceof RemoteCell && target.extras?.watchers?.size === 1 && target.pid !== 0) this.requestMonitor(target);
  }
}

/** The exit reason a `kernel.down`, `kernel.exit` or `kernel.stop` frame carries: plain data, as the codec decoded it. */
export function exitReasonOf(reason: unknown): ExitReason {
  return reason === undefined ? 'noproc' : (reason as ExitReason);
}

function watcherKey(cpu: number, pid: Pid): string {
  return `${cpu}:${pid}`;
}
