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
    defineFrameType(kernelExit, (message) => this.exitFrom(message.to, message.from, exitReasonOf(message.reason), message.linked)),
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

  /** CPU `source` linked its actor `from` to our actor `to`: link `to` back to its stand-in. */
  private linkFor(source: number, from: Pid, to: Pid): void {
    const node = this.node;
    const target = node.kernel.cellOf(to);
    if (target === undefined || target.status === Status.Stopped) {
      node.send(source, { type: KERNEL_EXIT, to: from, from: to, reason: 'noproc', linked: true });
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

  /**
   * An exit signal from actor `from` of another CPU for our actor `to`: from a link (the far
   * incarnation ended, so the link ends, as locally), or from `exit(ref, reason)`.
   */
  private exitFrom(to: Pid, from: Pid, reason: ExitReason, linked: boolean): void {
    const node = this.node;
    const target = node.kernel.cellOf(to);
    if (target === undefined) return;
    if (!linked) {
      const sender = from === 0 ? null : node.refs.remoteCell(from);
      target.pushSystem({ kind: 'exit', incarnation: target.incarnation, from: sender, reason, error: undefined, output: undefined, linked: false });
      return;
    }
    const sender = node.refs.known(from);
    // Unlinked since (an exit can cross the unlink in flight), or gone.
    if (sender === undefined || target.extras?.links?.has(sender) !== true) return;
    target.extras.links.delete(sender);
    sender.extras?.links?.delete(target);
    target.pushSystem({ kind: 'exit', incarnation: target.incarnation, from: sender, reason, error: undefined, output: undefined, linked: true });
  }
}
