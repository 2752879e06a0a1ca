import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { type ActorStatus, fromMachine, fromSetup, Kernel } from '../../boot/index.js';
import { machineGraph, toMermaid, treeToDot, treeToMermaid } from '../../inspector/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { mermaidErrors } from '../helpers/mermaid-check.js';
import { lightMachine } from '../sim/fixtures/examples.js';
import { CpuCounter } from '../sim/fixtures/cpu-counter.js';

const Idle = fromSetup<{ readonly type: 'poke' }>(() => ({ receive: () => {} }), 'Idle');

function find(tree: ActorStatus, name: string): ActorStatus | undefined {
  if (tree.name === name) return tree;
  for (const child of tree.children) {
    const found = find(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
}

describe('inspector: the supervision tree as Mermaid and Graphviz, and a live machine actor lit', function () {
  this.timeout(60_000);

  it("draws every CPU's tree with names, labels, pids and machine states, in diagrams that parse", async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, cpus: 2, modules: [new URL('../sim/fixtures/cpu-counter.js', import.meta.url)] });
    kernel.spawn<SupervisorMsg>(supervisor({ children: [{ id: 'light', start: fromMachine(lightMachine), options: { name: 'light' } }] }), {
      name: 'crossing',
    });
    const idle = kernel.spawn(Idle, { name: 'idle' });
    for (let i = 0; i < 3; i++) idle.tell({ type: 'poke' });
    await kernel.runUntil(kernel.spawned(kernel.spawn(CpuCounter, { cpu: 1, name: 'counter' })));
    await kernel.advance(1_500); // the light moves on from its first state
    const statuses = await kernel.runUntil(kernel.cpuStatuses());
    const mermaid = treeToMermaid(statuses);
    const dot = treeToDot(statuses);
    expect(mermaid).to.include('subgraph cpu0["cpu 0"]').and.to.include('subgraph cpu1["cpu 1"]');
    expect(mermaid).to.match(/\["crossing<br\/>supervisor:one-for-one · [^"]+"\]/);
    expect(mermaid).to.match(/\["counter<br\/>CpuCounter · [^"]+"\]/);
    expect(dot).to.match(/label="light\\nmachine:light · [^\\]+\\nstate (green|yellow|red)"/);
    const result = spawnSync('dot', ['-Tsvg'], { input: dot, encoding: 'utf8' });
    expect(result.status, result.stderr).to.equal(0);
    expect(await mermaidErrors([mermaid])).to.deep.equal([null]);

    // The light's statechart, lit where the live actor is.
    const light = find(statuses[0]!.tree, 'light')!;
    const live = kernel.machineOf(kernel.lookup('light')!.pid)!;
    expect(live.machine).to.equal(lightMachine);
    expect(live.state).to.equal(light.state);
    expect(kernel.machineOf(idle.pid)).to.equal(undefined);
    const graph = machineGraph(lightMachine, light.state);
    expect(graph.states.filter((state) => state.active).map((state) => state.id)).to.deep.equal([light.state]);
    expect(toMermaid(graph)).to.include('active');
    await kernel.runUntil(kernel.shutdown());
  });
});
