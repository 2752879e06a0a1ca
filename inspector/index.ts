/**
 * The inspector (`osprey/inspector`): ways to look at the kernel.
 * - Any xstate machine, the kernel's own among them, as a Mermaid or Graphviz diagram or JSON, with
 *   the states a live actor is in lit (`osprey machines` writes them); every CPU's supervision tree
 *   as a Mermaid flowchart or a Graphviz digraph.
 * - Chrome traces, which https://ui.perfetto.dev opens: of a simulated run (`osprey sim … --trace`)
 *   or of a live kernel (`startTrace`).
 * - The live inspector (`inspect`, `osprey inspect`): a page in the browser, behind a token; the
 *   message flow between chosen actors as a Mermaid sequence diagram (`flowsToMermaid`).
 * - Stately compatibility (`publishInspection`): xstate's inspection events for `@statelyai/inspect`.
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
export { activePaths, machineGraph, type GraphState, type GraphTransition, type MachineGraph } from '../actors/runtime/machine-graph.js';
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
export { type FlowMessage, flowsToMermaid, followedActorsMax, MessageFlows } from './message-flows.js';
export { publishInspection, type InspectionTarget, type PublishingKernel } from './xstate-inspection.js';
