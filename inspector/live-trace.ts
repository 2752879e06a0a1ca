/**
 * A trace of a live kernel, real or simulated: started, it records the kernel's events (of every
 * CPU) into a `TraceRecorder`; stopped, it returns the Chrome trace, which `serializeTrace` makes the
 * file Perfetto opens. While it runs the kernel traces its events, which costs what a subscriber
 * costs; before and after, one branch per event.
 *
 * @example
 * ```ts
 * const trace = startTrace(kernel);
 * await doTheWork();
 * await trace.write('run.trace.json'); // stops, and writes the file
 * ```
 */
import type { KernelEvent } from '../actors/runtime/events.js';
import type { ActorStatus, KernelStatus } from '../actors/runtime/status.js';
import { parsePid } from '../ground/pid.js';
import { writeTextFile } from '../drivers/files/write-text.js';
import { type ChromeTrace, serializeTrace, TraceRecorder, type TraceRecorderOptions } from './trace-events.js';

/**
 * What a trace needs of a kernel: its event stream (`Kernel.events`), and the statuses of its CPUs
 * (`Kernel.status`, `Kernel.cpuStatuses`) to name the actors that were spawned before it started.
 */
export interface TracedKernel {
  readonly events: { subscribe(observer: (event: KernelEvent) => void): { unsubscribe(): void } };
  status?(): KernelStatus;
  cpuStatuses?(): Promise<KernelStatus[]>;
  readonly mode?: 'real' | 'simulated';
}

export interface LiveTrace {
  /** Events recorded so far. */
  readonly recordedEvents: number;
  /**
   * Stops recording and returns the trace; a second call returns the same trace. Actors of other CPUs
   * spawned before the trace started are named once those CPUs answered (`write` waits for them).
   */
  stop(): ChromeTrace;
  /** Stops recording and writes the trace to `path` as `serializeTrace` makes it; resolves with the trace. */
  write(path: string): Promise<ChromeTrace>;
}

/** Starts recording `kernel`'s events as a trace. */
export function startTrace(kernel: TracedKernel, options: TraceRecorderOptions = {}): LiveTrace {
  const recorder = new TraceRecorder(options);
  // The actors already there are named from the statuses: this CPU's at once, the other CPUs' when
  // they answer. Not a simulated kernel's other CPUs: asking them would add frames to the run traced.
  const name = (status: KernelStatus) =>
    walkStatus(status.tree, (actor) => {
      const pid = parsePid(actor.pid);
      if (pid !== undefined) recorder.nameActor(pid, actor.name ?? actor.label);
    });
  if (kernel.status !== undefined) name(kernel.status());
  const named =
    kernel.mode === 'simulated' || kernel.cpuStatuses === undefined
      ? Promise.resolve()
      : kernel.cpuStatuses().then(
          (statuses) => statuses.forEach(name),
          () => {},
        );
  const subscription = kernel.events.subscribe((event) => recorder.record(event));
  let trace: ChromeTrace | null = null;
  const stop = (): ChromeTrace => {
    if (trace === null) {
      subscription.unsubscribe();
      trace = recorder.toJSON();
    }
    return trace;
  };
  return {
    get recordedEvents() {
      return recorder.recordedEvents;
    },
    stop,
    async write(path) {
      // The other CPUs' names, if they have not come yet: the file is written once.
      await named;
      const stopped = stop();
      await writeTextFile(path, serializeTrace(stopped));
      return stopped;
    },
  };
}

function walkStatus(actor: ActorStatus, visit: (actor: ActorStatus) => void): void {
  visit(actor);
  for (const child of actor.children) walkStatus(child, visit);
}
