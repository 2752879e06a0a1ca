/**
 * Links across CPUs. A local actor that links to a ref of another CPU's actor is linked here to the
 * stand-in, and asks that CPU (`kernel.link`) to link the actor back to a stand-in of the local
 * one; an exit on either side travels as `kernel.exit`, and `kernel.unlink` drops the far half.
 */
import { type Pid, pidCpu } from '../../ground/pid.js';
import {
  KERNEL_EXIT,
  KERNEL_LINK,
  KERNEL_UNLINK,
  type KernelExit,
  type KernelLink,
  type KernelUnlink,
  kernelExit,
  kernelLink,
  kernelUnlink,
} from '../../protocols/runtime.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { ExitReason } from '../runtime/signals.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { RemoteCell } from './remote-cell.js';
import { exitReasonOf } from './remote-monitors.js';

export class RemoteLinks {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelLink, (message) => this.linkFor(message)),
    defineFrameType(kernelUnlink, (message) => this.unlinkFor(message)),
    defineFrameType(kernelExit, (message) => this.exitFrom(message)),
  ];

  constructor(private readonly node: CpuNode) {}

  /** `local` linked itself to `cell`, an actor of another CPU; that CPU links it back. */
  requestLink(local: Cell, cell: RemoteCell): void {
    const node = this.node;
    if (node.isDown(cell.cpu)) return;
    node.refs.track(cell);
    node.send(cell.cpu, { type: KERNEL_LINK, from: local.pid, to: cell.pid });
  }

  /** `local` unlinked itself from `cell`; that CPU drops its half of the link. */
  requestUnlink(local: Cell, cell: RemoteCell): void {
    this.node.send(cell.cpu, { type: KERNEL_UNLINK, from: local.pid, to: cell.pid });
  }

  /** An exit signal from `from` (a local actor, or null from outside any) for `cell`'s actor: its CPU delivers it. */
  sendExit(cell: RemoteCell, from: Cell | null, reason: ExitReason, linked: boolean): void {
    this.node.send(cell.cpu, { type: KERNEL_EXIT, to: cell.pid, from: from?.pid ?? 0, reason, linked });
  }

  /**
   * The cell that stands for actor `pid` here: its stand-in, or itself when it lives here (a frame
   * passed along a route can come back to its sender's CPU).
   */
  private cellOf(pid: Pid): Cell | undefined {
    return pidCpu(pid) === this.node.cpu ? this.node.kernel.cellOf(pid) : this.node.refs.remoteCell(pid);
  }

  /** As `cellOf`, but only a stand-in this CPU already holds: one it would make now has no links. */
  private knownCellOf(pid: Pid): Cell | undefined {
    return pidCpu(pid) === this.node.cpu ? this.node.kernel.cellOf(pid) : this.node.refs.known(pid);
  }

  /** Actor `from` of another CPU linked itself to our actor `to`: link `to` back to its stand-in. */
  private linkFor(message: KernelLink): void {
    const node = this.node;
    const { from, to } = message;
    const target = node.controlTarget(message);
    if (target === null) return;
    if (target === undefined || target.status === Status.Stopped) {
      // To the linker's CPU: the frame may have come along a route, from another.
      node.send(pidCpu(from), { type: KERNEL_EXIT, to: from, from: to, reason: 'noproc', linked: true });
      return;
    }
    const linked = this.cellOf(from);
    if (linked === undefined) return; // a linker of this CPU that is gone: its exit reached `to` already
    // Tracked, so that if the linker's CPU dies, `to` gets its exit (see CpuNode.cpuDown).
    if (linked instanceof RemoteCell) node.refs.track(linked);
    node.kernel.lifecycle.link(target, linked);
  }

  /** Actor `from` of another CPU unlinked itself from our actor `to`. */
  private unlinkFor(message: KernelUnlink): void {
    const target = this.node.controlTarget(message);
    const linked = this.knownCellOf(message.from);
    if (target == null || linked === undefined) return;
    target.extras?.links?.delete(linked);
    linked.extras?.links?.delete(target);
  }

  /**
   * An exit signal from actor `from` of another CPU for our actor `to`: from a link (the far
   * incarnation ended, so the link ends, as locally), or from `exit(ref, reason)`.
   */
  private exitFrom(message: KernelExit): void {
    const node = this.node;
    const { from, linked } = message;
    const reason = exitReasonOf(message.reason);
    const target = node.controlTarget(message);
    if (target == null) return;
    if (!linked) {
      const sender = from === 0 ? null : (this.cellOf(from) ?? null);
      target.pushSystem({ kind: 'exit', incarnation: target.incarnation, from: sender, reason, error: undefined, output: undefined, linked: false });
      return;
    }
    const sender = this.knownCellOf(from);
    // Unlinked since (an exit can cross the unlink in flight), or gone.
    if (sender === undefined || target.extras?.links?.has(sender) !== true) return;
    target.extras.links.delete(sender);
    sender.extras?.links?.delete(target);
    target.pushSystem({ kind: 'exit', incarnation: target.incarnation, from: sender, reason, error: undefined, output: undefined, linked: true });
  }
}
