/**
 * The inspector (`osprey/inspector`): ways to look at the kernel. A Chrome trace of a run's events,
 * which https://ui.perfetto.dev opens (`osprey sim <module> --seed S --trace F` writes one), and any
 * xstate machine (the kernel's own among them) as a Mermaid or Graphviz diagram, or JSON, with the
 * states a live actor is in lit (`osprey machines` writes them), and the supervision tree of every CPU
 * as a Mermaid flowchart or a Graphviz digraph.
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
export { activeClusterFill, activeFill, toDot, toMermaid } from './machine-diagrams.js';
export { activePaths, machineGraph, type GraphState, type GraphTransition, type MachineGraph } from './machine-graph.js';
export { isStateMachine, kernelMachines } from './kernel-machines.js';
export { treeToDot, treeToMermaid } from './supervision-tree.js';
export { startTrace, type LiveTrace, type TracedKernel } from './live-trace.js';
export {
  inspect,
  inspectorSampleMsDefault,
  inspectorSampleMsMin,
  type InspectedKernel,
  type InspectOptions,
  type InspectorServer,
} from './inspector-server.js';
export { publishInspection, type InspectionTarget, type PublishingKernel } from './xstate-inspection.js';
