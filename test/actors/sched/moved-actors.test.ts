/**
 * The scheduler actor asked about actors that moved between CPUs (each case a defect a review
 * found): a pid whose actor moved away names a forwarding stand-in, which has no scheduling; and an
 * idle-class actor moves like any other, though its runtime is ∞, which no frame carries.
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/kernel.js';
import { pidCpu } from '../../../ground/pid.js';
import { settledOnClock as settled, shutdown } from '../../helpers/kernel.js';
import { Counter, Spinner } from '../cpu/fixtures/behaviors.js';

const modules = [new URL('../cpu/fixtures/behaviors.js', import.meta.url)];

describe('sched: actors that moved to another CPU', function () {
  this.timeout(30_000);

  it('refuses to pin the pid an actor left behind, and keeps answering stats after a refused move of it', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, cpus: 2, modules, simulatedCostMs: 0.05 });
    const counter = kernel.spawn(Counter);
    counter.tell({ type: 'add', n: 1 });
    await kernel.simulatedClock.advance(1);
    const oldPid = counter.pid;
    await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: oldPid, cpu: 1 }));
    await settled(kernel, counter.ask({ type: 'get' }));
    expect(pidCpu(counter.pid)).to.equal(1);
    const pinned = await settled(kernel, kernel.scheduler.ask({ type: 'sched.pin', pid: oldPid })).catch((error: unknown) => error);
    expect(pinned).to.be.instanceOf(RangeError);
    expect((pinned as Error).message).to.match(/lives on another cpu/);
    const moved = await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: oldPid, cpu: 1 })).catch((error: unknown) => error);
    expect(moved).to.be.instanceOf(Error);
    const stats = await settled(kernel, kernel.scheduler.ask({ type: 'sched.stats' }));
    expect(stats.actors.map((actor) => actor.pid)).to.not.include(oldPid);
    await shutdown(kernel);
  });

  it('moves an idle-class actor, which has runtime ∞, on request', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, cpus: 2, modules, simulatedCostMs: 0.05 });
    const idle = kernel.spawn(Spinner, { priority: 'idle' });
    await kernel.simulatedClock.advance(1);
    expect(await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: idle.pid, cpu: 1 }))).to.equal(true);
    await shutdown(kernel);
  });
});
