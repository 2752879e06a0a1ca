/**
 * Control messages between the host (CPU 0, the main thread) and worker CPUs, by `postMessage`.
 * Data never takes this path; it goes through the rings. Control is rare: boot, a peer CPU going
 * down or coming back on fresh rings, and shutdown.
 */
import type { InterconnectMemory } from '../interconnect.js';
import type { CrossCpuOverflow } from '../outbox.js';

/** What a worker CPU boots from (its `workerData`). */
export interface WorkerBoot {
  readonly cpu: number;
  readonly memory: InterconnectMemory;
  readonly modules: readonly string[];
  readonly firstGeneration: number;
  /** How many times this CPU was restarted before. */
  readonly incarnation: number;
  /** The bound on its ArrayBuffer memory, in MiB (`workerHeapMbMax`; see buffer-watchdog.ts), if any. */
  readonly bufferMbMax: number | undefined;
  readonly options: WorkerKernelOptions;
}

/** The plain-data boot options a worker's kernel takes from the host's. */
export interface WorkerKernelOptions {
  readonly batchMessagesMax?: number;
  readonly scheduler?: 'fair' | 'fifo';
  readonly mailboxCapacity?: number;
  readonly askDeadlineMs?: number;
  readonly crossCpuOverflow?: CrossCpuOverflow;
  readonly outboxWaitMs?: number;
  readonly outboxBytesMax?: number;
  readonly seed?: number;
  /** The subsystems to boot, in order: each by the module that exports it and its name. */
  readonly subsystems: readonly SubsystemAddress[];
}

/** Where a subsystem is exported, and its options: a worker imports the module and takes the export of that name. */
export interface SubsystemAddress {
  readonly module: string;
  readonly name: string;
  readonly options: unknown;
}

export type HostToWorker =
  | { readonly kind: 'cpu-down'; readonly cpu: number; readonly why: string }
  | { readonly kind: 'cpu-up'; readonly cpu: number; readonly rings: InterconnectMemory['rings'] }
  | { readonly kind: 'shutdown' };

export type WorkerToHost = { readonly kind: 'ready' } | { readonly kind: 'boot-failed'; readonly error: string } | { readonly kind: 'stopped' };
