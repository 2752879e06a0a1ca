/**
 * An xstate machine as plain data: its states (nested as the machine nests them) and its
 * transitions, each with its event, guard and target, taken from the machine's own state nodes.
 * The diagrams (Mermaid, Graphviz DOT) are drawn from it, and JSON is it as it is. Eventless
 * (`always`) and delayed (`after`) transitions are edges too, labelled so; a transition to a
 * compound state enters it, as it does in xstate.
 *
 * With a snapshot's value, the states it is in are marked `active`: a live actor's diagram lights
 * where it is.
 *
 * @example
 * ```ts
 * const graph = machineGraph(supervisorMachine(), 'running');
 * graph.states.find((state) => state.active)?.path; // ['running']
 * graph.transitions[0];  // { source: 'running', target: 'restarting', event: 'child.restart-needed', ... }
 * ```
 */
import type { AnyStateMachine } from 'xstate';

/** One state: `id` is its path joined by `.` (unique in the machine), `parent` its parent's id, '' at the top. */
export interface GraphState {
  readonly id: string;
  readonly key: string;
  readonly path: readonly string[];
  readonly parent: string;
  readonly type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** The child a compound state enters first; '' when none. */
  readonly initial: string;
  readonly active: boolean;
}

/** One transition: from state `source` to `target` ('' for a targetless one, which stays) on `event`. */
export interface GraphTransition {
  readonly source: string;
  readonly target: string;
  /** The event type; `always` for an eventless transition, `after <delay>` for a delayed one. */
  readonly event: string;
  /** The guard's name, '' when it has none. */
  readonly guard: string;
}

export interface MachineGraph {
  readonly machine: string;
  /** The top-level state the machine starts in. */
  readonly initial: string;
  readonly states: readonly GraphState[];
  readonly transitions: readonly GraphTransition[];
}

/** The fields of xstate's state nodes read here (they are public on `StateNode`). */
interface Node {
  readonly key: string;
  readonly path: readonly string[];
  readonly type: GraphState['type'];
  readonly states: Readonly<Record<string, Node>>;
  readonly initial?: { readonly target?: readonly Node[] };
  readonly transitions: ReadonlyMap<string, readonly Edge[]>;
  readonly always?: readonly Edge[];
}

interface Edge {
  readonly eventType: string;
  readonly target?: readonly Node[];
  readonly guard?: unknown;
}

const delayedEvent = /^xstate\.after\.([^.]+)\./;

/** The graph of `machine`; `value` (a snapshot's) marks the states it is in. */
export function machineGraph(machine: AnyStateMachine, value?: unknown): MachineGraph {
  const active = new Set(value === undefined ? [] : activePaths(value).map((path) => path.join('.')));
  const states: GraphState[] = [];
  const transitions: GraphTransition[] = [];
  const visit = (node: Node, parent: string): void => {
    const id = node.path.join('.');
    if (node.path.length > 0) {
      states.push({
        id,
        key: node.key,
        path: [...node.path],
        parent,
        type: node.type,
        initial: node.initial?.target?.[0]?.path.join('.') ?? '',
        active: active.has(id),
      });
    }
    for (const [eventType, edges] of node.transitions) {
      const delayed = delayedEvent.exec(eventType);
      for (const edge of edges) transitions.push(...transitionsOf(id, delayed === null ? eventType : `after ${delayed[1]}`, edge));
    }
    for (const edge of node.always ?? []) transitions.push(...transitionsOf(id, 'always', edge));
    for (const child of Object.values(node.states)) visit(child, id);
  };
  const root = machine.root as unknown as Node;
  visit(root, '');
  return { machine: machine.id, initial: root.initial?.target?.[0]?.path.join('.') ?? '', states, transitions };
}

/** A transition's edges: one per target (into parallel regions a transition may have several), one targetless. */
function transitionsOf(source: string, event: string, edge: Edge): GraphTransition[] {
  const guard = guardName(edge.guard);
  const targets = edge.target ?? [];
  return targets.length === 0 ? [{ source, target: '', event, guard }] : targets.map((target) => ({ source, target: target.path.join('.'), event, guard }));
}

function guardName(guard: unknown): string {
  if (guard === undefined || guard === null) return '';
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') return guard.name || 'guard';
  const type = (guard as { type?: unknown }).type;
  return typeof type === 'string' ? type : 'guard';
}

/** Every state path a snapshot value is in, the compound ones too: 'a' → [a]; { a: 'b' } → [a], [a, b]. */
export function activePaths(value: unknown, prefix: readonly string[] = []): string[][] {
  if (typeof value === 'string') return [[...prefix, value]];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...activePaths(child, [...prefix, key])]);
}
