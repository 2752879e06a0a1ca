/** How many times the actor named `name` was restarted, from the CPUs' supervision trees (undefined: not there). */
export function restartsOf(statuses: readonly { readonly tree: unknown }[], name: string): number | undefined {
  type Node = { name?: string; restarts: number; children: readonly unknown[] };
  const find = (actor: Node): number | undefined => {
    if (actor.name === name) return actor.restarts;
    for (const child of actor.children) {
      const found = find(child as Node);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return find(statuses[0]!.tree as Node);
}
