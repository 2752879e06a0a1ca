/**
 * The CPU loop does what the CPU's scheduler state says: an idle CPU parks on its doorbell (and the
 * state shows it), a frame from another CPU wakes it, and local work on its event loop while it is
 * parked makes it running again. Real worker CPUs, real time.
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { Counter } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

/** CPU 0's scheduler state, as its status shows it (read outside any drain). */
function stateOf(kernel: Kernel): string {
  return (kernel.status().subsystems.sched as { state: string }).state;
}

describe('the CPU loop, driven by the CPU-state machine', () => {
  it('parks an idle CPU, wakes it for frames, and runs local work while it is parked', async function () {
    this.timeout(30_000);
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      const far = kernel.spawn(Counter, { cpu: 1 });
      await kernel.spawned(far);
      // Nothing to do: the loop spins its bounded while, then parks, and the state says so.
      expect(await eventually(() => (stateOf(kernel) === 'parked' ? true : undefined))).to.equal(true);
      // An answer from CPU 1 is a frame: it wakes the parked loop.
      far.tell({ type: 'add', n: 2 });
      expect(await far.ask({ type: 'get' })).to.equal(2);
      expect(await eventually(() => (stateOf(kernel) === 'parked' ? true : undefined))).to.equal(true);
      // Local work (an actor of CPU 0, run by the event loop while the loop sleeps) is the CPU
      // running again: the drain takes the state out of parked, and leaves it idle-polling.
      const near = kernel.spawn(Counter);
      near.tell({ type: 'add', n: 1 });
      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(stateOf(kernel)).to.equal('idlePolling');
      expect(await near.ask({ type: 'get' })).to.equal(1);
      const sched = await kernel.scheduler.ask({ type: 'sched.stats' });
      expect(sched.state, 'the scheduler answers from a drain: its CPU is running').to.equal('running');
    } finally {
      await kernel.shutdown();
    }
  });
});
