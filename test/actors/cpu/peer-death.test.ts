/**
 * A CPU's death reaches a peer that is blocked sending to it: the blocked sender reads the death in
 * shared memory (it cannot take the host's message while blocked) and everything it addresses to the
 * dead CPU fails as the CPU's death, not as a full ring after the outbox deadline. Real worker threads.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { DiesBusy, Flooder } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('a peer that dies while another floods it (worker threads)', function () {
  this.timeout(20_000);

  it('unblocks the flooding CPU at once: what it sends after the death is a dead letter with reason stopped', async () => {
    // An outbox deadline longer than the test's timeout: only news of the death can unblock the sender.
    const kernel = await Kernel.boot({ cpus: 3, modules, outboxWaitMs: 60_000, ringBytes: 16 * 1024 });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      const doomed = await kernel.spawned(kernel.spawn(DiesBusy, { cpu: 1 }));
      const flooder = await kernel.spawned(kernel.spawn(Flooder, { cpu: 2 }));
      doomed.tell({ type: 'die-after', ms: 300 });
      const count = 20_000;
      const accepted = await flooder.ask({ type: 'flood', to: doomed as never, count }, { deadlineMs: 60_000 });
      expect(accepted).to.be.below(count);
      // The flooder's refusals reach CPU 0 as reports (bounded: the rest are counted as dropped).
      const fromFlooder = await eventually(() => {
        const found = letters.filter((letter) => letter.cpu === 2);
        return found.length > 0 ? found : undefined;
      });
      expect(new Set(fromFlooder.map((letter) => letter.reason))).to.deep.equal(new Set(['stopped']));
    } finally {
      await kernel.shutdown();
    }
  });
});
