/**
 * A sender's mail keeps its order when a third CPU forwards it and the sender moves meanwhile. Its
 * mail to an actor's old pid goes to that pid's CPU, which passes it on to where the actor is now;
 * from the CPU the sender moves to, the same pid may lead straight there (that CPU heard of the
 * actor's move and switched its ref). So the sender moves only once what it sent before has arrived.
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { pidCpu } from '../../../ground/pid.js';
import { settle } from '../../helpers/kernel.js';
import { Journal, Mover, Sender } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('a sender whose mail a third CPU forwards', () => {
  it('moves only once that mail has arrived: what it sends after the move arrives after it', async () => {
    // Each message costs 1 ms of virtual time and the journal takes one at a time: CPU 3 takes forwarded mail in slowly.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 21, cpus: 4, modules, simulatedCostMs: 1 });
    try {
      // CPU 0 holds a ref to the journal's first pid (this one): it switches it when the journal moves.
      const journal = kernel.spawn(Journal, { cpu: 2, mailboxCapacity: 1 });
      const movers = [1, 2].map((cpu) => kernel.spawn(Mover, { cpu }));
      await settle(kernel);
      const firstPid = journal.pid;
      expect(await kernel.runUntil(movers[1]!.ask({ type: 'move', pid: firstPid, cpu: 3 }))).to.equal(true);
      await settle(kernel);
      expect(pidCpu(journal.pid)).to.equal(3);
      // A sender on CPU 1, which never knew the first pid: its mail to it goes to CPU 2, which forwards it.
      const sender = kernel.spawn(Sender, { cpu: 1 });
      await settle(kernel);
      expect(await kernel.runUntil(sender.ask({ type: 'send', to: firstPid, count: 20, tag: 1 }))).to.equal(20);
      expect(await kernel.runUntil(movers[0]!.ask({ type: 'move', pid: sender.pid, cpu: 0 }))).to.equal(true);
      for (let ms = 0; ms < 1_000 && pidCpu(sender.pid) !== 0; ms++) await kernel.advance(1);
      expect(pidCpu(sender.pid), 'the sender moved').to.equal(0);
      expect(await kernel.runUntil(sender.ask({ type: 'send', to: firstPid, count: 20, tag: 2 }))).to.equal(20);
      await kernel.advance(200);
      const notes = await kernel.runUntil(journal.ask({ type: 'notes' }));
      const expected = [1, 2].flatMap((tag) => Array.from({ length: 20 }, (_, seq) => [tag, seq]));
      expect(notes).to.deep.equal(expected);
    } finally {
      await kernel.shutdown();
    }
  });
});
