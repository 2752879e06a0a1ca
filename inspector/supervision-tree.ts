/**
 * The supervision tree, as `kernel.status()` or `kernel.cpuStatuses()` reports it, drawn as a
 * Mermaid flowchart or a Graphviz digraph: an actor per node (its name or label, pid, machine state,
 * mailbox depth and restarts), an edge from each parent to its children, one cluster per CPU.
 * Actors that are not running are drawn dashed.
 *
 * @example
 * ```ts
 * writeFileSync('tree.mmd', treeToMermaid(await kernel.cpuStatuses()));
 * writeFileSync('tree.dot', treeToDot([kernel.status()]));   // dot -Tsvg tree.dot > tree.svg
 * ```
 */
import type { ActorStatus, KernelStatus } from '../actors/runtime/status.js';
import { dotText, mermaidLabelText } from './diagram-text.js';

/** One line per fact of an actor, for its node. */
function factsOf(actor: ActorStatus): string[] {
  const facts = [actor.name ?? actor.label, `${actor.label} · ${actor.pid}`];
  if (actor.state !== undefined) facts.push(`state ${typeof actor.state === 'string' ? actor.state : JSON.stringify(actor.state)}`);
  if (actor.mailbox > 0 || actor.restarts > 0) facts.push(`mailbox ${actor.mailbox} · restarts ${actor.restarts}`);
  if (actor.status !== 'running') facts.push(actor.status);
  return facts;
}

/** Every actor of each CPU's tree with its node id and its parent's (`''` at a root), depth first. */
function nodesOf(statuses: readonly KernelStatus[]): { cpu: number; id: string; parent: string; actor: ActorStatus }[][] {
  let next = 0;
  return statuses.map((status, cpu) => {
    const nodes: { cpu: number; id: string; parent: string; actor: ActorStatus }[] = [];
    const walk = (actor: ActorStatus, parent: string): void => {
      const id = `a${next++}`;
      nodes.push({ cpu, id, parent, actor });
      for (const child of actor.children) walk(child, id);
    };
    walk(status.tree, '');
    return nodes;
  });
}

/** The trees of `statuses` (one per CPU, in CPU order) as a Mermaid flowchart. */
export function treeToMermaid(statuses: readonly KernelStatus[]): string {
  const lines = ['flowchart TD'];
  const stopped: string[] = [];
  for (const [cpu, nodes] of nodesOf(statuses).entries()) {
    lines.push(`  subgraph cpu${cpu}["cpu ${cpu}"]`);
    for (const { id, actor } of nodes) {
      lines.push(`    ${id}["${factsOf(actor).map(mermaidLabelText).join('<br/>')}"]`);
      if (actor.status !== 'running') stopped.push(id);
    }
    for (const { id, parent } of nodes) if (parent !== '') lines.push(`    ${parent} --> ${id}`);
    lines.push('  end');
  }
  if (stopped.length > 0) lines.push('  classDef notRunning stroke-dasharray: 5 5', `  class ${stopped.join(',')} notRunning`);
  return `${lines.join('\n')}\n`;
}

/** The trees of `statuses` (one per CPU, in CPU order) as a Graphviz digraph. */
export function treeToDot(statuses: readonly KernelStatus[]): string {
  const lines = ['digraph "supervision" {', '  node [shape=box, style=rounded];'];
  for (const [cpu, nodes] of nodesOf(statuses).entries()) {
    lines.push(`  subgraph cluster_cpu${cpu} {`, `    label="cpu ${cpu}";`);
    for (const { id, actor } of nodes) {
      const style = actor.status !== 'running' ? ', style="rounded,dashed"' : '';
      lines.push(`    ${id} [label="${factsOf(actor).map(dotText).join('\\n')}"${style}];`);
    }
    for (const { id, parent } of nodes) if (parent !== '') lines.push(`    ${parent} -> ${id};`);
    lines.push('  }');
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
