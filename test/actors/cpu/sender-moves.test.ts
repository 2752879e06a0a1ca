/**
 * A sender's mail keeps its order across the sender's own move. Mail it sent from its old CPU may
 * still be in a ring to a third CPU when it would send again from its new one, through another ring
 * that the third CPU may read first; so it does not move while its CPU's frames are still in a ring
 * to a third CPU (the ring to its new CPU is in order with the move itself).
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { pidCpu } from '../../../ground/pid.js';
import { settle } from '../../helpers/kernel.js';
import { Mover, Recorder, Sender } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('a sender that moves', () => {
  it('does not move while its mail is still in a ring to a third CPU; what it sends after the move arrives after it', async () => {
    // Each message costs 1 ms of virtual time, and the recorder takes one at a time: CPU 2 reads its rings slowly.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 12, cpus: 3, modules, simulatedCostMs: 1 });
    const recorder = kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 1 });
    // From CPU 1 to CPU 0: CPU 2 reads the ring from CPU 0 first when both have mail.
    const sender = kernel.spawn(Sender, { cpu: 1 });
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await settle(kernel);
    const before = sender.ask({ type: 'send', to: recorder.pid, count: 20, tag: 1 });
    expect(await kernel.runUntil(before)).to.equal(20);
    const refused = await kernel.runUntil(mover.ask({ type: 'move', pid: sender.pid, cpu: 0 }));
    expect(refused).to.match(/still in the ring to cpu 2/);
    let moved: true | string = refused;
    for (let tries = 0; moved !== true && tries < 1_000; tries++) {
      await kernel.advance(1);
      moved = await kernel.runUntil(mover.ask({ type: 'move', pid: sender.pid, cpu: 0 }));
    }
    expect(moved, 'it moves once CPU 2 has taken its mail in').to.equal(true);
    await kernel.advance(5);
    expect(pidCpu(sender.pid)).to.equal(0);
    expect(await kernel.runUntil(sender.ask({ type: 'send', to: recorder.pid, count: 20, tag: 2 }))).to.equal(20);
    await kernel.advance(100);
    const notes = await kernel.runUntil(recorder.ask({ type: 'notes' }));
    const expected = [1, 2].flatMap((tag) => Array.from({ length: 20 }, (_, seq) => [tag, seq]));
    expect(notes).to.deep.equal(expected);
    await kernel.shutdown();
  });
});
