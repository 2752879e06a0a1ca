/**
 * The inspector (`osprey/inspector`): ways to look at a run of the kernel. Today, a Chrome trace of
 * its events, which https://ui.perfetto.dev opens (`osprey sim <module> --seed S --trace F` writes one).
 */
export {
  serializeTrace,
  traceEventsMaxDefault,
  TraceRecorder,
  turnWidthUs,
  type ChromeTrace,
  type TraceEvent,
  type TraceRecorderOptions,
} from './trace-events.js';
