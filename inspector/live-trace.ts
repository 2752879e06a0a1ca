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
 * writeFileSync('run.trace.json', serializeTrace(trace.stop()));
 * ```
 */
import type { KernelEvent } from '../actors/runtime/events.js';
import { type ChromeTrace, TraceRecorder, type TraceRecorderOptions } from './trace-events.js';

/** What a trace needs of a kernel: its event stream (`Kernel.events`). */
export interface TracedKernel {
  readonly events: { subscribe(observer: (event: KernelEvent) => void): { unsubscribe(): void } };
}

export interface LiveTrace {
  /** Events recorded so far. */
  readonly recordedEvents: number;
  /** Stops recording and returns the trace; a second call returns the same trace. */
  stop(): ChromeTrace;
}

/** Starts recording `kernel`'s events as a trace. */
export function startTrace(kernel: TracedKernel, options: TraceRecorderOptions = {}): LiveTrace {
  const recorder = new TraceRecorder(options);
  const subscription = kernel.events.subscribe((event) => recorder.record(event));
  let trace: ChromeTrace | null = null;
  return {
    get recordedEvents() {
      return recorder.recordedEvents;
    },
    stop() {
      if (trace === null) {
        subscription.unsubscribe();
        trace = recorder.toJSON();
      }
      return trace;
    },
  };
}
