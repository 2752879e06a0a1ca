/**
 * Two CPUs that stream into each other, each in one turn far more than the other's mailbox holds:
 * both streams finish, whole and in order. A sender whose frames must wait is parked, not its
 * thread, and a parked actor whose own mailbox fills runs again to take in what it is sent, so the
 * two never wait for each other. Real worker threads.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { stressSize } from '../../helpers/stress.js';
import { Streamer } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('two CPUs streaming into each other (worker threads)', function () {
  this.timeout(60_000);

  it('with default mailboxes, each side delivers every message of a one-turn burst larger than the ring and the mailbox together', async () => {
    // The ring holds about 6 000 of these frames and each mailbox 1 000: the CI size overflows both.
    const count = stressSize('MUTUAL_STREAM_MESSAGES', { ci: 12_000, full: 60_000 });
    const kernel = await Kernel.boot({ cpus: 3, modules });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      const one = await kernel.spawned(kernel.spawn(Streamer, { cpu: 1 }));
      const two = await kernel.spawned(kernel.spawn(Streamer, { cpu: 2 }));
      const accepted = await Promise.all([
        one.ask({ type: 'stream', to: two as never, count, tag: 1 }, { deadlineMs: 50_000 }),
        two.ask({ type: 'stream', to: one as never, count, tag: 2 }, { deadlineMs: 50_000 }),
      ]);
      expect(accepted).to.deep.equal([count, count]);
      // Notes from the other worker and these asks from CPU 0 come on different rings: ask until all are in.
      for (const streamer of [one, two]) {
        const summary = await eventually(async () => {
          const got = await streamer.ask({ type: 'summary' });
          return got.count >= count ? got : undefined;
        });
        expect(summary).to.deep.equal({ count, inOrder: true });
      }
      expect(letters).to.deep.equal([]);
    } finally {
      await kernel.shutdown();
    }
  });
});
