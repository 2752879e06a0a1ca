/**
 * Status snapshots of other CPUs (`kernel.cpuStatuses()`): a `kernel.status-request` frame, answered
 * with `kernel.status` carrying the far CPU's tree flattened (see remote-status.ts).
 */
import { AskTimeoutError, CpuDownError, describeError, RemoteFailureError } from '../../ground/errors.js';
import { KERNEL_STATUS, KERNEL_STATUS_REQUEST, kernelStatus, kernelStatusRequest } from '../../protocols/runtime.js';
import type { KernelStatus } from '../runtime/status.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { flattenStatus, rebuildStatus, type WireStatus } from './remote-status.js';

export class CpuStatuses {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelStatusRequest, (message, source) => this.requested(source, message.ticket)),
    defineFrameType(kernelStatus, (message, source) => this.answered(source, message.ticket, message.status, message.error)),
  ];
  /** Status requests in flight: ask ticket → the CPU asked. */
  private readonly waiters = new Map<number, number>();

  constructor(private readonly node: CpuNode) {}

  /** CPU `cpu`'s snapshot; rejects if it does not come within `deadlineMs`. */
  statusOf(cpu: number, deadlineMs?: number): Promise<KernelStatus> {
    const node = this.node;
    return new Promise((resolve, reject) => {
      if (node.isDown(cpu)) {
        reject(new CpuDownError(cpu, `kernel.cpu.${cpu}`, 'it is restarting'));
        return;
      }
      const ticket = node.kernel.asks.forward(
        0,
        null,
        (ok, value) => {
          this.waiters.delete(ticket);
          if (ok) resolve(value as KernelStatus);
          else reject(value instanceof AskTimeoutError ? new AskTimeoutError(`kernel.cpu.${cpu}`, KERNEL_STATUS_REQUEST, value.deadlineMs) : value);
        },
        deadlineMs,
      );
      this.waiters.set(ticket, cpu);
      node.send(cpu, { type: KERNEL_STATUS_REQUEST, ticket });
    });
  }

  /** CPU `cpu` died: its answers will not come. */
  cpuDown(cpu: number, why: string): void {
    for (const [ticket, waited] of this.waiters) if (waited === cpu) this.node.kernel.asks.reject(ticket, new CpuDownError(cpu, `kernel.cpu.${cpu}`, why));
  }

  /** CPU `source` asks for our snapshot; one too large for a frame is answered with why. */
  private requested(source: number, ticket: number): void {
    const node = this.node;
    try {
      node.send(source, { type: KERNEL_STATUS, ticket, status: flattenStatus(node.kernel.status()), error: '' });
    } catch (error) {
      node.send(source, { type: KERNEL_STATUS, ticket, status: null, error: describeError(error) });
    }
  }

  private answered(source: number, ticket: number, status: unknown, error: string): void {
    if (this.waiters.get(ticket) !== source) return; // timed out, or not ours
    const asks = this.node.kernel.asks;
    if (error !== '') {
      asks.reject(ticket, new RemoteFailureError('status', `cpu ${source} could not send its status: ${error}`));
      return;
    }
    try {
      asks.resolve(ticket, rebuildStatus(status as WireStatus));
    } catch (thrown) {
      asks.reject(ticket, thrown);
    }
  }
}
