/**
 * Stately compatibility: a kernel's actors as xstate's inspection events, so that the tools built
 * for them (`@statelyai/inspect`'s WebSocket and browser inspectors, or any `inspect` observer)
 * show Osprey actors. Machine actors publish what xstate's `createActor(machine, { inspect })`
 * would: `@xstate.actor` when they start (with their machine, which Stately draws), `@xstate.event`
 * for each event and `@xstate.snapshot` after each step. Other actors go through the inspector's
 * manual API, from the kernel's event stream: each is an actor when it spawns, each message it
 * takes an event (by its type), and its end a snapshot with status `stopped`.
 *
 * Machine actors publish xstate's own events on the CPUs of the thread it runs in (all of a simulated
 * machine's, CPU 0 of a real one); on worker CPUs they go through the manual API like the rest. An
 * actor that ends, machine or not, gets a snapshot with status `stopped`. An inspector that throws
 * is ignored rather than let break a machine's step.
 *
 * @example
 * ```ts
 * import { createWebSocketInspector } from '@statelyai/inspect';
 * const stately = createWebSocketInspector({ url: 'ws://localhost:8080' });
 * const publishing = publishInspection(kernel, stately);
 * // …
 * publishing.stop();
 * ```
 */
import type { InspectionEvent } from 'xstate';
import type { KernelEvent } from '../actors/runtime/events.js';
import type { KernelCore } from '../actors/runtime/kernel-core.js';
import { formatPid, pidCpu } from '../ground/pid.js';

/** What is published to: a Stately inspector fits (its `inspect` observer and its manual API). */
export interface InspectionTarget {
  readonly inspect: { readonly next?: (event: InspectionEvent) => void };
  actor(actor: ManualActor, snapshot?: { readonly status?: string; readonly value?: unknown }): void;
  event(actor: string, event: { readonly type: string }, info?: { readonly source?: string }): void;
  snapshot(actor: string, snapshot: { readonly status?: string; readonly value?: unknown }, info?: { readonly event?: { readonly type: string } }): void;
}

/**
 * An actor as the manual API takes it (xstate's `ActorRefLike`): its pid as session id, its name as
 * its definition's id, its parent. Sending to it from the inspector does nothing.
 */
export interface ManualActor {
  readonly sessionId: string;
  readonly logic: { readonly config: { readonly id: string } };
  readonly _parent: ManualActor | undefined;
  send(event: unknown): void;
  getSnapshot(): { readonly status: string };
}

/** What it needs of a kernel: its event stream, and the kernels of the CPUs of its thread. */
export interface PublishingKernel {
  readonly events: { subscribe(observer: (event: KernelEvent) => void): { unsubscribe(): void } };
  threadKernels(): readonly { readonly core: KernelCore }[];
}

/** Publishes `kernel`'s actors to `target` until `stop()`. */
export function publishInspection(kernel: PublishingKernel, target: InspectionTarget): { stop(): void } {
  const cores = kernel.threadKernels().map((cpu) => cpu.core);
  const hookedCpus = new Set(cores.map((core) => core.cpu));
  const observer = {
    next(event: InspectionEvent) {
      // An inspector that throws must not break the machine's step.
      try {
        target.inspect.next?.(event);
      } catch {}
    },
  };
  for (const core of cores) core.xstateInspection = observer;
  // Machine actors of this thread publish their own, richer events; the rest go through the manual API.
  const plain = new Set<number>();
  const machines = new Set<number>();
  const subscription = kernel.events.subscribe((event) => {
    switch (event.kind) {
      case 'spawn':
        if (event.label.startsWith('machine:') && hookedCpus.has(pidCpu(event.pid))) return void machines.add(event.pid);
        plain.add(event.pid);
        target.actor(manualActor(formatPid(event.pid), event.name ?? event.label, manualActor(formatPid(event.parent), '', undefined)), { status: 'active' });
        return;
      case 'receive':
        if (plain.has(event.pid)) target.event(formatPid(event.pid), { type: event.messageType });
        return;
      case 'stop':
        if (plain.delete(event.pid) || machines.delete(event.pid)) target.snapshot(formatPid(event.pid), { status: 'stopped' });
        return;
    }
  });
  return {
    stop() {
      subscription.unsubscribe();
      for (const core of cores) if (core.xstateInspection === observer) core.xstateInspection = null;
    },
  };
}

function manualActor(sessionId: string, name: string, parent: ManualActor | undefined): ManualActor {
  return { sessionId, logic: { config: { id: name } }, _parent: parent, send: () => {}, getSnapshot: () => ({ status: 'active' }) };
}
