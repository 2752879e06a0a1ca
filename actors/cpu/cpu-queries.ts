/**
 * What one CPU asks another about itself:
 * - its status snapshot (`kernel.cpuStatuses()`): a `kernel.status-request` frame, answered with
 *   `kernel.status` carrying the far CPU's tree flattened (see remote-status.ts);
 * - the graph of the machine one of its actors runs, its current state lit
 *   (`kernel.machineGraph(pid)`): a `kernel.machine-request`, answered with `kernel.machine`. A
 *   machine does not cross threads, so its CPU draws it and sends the drawing, which is plain data.
 *
 * Each query is an ask of the kernel's own: it fails when its deadline passes, and at once when the
 * CPU asked goes down.
 */
import { AskTimeoutError, CpuDownError, describeError, RemoteFailureError } from '../../ground/errors.js';
import type { Pid } from '../../ground/pid.js';
import {
  KERNEL_MACHINE,
  KERNEL_MACHINE_REQUEST,
  KERNEL_STATUS,
  KERNEL_STATUS_REQUEST,
  type KernelMachineAnswer,
  type KernelMachineRequest,
  type KernelStatusAnswer,
  type KernelStatusRequest,
  kernelMachine,
  kernelMachineRequest,
  kernelStatus,
  kernelStatusRequest,
} from '../../protocols/runtime.js';
import type { MachineGraph } from '../runtime/machine-graph.js';
import type { KernelStatus } from '../runtime/status.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { flattenStatus, rebuildStatus, type WireStatus } from './remote-status.js';

/** What one CPU asks another: its status, or a machine's graph. */
type QueryKind = 'status' | 'machine';
const requestTypes = { status: KERNEL_STATUS_REQUEST, machine: KERNEL_MACHINE_REQUEST } as const;

export class CpuQueries {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelStatusRequest, (message, source) =>
      this.answer(
        source,
        (): KernelStatusAnswer => ({ type: KERNEL_STATUS, ticket: message.ticket, status: flattenStatus(this.node.kernel.status()), error: '' }),
        (error): KernelStatusAnswer => ({ type: KERNEL_STATUS, ticket: message.ticket, status: null, error }),
      ),
    ),
    defineFrameType(kernelStatus, (message, source) =>
      this.answered(source, message.ticket, 'status', message.error, () => rebuildStatus(message.status as WireStatus)),
    ),
    defineFrameType(kernelMachineRequest, (message, source) =>
      this.answer(
        source,
        (): KernelMachineAnswer => ({
          type: KERNEL_MACHINE,
          ticket: message.ticket,
          graph: this.node.kernel.localMachineGraph(message.pid) ?? null,
          error: '',
        }),
        (error): KernelMachineAnswer => ({ type: KERNEL_MACHINE, ticket: message.ticket, graph: null, error }),
      ),
    ),
    defineFrameType(kernelMachine, (message, source) => this.answered(source, message.ticket, 'machine', message.error, () => message.graph ?? undefined)),
  ];
  /** Queries in flight: ask ticket → the CPU asked and what: only its own kind of answer settles one. */
  private readonly waiters = new Map<number, { readonly cpu: number; readonly what: QueryKind }>();

  constructor(private readonly node: CpuNode) {}

  /** CPU `cpu`'s snapshot; rejects if it does not come within `deadlineMs`. */
  statusOf(cpu: number, deadlineMs?: number): Promise<KernelStatus> {
    return this.query(cpu, 'status', (ticket): KernelStatusRequest => ({ type: KERNEL_STATUS_REQUEST, ticket }), deadlineMs);
  }

  /** The graph of the machine actor `pid` of CPU `cpu` runs, lit where it is; undefined if it runs none. */
  machineGraphOf(cpu: number, pid: Pid, deadlineMs?: number): Promise<MachineGraph | undefined> {
    return this.query(cpu, 'machine', (ticket): KernelMachineRequest => ({ type: KERNEL_MACHINE_REQUEST, ticket, pid }), deadlineMs);
  }

  /** CPU `cpu` died: its answers will not come. */
  cpuDown(cpu: number, why: string): void {
    for (const [ticket, waited] of this.waiters) if (waited.cpu === cpu) this.node.kernel.asks.reject(ticket, new CpuDownError(cpu, `kernel.cpu.${cpu}`, why));
  }

  private query<T>(
    cpu: number,
    what: QueryKind,
    request: (ticket: number) => KernelStatusRequest | KernelMachineRequest,
    deadlineMs: number | undefined,
  ): Promise<T> {
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
          if (ok) resolve(value as T);
          else reject(value instanceof AskTimeoutError ? new AskTimeoutError(`kernel.cpu.${cpu}`, requestTypes[what], value.deadlineMs) : value);
        },
        deadlineMs,
      );
      this.waiters.set(ticket, { cpu, what });
      node.send(cpu, request(ticket));
    });
  }

  /** CPU `source` asks something of this one: an answer that throws, or is too large for a frame, is sent as why instead. */
  private answer(
    source: number,
    build: () => KernelStatusAnswer | KernelMachineAnswer,
    failed: (error: string) => KernelStatusAnswer | KernelMachineAnswer,
  ): void {
    try {
      this.node.send(source, build());
    } catch (error) {
      this.node.send(source, failed(describeError(error)));
    }
  }

  private answered(source: number, ticket: number, what: QueryKind, error: string, value: () => unknown): void {
    const waiter = this.waiters.get(ticket);
    if (waiter?.cpu !== source || waiter.what !== what) return; // timed out, or not ours
    const asks = this.node.kernel.asks;
    if (error !== '') {
      asks.reject(ticket, new RemoteFailureError(what, `cpu ${source} could not send its ${what}: ${error}`));
      return;
    }
    try {
      asks.resolve(ticket, value());
    } catch (thrown) {
      asks.reject(ticket, thrown);
    }
  }
}
