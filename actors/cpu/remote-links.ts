/**
 * Links across CPUs. A local actor that links to a ref of another CPU's actor is linked here to the
 * stand-in, and asks that CPU (`kernel.link`) to link the actor back to a stand-in of the local
 * one; an exit on either side travels as `kernel.exit`, and `kernel.unlink` drops the far half.
 */
import type { Pid } from '../../ground/pid.js';
import { KERNEL_EXIT, KERNEL_LINK, KERNEL_UNLINK, kernelExit, kernelLink, kernelUnlink } from '../../protocols/runtime.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { ExitReason } from '../runtime/signals.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import type { RemoteCell } from './remote-cell.js';
import { exitReasonOf } from './remote-monitors.js';

export class RemoteLinks {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelLink, (message, source) => this.linkFor(source, message.from, message.to)),
    defineFrameType(kernelUnlink, (message) => this.unlinkFor(message.from, message.to)),
    defineFrameType(kernelExit, (message) => this.exitFrom(message.to, message.from, exitReasonOf(message.reason))),
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

  /** `from`, a local actor linked to `cell`, exited; tell the actor's CPU. */
  sendExit(cell: RemoteCell, from: Cell, reason: ExitReason): void {
    this.node.send(cell.cpu, { type: KERNEL_EXIT, to: cell.pid, from: from.pid, reason });
  }

  /** CPU `source` linked its actor `from` to our actor `to`: link `to` back to its stand-in. */
  private linkFor(source: number, from: Pid, to: Pid): void {
    const node = this.node;
    const target = node.kernel.cellOf(to);
    if (target === undefined || target.status === Status.Stopped) {
      node.send(source, { type: KERNEL_EXIT, to: from, from: to, reason: 'noproc' });
      return;
    }
    const linked = node.refs.remoteCell(from);
    // Tracked, so that if `source` dies, `to` gets its exit (see CpuNode.cpuDown).
    node.refs.track(linked);
    node.kernel.lifecycle.link(target, linked);
  }

  /** CPU `source`'s actor `from` unlinked itself from our actor `to`. */
  private unlinkFor(from: Pid, to: Pid): void {
    const target = this.node.kernel.cellOf(to);
    const linked = this.node.refs.known(from);
    if (target === undefined || linked === undefined) return;
    target.extras?.links?.delete(linked);
    linked.extras?.links?.delete(target);
  }

  /** An actor of another CPU linked to our actor `to` exited: as a local link's exit would. */
  private exitFrom(to: Pid, from: Pid, reason: ExitReason): void {
    const target = this.node.kernel.cellOf(to);
    const linked = this.node.refs.known(from);
    // Unlinked since (an exit can cross the unlink in flight), or gone.
    if (target === undefined || linked === undefined || target.extras?.links?.has(linked) !== true) return;
    // A crash leaves the link, as locally: the actor may restart in place and crash again.
    if (reason !== 'crashed') {
      target.extras.links.delete(linked);
      linked.extras?.links?.delete(target);
    }
    target.pushSystem({ kind: 'exit', from: linked, reason, error: undefined });
  }
}
