import { expect } from 'chai';
import { formatPid, Kernel } from '../../boot/index.js';
import { inspect, type MachineGraph, toMermaid } from '../../inspector/index.js';
import { eventually } from '../helpers/eventually.js';
import { mermaidErrors } from '../helpers/mermaid-check.js';
import { Door, doorMachine, Idle } from './fixtures/far-machines.js';
import { pageSocket } from './helpers/page-socket.js';

const modules = [new URL('./fixtures/far-machines.js', import.meta.url)];

const lit = (graph: MachineGraph | undefined) => graph?.states.filter((state) => state.active).map((state) => state.id);

describe('inspector: the statechart of a machine actor on any CPU (kernel.machineGraph)', function () {
  this.timeout(30_000);

  it('draws a worker CPU’s machine actor there, lit where it is, and lit anew after it moves', async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      const door = await kernel.spawned(kernel.spawn(Door, { cpu: 1 }));
      const first = await kernel.machineGraph(door.pid);
      expect(first?.machine).to.equal('door');
      expect(lit(first)).to.deep.equal(['closed', 'closed.unlocked']);
      expect(first?.transitions).to.deep.include({ source: 'closed.unlocked', target: 'closed.locked', event: 'lock', guard: '' });
      expect(await mermaidErrors([toMermaid(first!)])).to.deep.equal([null]);

      door.tell({ type: 'lock' } as never);
      // Its CPU takes the mail in its own time.
      await eventually(async () => (JSON.stringify(lit(await kernel.machineGraph(door.pid))) === '["closed","closed.locked"]' ? true : undefined));

      // An actor that runs no machine, and one that is gone, have none.
      const idle = await kernel.spawned(kernel.spawn(Idle, { cpu: 1 }));
      expect(await kernel.machineGraph(idle.pid)).to.equal(undefined);
      // A stop resolves once the actor is gone on its CPU.
      await kernel.stop(door);
      expect(await kernel.machineGraph(door.pid)).to.equal(undefined);
    } finally {
      await kernel.shutdown();
    }
  });

  it('draws a simulated CPU’s machine actor in the thread that runs them all', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 3, cpus: 2, modules });
    const door = await kernel.runUntil(kernel.spawned(kernel.spawn(Door, { cpu: 1 })));
    door.tell({ type: 'open' } as never);
    await kernel.advance(1);
    expect(lit(await kernel.machineGraph(door.pid))).to.deep.equal(['opened']);
    expect(kernel.machineOf(door.pid)?.machine).to.equal(doorMachine);
    await kernel.runUntil(kernel.shutdown());
  });

  it('is what the inspector page gets for an actor of a worker CPU', async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules });
    const inspector = await inspect(kernel);
    try {
      const door = await kernel.spawned(kernel.spawn(Door, { cpu: 1 }));
      const { socket, ask } = await pageSocket(inspector);
      const answer = (await ask(JSON.stringify({ type: 'machine', pid: formatPid(door.pid) }))) as { graph?: MachineGraph };
      expect(lit(answer.graph)).to.deep.equal(['closed', 'closed.unlocked']);
      socket.close();
    } finally {
      await inspector.close();
      await kernel.shutdown();
    }
  });
});
