import { expect } from 'chai';
import fc from 'fast-check';
import { flattenStatus, rebuildStatus } from '../../../actors/cpu/remote-status.js';
import { formatStatus, Kernel, type ActorStateValue, type ActorStatus, type KernelStatus } from '../../../boot/index.js';
import { settledOnClock } from '../../helpers/kernel.js';
import { Counter } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

/** State values as machines have them: a name, or regions nested up to `depth` levels. */
function stateValueArbitrary(depth: number): fc.Arbitrary<ActorStateValue> {
  const name = fc.string({ minLength: 1, maxLength: 6 });
  return depth === 0 ? name : fc.oneof(name, fc.dictionary(name, stateValueArbitrary(depth - 1), { minKeys: 1, maxKeys: 3 }));
}

/** Trees up to `depth` generations below the root, each actor with up to three children; some are machines, with a state. */
function actorStatusArbitrary(depth: number): fc.Arbitrary<ActorStatus> {
  return fc.record(
    {
      pid: fc.string({ maxLength: 12 }),
      label: fc.string({ maxLength: 12 }),
      name: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      status: fc.constantFrom('running' as const, 'suspended' as const, 'stopping' as const, 'stopped' as const),
      mailbox: fc.nat(),
      restarts: fc.nat(),
      state: stateValueArbitrary(3),
      children: depth === 0 ? fc.constant([]) : fc.array(actorStatusArbitrary(depth - 1), { maxLength: 3 }),
    },
    { requiredKeys: ['pid', 'label', 'name', 'status', 'mailbox', 'restarts', 'children'] },
  );
}

function labelsOf(node: ActorStatus): string[] {
  return [node.label, ...node.children.flatMap(labelsOf)];
}

describe('status of other CPUs', () => {
  it('a snapshot flattened for the wire rebuilds to the same tree, however deep', () => {
    fc.assert(
      fc.property(actorStatusArbitrary(6), (tree) => {
        const status: KernelStatus = {
          mode: 'real',
          seed: 1,
          actors: 1,
          messagesHandled: 2,
          deadLetters: 3,
          tracing: false,
          subsystems: { irq: { vectors: [] }, sched: { state: 'running' } },
          tree,
        };
        expect(rebuildStatus(flattenStatus(status))).to.deep.equal(status);
      }),
      { numRuns: 300 },
    );
  });

  it('kernel.cpuStatuses gives every CPU its own tree, with the actors that live there', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 2, cpus: 3, modules });
    try {
      const counter = kernel.spawn(Counter, { cpu: 2, name: 'far-counter' });
      const statuses = await settledOnClock(
        kernel,
        kernel.spawned(counter).then(() => kernel.cpuStatuses()),
      );
      expect(statuses).to.have.length(3);
      expect(statuses.map((status) => status.tree.name)).to.deep.equal(['kernel.root', 'kernel.root', 'kernel.root']);
      expect(labelsOf(statuses[2]!.tree)).to.include('Counter');
      expect(labelsOf(statuses[1]!.tree)).to.not.include('Counter');
      expect(formatStatus(statuses[2]!)).to.include("'far-counter'");
      // What each CPU's subsystems add crosses with its tree.
      expect(Object.keys(statuses[1]!.subsystems)).to.deep.equal(['sched', 'irq']);
      expect(statuses[1]!.subsystems.irq).to.deep.equal({ vectors: [] });
    } finally {
      await kernel.shutdown();
    }
  });

  it('on worker CPUs too', async function () {
    this.timeout(30_000);
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      await kernel.spawned(kernel.spawn(Counter, { cpu: 1, name: 'worker-counter' }));
      const [own, worker] = await kernel.cpuStatuses({ deadlineMs: 5_000 });
      expect(own!.mode).to.equal('real');
      expect(formatStatus(worker!)).to.include("'worker-counter'");
      expect(formatStatus(own!)).to.not.include("'worker-counter'");
    } finally {
      await kernel.shutdown();
    }
  });
});
