/**
 * A sender's mail keeps its order across the sender's own move. Mail it sent from its old CPU may
 * still be in a ring to a third CPU when it would send again from its new one, through another ring
 * that the third CPU may read first; so it moves only once the third CPUs it sent to have taken
 * that mail in (a sweep, move-sweeps.ts; the ring to its new CPU is in order with the move itself).
 * The wait is the sender's own: an actor of the same CPU that sent nothing there moves at once.
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { moveSweepMsMax } from '../../../actors/cpu/limits.js';
import { pidCpu } from '../../../ground/pid.js';
import { settle } from '../../helpers/kernel.js';
import { Mover, Recorder, Sender } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('a sender that moves', () => {
  it('moves once its mail in a ring to a third CPU is taken in; what it sends after the move arrives after it', async () => {
    // Each message costs 1 ms of virtual time, and the recorder takes one at a time: CPU 2 reads its rings slowly.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 12, cpus: 3, modules, simulatedCostMs: 1 });
    const recorder = kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 1 });
    // From CPU 1 to CPU 0: CPU 2 reads the ring from CPU 0 first when both have mail.
    const sender = kernel.spawn(Sender, { cpu: 1 });
    const idle = kernel.spawn(Sender, { cpu: 1 });
    // Two movers: one waits for the sender's move to be answered.
    const [mover, idleMover] = [kernel.spawn(Mover, { cpu: 1 }), kernel.spawn(Mover, { cpu: 1 })];
    await settle(kernel);
    const before = sender.ask({ type: 'send', to: recorder.pid, count: 20, tag: 1 });
    expect(await kernel.runUntil(before)).to.equal(20);
    // The move is answered once the sender has left.
    const moved = mover.ask({ type: 'move', pid: sender.pid, cpu: 0 });
    await settle(kernel);
    expect(pidCpu(sender.pid), 'it waits for CPU 2 to take its mail in').to.equal(1);
    // An actor that sent nothing to CPU 2 does not wait for it.
    expect(await kernel.runUntil(idleMover.ask({ type: 'move', pid: idle.pid, cpu: 0 }))).to.equal(true);
    await settle(kernel);
    expect(pidCpu(idle.pid)).to.equal(0);
    expect(pidCpu(sender.pid), 'CPU 2 is still taking its mail in').to.equal(1);
    expect(await kernel.runUntil(moved), 'it moves once CPU 2 has taken its mail in').to.equal(true);
    for (let ms = 0; ms < 100 && pidCpu(sender.pid) !== 0; ms++) await kernel.advance(1);
    expect(pidCpu(sender.pid)).to.equal(0);
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 20, tag: 2 }))).to.equal(20);
    await kernel.advance(100);
    const notes = await kernel.runUntil(recorder.ask({ type: 'notes' }));
    const expected = [1, 2].flatMap((tag) => Array.from({ length: 20 }, (_, seq) => [tag, seq]));
    expect(notes).to.deep.equal(expected);
    await kernel.shutdown();
  });

  it('stays, and the move is refused with why, if it sends to a third CPU again while it waits', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 13, cpus: 3, modules, simulatedCostMs: 1 });
    const recorder = kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 1 });
    const sender = kernel.spawn(Sender, { cpu: 1 });
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await settle(kernel);
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 20, tag: 1 }))).to.equal(20);
    const moved = mover.ask({ type: 'move', pid: sender.pid, cpu: 0 });
    await settle(kernel);
    // It runs on while it waits, and sends to CPU 2 again: that mail too would have to arrive first.
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 5, tag: 2 }))).to.equal(5);
    expect(await kernel.runUntil(moved)).to.match(/MigrationRefusedError.*it sent mail to another CPU while its earlier mail was on its way/);
    expect(pidCpu(sender.pid)).to.equal(1);
    // Moved again later, it waits for all it sent.
    expect(await kernel.runUntil(mover.ask({ type: 'move', pid: sender.pid, cpu: 0 }))).to.equal(true);
    for (let ms = 0; ms < 100 && pidCpu(sender.pid) !== 0; ms++) await kernel.advance(1);
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 5, tag: 3 }))).to.equal(5);
    await kernel.advance(100);
    const notes = await kernel.runUntil(recorder.ask({ type: 'notes' }));
    const expected = [
      [1, 20],
      [2, 5],
      [3, 5],
    ].flatMap(([tag, count]) => Array.from({ length: count! }, (_, seq) => [tag, seq]));
    expect(notes).to.deep.equal(expected);
    await kernel.shutdown();
  });

  it('stays, and the move is refused with why, if its mail takes longer than moveSweepMsMax to arrive', async () => {
    // The recorder takes one note at a time, each half as long as a move waits: the sweep, behind five
    // of them in the ring to CPU 2, takes longer than that.
    const simulatedCostMs = (message: unknown) => ((message as { type?: string }).type === 'note' ? moveSweepMsMax / 2 : 1);
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 14, cpus: 3, modules, simulatedCostMs });
    const recorder = kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 1 });
    const sender = kernel.spawn(Sender, { cpu: 1 });
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await settle(kernel);
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 5, tag: 1 }))).to.equal(5);
    const refused = await kernel.runUntil(mover.ask({ type: 'move', pid: sender.pid, cpu: 0 }), { timeMsMax: moveSweepMsMax * 4 });
    expect(refused).to.match(new RegExp(`its earlier mail took longer than ${moveSweepMsMax} ms to arrive`));
    expect(pidCpu(sender.pid)).to.equal(1);
    // Tried again once that mail has arrived, it moves.
    await kernel.advance(moveSweepMsMax * 3);
    expect(await kernel.runUntil(mover.ask({ type: 'move', pid: sender.pid, cpu: 0 }))).to.equal(true);
    await kernel.shutdown();
  });
});
