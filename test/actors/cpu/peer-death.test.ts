/**
 * A CPU's death reaches a peer that floods it: the flooding actor is parked, not its thread, so its
 * CPU goes on answering, takes the host's news of the death, and everything that waited for the dead
 * CPU fails as that CPU's death (`stopped`, `CpuDownError`), not as a full ring after the outbox
 * deadline. Real worker threads.
 */
import { expect } from 'chai';
import { ActorCrashedError, type DeadLetter, Kernel } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { pidCpu } from '../../../ground/pid.js';
import { Counter, DiesBusy, Flooder, Mover, Relay, Sender } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('a peer that dies while another floods it (worker threads)', function () {
  this.timeout(20_000);

  it('the flooding CPU keeps answering; what waited for the dead CPU is a dead letter with reason stopped, and an ask to an actor it held fails, never hangs', async () => {
    // An outbox deadline longer than the test's timeout: only news of the death can end the wait.
    const kernel = await Kernel.boot({ cpus: 3, modules, outboxWaitMs: 60_000, ringBytes: 16 * 1024 });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      const doomed = await kernel.spawned(kernel.spawn(DiesBusy, { cpu: 1 }));
      // Its pid, not its ref: CPU 0 respawns what it placed on CPU 1, and its ref follows the new pid.
      const victimPid = (await kernel.spawned(kernel.spawn(Counter, { cpu: 1 }))).pid;
      const flooder = await kernel.spawned(kernel.spawn(Flooder, { cpu: 2 }));
      const neighbour = await kernel.spawned(kernel.spawn(Counter, { cpu: 2 }));
      const relay = await kernel.spawned(kernel.spawn(Relay, { cpu: 2 }));
      // It dies after the flood: a tell sent once its CPU is down is refused (a `stopped` dead letter),
      // and 20 000 tells, most of them into the outbox, took over 300 ms on a loaded 2-core machine.
      doomed.tell({ type: 'die-after', ms: 1_500 });
      const count = 20_000;
      // Nothing blocks: every tell is taken, into the ring or the outbox, and the flooder is parked.
      expect(await flooder.ask({ type: 'flood', to: doomed as never, count })).to.equal(count);
      // Its CPU runs on meanwhile: another actor there answers at once.
      expect(await neighbour.ask({ type: 'get' })).to.equal(0);
      // What waited in the outbox for the dead CPU reaches CPU 0 as `stopped` dead letters (reports are bounded).
      const fromFlooder = await eventually(() => {
        const found = letters.filter((letter) => letter.cpu === 2);
        return found.length > 0 ? found : undefined;
      });
      expect(new Set(fromFlooder.map((letter) => letter.reason))).to.deep.equal(new Set(['stopped']));
      // An ask from CPU 2 to an actor that lived on the dead CPU fails: at once as the CPU's death
      // while it is down, or as a stopped actor once it is back (the pid died with it).
      const failure = await relay.ask({ type: 'relay', to: victimPid }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(ActorCrashedError);
      // The relay's crash crosses back to CPU 0 as text: its cause is named there.
      expect(String(failure)).to.match(/CpuDownError: cpu 1 went down|ActorStoppedError: .* is stopped/);
    } finally {
      await kernel.shutdown();
    }
  });

  it('every tell a dead CPU never took, in its ring or in the outbox to it, is a dead letter with reason stopped', async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules, outboxWaitMs: 60_000, ringBytes: 16 * 1024 });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      const doomed = await kernel.spawned(kernel.spawn(DiesBusy, { cpu: 1 }));
      doomed.tell({ type: 'die-after', ms: 300 });
      // Its CPU is busy until it dies: it takes none of these, some in the ring and the rest in the outbox.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const sent = 2_000;
      for (let n = 0; n < sent; n++) expect(doomed.tell({ type: 'die-after', ms: n })).to.equal(true);
      const lost = await eventually(() => {
        const found = letters.filter((letter) => (letter.message as { type: string }).type === 'die-after');
        return found.length >= sent ? found : undefined;
      });
      expect(lost.map((letter) => (letter.message as { ms: number }).ms)).to.deep.equal([...Array(sent).keys()]);
      expect(new Set(lost.map((letter) => letter.reason))).to.deep.equal(new Set(['stopped']));
    } finally {
      await kernel.shutdown();
    }
  });

  it('a move that waits for mail on a CPU that dies goes ahead: that mail died with it', async () => {
    const kernel = await Kernel.boot({ cpus: 3, modules });
    try {
      const doomed = await kernel.spawned(kernel.spawn(DiesBusy, { cpu: 2 }));
      const sender = await kernel.spawned(kernel.spawn(Sender, { cpu: 1 }));
      const mover = await kernel.spawned(kernel.spawn(Mover, { cpu: 1 }));
      doomed.tell({ type: 'die-after', ms: 300 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      // CPU 2 is busy until it dies: the sender's mail waits in the ring to it, and so does the move's sweep.
      expect(await sender.ask({ type: 'send', to: doomed.pid, count: 3, tag: 1 })).to.equal(3);
      // Without the news the sweep would expire, and the move would be refused.
      expect(await mover.ask({ type: 'move', pid: sender.pid, cpu: 0 })).to.equal(true);
      await eventually(() => (pidCpu(sender.pid) === 0 ? true : undefined));
    } finally {
      await kernel.shutdown();
    }
  });
});
