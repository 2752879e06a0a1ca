/**
 * Monitors across CPUs, on the watched actor's side. When CPU S asks to monitor actor `pid` of this
 * CPU (`kernel.monitor`), this CPU monitors the actor on S's behalf with a RemoteWatcher: a stand-in
 * watcher that turns the `down` signal into a `kernel.down` frame to S. S then gives the signal to
 * each of its actors that monitor that ref (see RemoteCell.notifyDown).
 *
 * Being an ordinary watcher, it is told exactly when a local one would be, keeps its target from
 * migrating (a monitored actor does not move, see actors/sched/migration.ts), and one frame serves
 * every watcher on S, since S asks once per ref.
 */
import { InvariantError } from '../../ground/errors.js';
import { fromReceive } from '../runtime/behavior.js';
import { Cell, Status } from '../runtime/cell.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { Pid } from '../../ground/pid.js';
import type { ExitReason } from '../runtime/signals.js';
import type { MonitorRef } from '../runtime/monitor.js';
import type { SystemItem } from '../runtime/system-lane.js';

/** What a RemoteWatcher reports through; implemented by CpuNode. */
export interface DownReporter {
  /** Tells CPU `cpu` that the incarnation of the actor it knows as `pid` ended, and why; `gone` if it stopped for good. */
  reportDown(cpu: number, pid: Pid, reason: ExitReason, gone: boolean, watcher: RemoteWatcher): void;
}

const watcherBehavior = fromReceive(() => {
  throw new InvariantError('a remote watcher never runs a behaviour');
}, 'remote-watcher');

export class RemoteWatcher extends Cell {
  /** Its monitor of `target` (set right after construction). */
  ownMonitor: MonitorRef | null = null;

  constructor(
    kernel: KernelCore,
    private readonly reporter: DownReporter,
    /** The CPU whose actors watch. */
    readonly sourceCpu: number,
    /** The pid that CPU watches (the actor's pid there, even if it has moved on since). */
    readonly watchedPid: Pid,
    /** The cell it watches here: the actor itself, or the remote stand-in of an actor that moved on. */
    readonly target: Cell,
  ) {
    super(kernel, 0, watcherBehavior, undefined, null);
    this.status = Status.Running;
  }

  override describe(): string {
    return `the watchers of ${this.watchedPid} on cpu ${this.sourceCpu}`;
  }

  /**
   * The lifecycle's way of telling a watcher: only `down` signals come here. A target that is not
   * stopped died and awaits its restart in place: the far ref stays valid, and this watcher goes on
   * watching, so that the far CPU also hears when the actor is gone for good (and lets its stand-in go).
   */
  override pushSystem(item: SystemItem): void {
    if (this.status === Status.Stopped || item.kind !== 'signal' || item.signal.type !== 'down') return;
    const gone = this.target.status === Status.Stopped;
    if (gone) this.status = Status.Stopped;
    else this.ownMonitor = this.kernel.lifecycle.monitor(this, this.target);
    this.reporter.reportDown(this.sourceCpu, this.watchedPid, item.signal.reason, gone, this);
  }

  /** Its CPU went away: stop watching without a word. */
  detach(): void {
    this.status = Status.Stopped;
    if (this.ownMonitor !== null) this.kernel.lifecycle.demonitor(this.ownMonitor);
  }
}
