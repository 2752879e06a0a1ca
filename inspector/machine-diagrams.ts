/**
 * A machine's graph (machine-graph.ts) drawn as a Mermaid `stateDiagram-v2` or a Graphviz DOT
 * digraph. Compound states nest (Mermaid's `state x { }`, DOT's clusters), parallel regions are
 * separated as Mermaid separates them, initial and final states get Mermaid's `[*]` (DOT's point
 * and double circle), history states are `H`, and the states a live actor is in are filled. Every
 * state gets a generated id (`s0`, `s1`…), its name kept as its label, so any name draws.
 *
 * @example
 * ```ts
 * const graph = machineGraph(trafficLight, snapshot.value);
 * writeFileSync('light.mmd', toMermaid(graph));   // paste into mermaid.live, or a Markdown file
 * writeFileSync('light.dot', toDot(graph));       // dot -Tsvg light.dot > light.svg
 * ```
 */
import { dotString, mermaidStateText } from './diagram-text.js';
import type { GraphState, GraphTransition, MachineGraph } from '../actors/runtime/machine-graph.js';

/** The colours that mark the states a live actor is in: a leaf, and a nested state around it. */
export const activeFill = '#ffd27f';
export const activeClusterFill = '#fff1d6';

/** `graph` as a Mermaid `stateDiagram-v2`. */
export function toMermaid(graph: MachineGraph): string {
  const ids = new Map(graph.states.map((state, index) => [state.id, `s${index}`]));
  const lines = ['stateDiagram-v2'];
  const childrenOf = groupByParent(graph.states);
  const emit = (parent: string, initial: string, indent: string): void => {
    const children = childrenOf.get(parent) ?? [];
    const parentState = graph.states.find((state) => state.id === parent);
    if (initial !== '') lines.push(`${indent}[*] --> ${ids.get(initial)!}`);
    children.forEach((state, index) => {
      // Parallel regions are separated by `--`.
      if (parentState?.type === 'parallel' && index > 0) lines.push(`${indent}--`);
      lines.push(`${indent}state "${mermaidStateText(state.type === 'history' ? `H (${state.key})` : state.key)}" as ${ids.get(state.id)!}`);
      if (state.type === 'compound' || state.type === 'parallel') {
        lines.push(`${indent}state ${ids.get(state.id)!} {`);
        emit(state.id, state.type === 'compound' ? state.initial : '', `${indent}  `);
        lines.push(`${indent}}`);
      }
      if (state.type === 'final') lines.push(`${indent}${ids.get(state.id)!} --> [*]`);
    });
  };
  emit('', graph.initial, '  ');
  for (const transition of graph.transitions) {
    if (transition.target === '') continue;
    lines.push(`  ${ids.get(transition.source)!} --> ${ids.get(transition.target)!}: ${mermaidStateText(edgeLabel(transition))}`);
  }
  const active = graph.states.filter((state) => state.active);
  if (active.length > 0) {
    lines.push(`  classDef active fill:${activeFill},stroke:#b36b00,stroke-width:2px`);
    lines.push(`  class ${active.map((state) => ids.get(state.id)!).join(',')} active`);
  }
  return `${lines.join('\n')}\n`;
}

/** `graph` as a Graphviz digraph: `dot -Tsvg` draws it. */
export function toDot(graph: MachineGraph): string {
  const ids = new Map(graph.states.map((state, index) => [state.id, `s${index}`]));
  const byId = new Map(graph.states.map((state) => [state.id, state]));
  const nested = (state: GraphState) => state.type === 'compound' || state.type === 'parallel';
  // An edge to or from a nested state attaches to its entry point, clipped at its cluster.
  const end = (id: string) => (nested(byId.get(id)!) ? `${ids.get(id)!}_entry` : ids.get(id)!);
  const lines = [`digraph ${dotString(graph.machine)} {`, '  compound=true;', '  rankdir=LR;', '  node [shape=box, style=rounded];', '  start [shape=point];'];
  const childrenOf = groupByParent(graph.states);
  const emit = (parent: string, indent: string): void => {
    for (const state of childrenOf.get(parent) ?? []) {
      const id = ids.get(state.id)!;
      const fill = state.active ? `, style="rounded,filled", fillcolor="${activeFill}"` : '';
      if (nested(state)) {
        lines.push(`${indent}subgraph cluster_${id} {`, `${indent}  label=${dotString(state.type === 'parallel' ? `${state.key} (parallel)` : state.key)};`);
        if (state.active) lines.push(`${indent}  style=filled; fillcolor="${activeClusterFill}";`);
        lines.push(`${indent}  ${id}_entry [shape=point];`);
        emit(state.id, `${indent}  `);
        if (state.initial !== '') lines.push(`${indent}  ${id}_entry -> ${end(state.initial)};`);
        lines.push(`${indent}}`);
      } else {
        const shape = state.type === 'final' ? ', shape=doublecircle' : state.type === 'history' ? ', shape=circle' : '';
        lines.push(`${indent}${id} [label=${dotString(state.type === 'history' ? 'H' : state.key)}${shape}${fill}];`);
      }
    }
  };
  emit('', '  ');
  if (graph.initial !== '') lines.push(`  start -> ${end(graph.initial)} [label=""${clip(byId.get(graph.initial)!, 'lhead', ids)}];`);
  for (const transition of graph.transitions) {
    if (transition.target === '') continue;
    const source = byId.get(transition.source)!;
    const target = byId.get(transition.target)!;
    lines.push(
      `  ${end(source.id)} -> ${end(target.id)} [label=${dotString(edgeLabel(transition))}${clip(source, 'ltail', ids)}${clip(target, 'lhead', ids)}];`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function groupByParent(states: readonly GraphState[]): Map<string, GraphState[]> {
  const children = new Map<string, GraphState[]>();
  for (const state of states) children.set(state.parent, [...(children.get(state.parent) ?? []), state]);
  return children;
}

function clip(state: GraphState, side: 'lhead' | 'ltail', ids: ReadonlyMap<string, string>): string {
  return state.type === 'compound' || state.type === 'parallel' ? `, ${side}=cluster_${ids.get(state.id)!}` : '';
}

function edgeLabel(transition: GraphTransition): string {
  return transition.guard === '' ? transition.event : `${transition.event} [${transition.guard}]`;
}
