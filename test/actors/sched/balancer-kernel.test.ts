/**
 * The load balancer and migration on a real kernel of simulated CPUs (one virtual clock, message
 * costs from `simulatedCostMs`), and the scheduler actor's control messages.
 */
import { expect } from 'chai';
import { makePid } from '../../../ground/pid.js';
import { Kernel } from '../../../boot/kernel.js';
import { pidCpu } from '../../../ground/pid.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import { schedLimits } from '../../../actors/sched/index.js';
import { Counter, RefHolder, Spinner, type SpinnerMsg } from '../cpu/fixtures/behaviors.js';
import { settledOnClock as settled, shutdown } from '../../helpers/kernel.js';

const modules = [new URL('../cpu/fixtures/behaviors.js', import.meta.url)];

function bootCpus(cpus: number, seed = 1): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed, cpus, modules, simulatedCostMs: 0.05 });
}

describe('load balancer and migration (simulated CPUs)', function () {
  this.timeout(30_000);

  it('spreads 8 busy actors over 2 CPUs within a few balancing periods and leaves a pinned one where it is', async () => {
    const kernel = await bootCpus(2);
    const spinners: ActorRef<SpinnerMsg>[] = [];
    for (let i = 0; i < 8; i++) spinners.push(kernel.spawn(Spinner));
    const pinned = kernel.spawn(Spinner, { pinned: true });
    for (const ref of [...spinners, pinned]) ref.tell({ type: 'spin' });
    // Notes sent all along, before, during and after the moves: each actor must get all, in order.
    const notesTotal = 60;
    for (let seq = 0; seq < notesTotal; seq++) {
      kernel.clock.setTimer(seq * 10, () => {
        for (const ref of [...spinners, pinned]) ref.tell({ type: 'note', seq });
      });
    }
    await kernel.simulatedClock.advance(5 * schedLimits.balancePeriodMs + 1);
    const cpus = spinners.map((ref) => pidCpu(ref.pid));
    // 9 runnable on CPU 0, 0 on CPU 1: the balancer moves one per period until the loads differ by < 2.
    expect(cpus.filter((cpu) => cpu === 1).length).to.equal(4);
    expect(pidCpu(pinned.pid)).to.equal(0);
    await kernel.simulatedClock.advance(700);
    const expected = Array.from({ length: notesTotal }, (_, seq) => seq);
    for (const ref of [...spinners, pinned]) {
      const report = await settled(kernel, ref.ask({ type: 'report' }));
      expect(report.notes).to.deep.equal(expected);
      expect(report.cpu).to.equal(pidCpu(ref.pid));
      expect(report.spins).to.be.above(100);
    }
    const stats = await settled(kernel, kernel.scheduler.ask({ type: 'sched.stats' }));
    expect(stats.cpu).to.equal(0);
    expect(stats.migrations).to.equal(4);
    expect(stats.balanceRounds).to.be.at.least(4);
    expect(stats.actors.find((actor) => actor.pid === pinned.pid)?.pinned).to.equal(true);
    await shutdown(kernel);
  });

  it('moves an actor on request with its state, mailbox and runtime; its old ref and name follow it', async () => {
    const kernel = await bootCpus(2);
    const counter = kernel.spawn(Counter, { name: 'counter' });
    for (let i = 0; i < 10; i++) counter.tell({ type: 'add', n: 1 });
    const oldPid = counter.pid;
    // The adds are still in its mailbox when it moves: they travel with it, in order.
    await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: oldPid, cpu: 1 }));
    counter.tell({ type: 'add', n: 5 });
    expect(await settled(kernel, counter.ask({ type: 'get' }))).to.equal(15);
    // The scheduler answers once the actor is sent; CPU 1 acknowledges the move (which retargets
    // the ref) before it answers anything sent after it, on the same ring, in order.
    expect(pidCpu(counter.pid)).to.equal(1);
    expect(kernel.lookup('counter')).to.equal(counter);
    expect(await settled(kernel, counter.ask({ type: 'where' }))).to.equal(counter.pid);
    await shutdown(kernel);
  });

  it('pins an actor whose state cannot be encoded, and says why', async () => {
    const kernel = await bootCpus(2);
    const holder = kernel.spawn(RefHolder);
    holder.tell({ type: 'hold' });
    await kernel.simulatedClock.advance(0);
    let error: unknown;
    await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: holder.pid, cpu: 1 })).catch((caught: unknown) => (error = caught));
    expect(String(error)).to.match(/cannot move to cpu 1: its state cannot move: .*field 'held' holds an actor ref/);
    expect(pidCpu(holder.pid)).to.equal(0);
    const stats = await settled(kernel, kernel.scheduler.ask({ type: 'sched.stats' }));
    const entry = stats.actors.find((actor) => actor.pid === holder.pid);
    expect(entry?.pinned).to.equal(true);
    expect(entry?.stays).to.match(/holds an actor ref/);
    await shutdown(kernel);
  });

  it('answers control messages: priority, pin and unpin, stats; refuses foreign and unknown pids', async () => {
    const kernel = await bootCpus(2);
    const worker = kernel.spawn(Spinner);
    worker.tell({ type: 'spin' });
    await kernel.simulatedClock.advance(10);
    expect(await settled(kernel, kernel.scheduler.ask({ type: 'sched.set-priority', pid: worker.pid, priority: 4 }))).to.equal(true);
    expect(await settled(kernel, kernel.scheduler.ask({ type: 'sched.pin', pid: worker.pid }))).to.equal(true);
    let stats = await settled(kernel, kernel.scheduler.ask({ type: 'sched.stats' }));
    const entry = stats.actors.find((actor) => actor.pid === worker.pid)!;
    expect(entry).to.include({ priority: 4, class: 'fair', pinned: true });
    expect(entry.runtime).to.be.above(0);
    expect(stats.load).to.be.at.least(1);
    expect(stats.wakeLatency.count).to.be.above(0);
    expect(await settled(kernel, kernel.scheduler.ask({ type: 'sched.unpin', pid: worker.pid }))).to.equal(true);
    stats = await settled(kernel, kernel.scheduler.ask({ type: 'sched.stats' }));
    expect(stats.actors.find((actor) => actor.pid === worker.pid)!.pinned).to.equal(false);
    const remote = await settled(kernel, kernel.spawned(kernel.spawn(Counter, { cpu: 1 })));
    const failures: unknown[] = [];
    for (const request of [
      { type: 'sched.pin', pid: remote.pid },
      // A slot and generation never handed out: a pid of nothing.
      { type: 'sched.pin', pid: makePid(0, 12345, 2_000_000) },
      { type: 'sched.set-priority', pid: worker.pid, priority: -2 },
      { type: 'sched.migrate', pid: worker.pid, cpu: 7 },
    ] as const) {
      failures.push(await settled(kernel, kernel.scheduler.ask(request)).catch((caught: unknown) => caught));
    }
    expect(failures.map((failure) => (failure as Error).constructor.name)).to.deep.equal(['RangeError', 'RangeError', 'RangeError', 'RangeError']);
    expect(String(failures[0])).to.match(/lives on cpu 1: ask that cpu's scheduler/);
    await shutdown(kernel);
  });
});
