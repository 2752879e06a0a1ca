/**
 * An outbox past half full turns mail forwarded for other CPUs away (it waits in its ring), as long
 * as frames still leave it; once none has for `forwardedStallMsMax`, it takes such mail in, so two
 * CPUs that forward into each other, both outboxes past half, cannot wait for each other for ever;
 * but only into its part of the reserve (`acceptedMailReserveShare`), and only while a largest frame
 * fits there, so none it takes is refused and fences and replies keep their room. Stuck for
 * `forwardedDeadlockMsMax`, it takes such mail all the same, and what does not fit is a dead letter.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { acceptedMailReserveShare, forwardedDeadlockMsMax, forwardedStallMsMax, outboxFrameOverheadBytes } from '../../../actors/cpu/limits.js';
import { frameBytesMax } from '../../../protocols/limits.js';
import { Outboxes, wholeFrame } from '../../../actors/cpu/outbox.js';
import type { CpuPort } from '../../../actors/cpu/port.js';

describe('an outbox past half full, for forwarded mail', () => {
  it('waits while frames leave it, takes it in once none has for forwardedStallMsMax up to its part of the reserve, and sheds it after forwardedDeadlockMsMax', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 14 });
    try {
      // A ring to CPU 1 that takes a frame only when the test lets it.
      let room = 0;
      const port = { cpus: 2, offer: () => room-- > 0 } as unknown as CpuPort;
      const frameBytes = 100;
      const bytesMax = 4 * (frameBytesMax + outboxFrameOverheadBytes);
      const outboxes = new Outboxes(kernel.core, port, 'wait', 60_000, bytesMax);
      const frame = wholeFrame(new Uint8Array(frameBytes));
      const half = bytesMax / 2 / (frameBytes + outboxFrameOverheadBytes);
      for (let i = 0; i <= half; i++) expect(outboxes.offer(1, frame, { type: 'note' }, 0, null)).to.equal(true);
      expect(outboxes.takesForwarded(1), 'past half: forwarded mail waits').to.equal(false);
      // Frames keep leaving (one per 10 ms): it goes on turning forwarded mail away.
      for (let step = 0; step < 20; step++) {
        await kernel.advance(10);
        room = 1;
        outboxes.flush();
        outboxes.offer(1, frame, { type: 'note' }, 0, null);
        expect(outboxes.takesForwarded(1), `moving, at ${step * 10} ms`).to.equal(false);
      }
      // Nothing leaves any more: after the stall bound it takes forwarded mail in.
      await kernel.advance(forwardedStallMsMax - 1);
      expect(outboxes.takesForwarded(1)).to.equal(false);
      await kernel.advance(1);
      expect(outboxes.takesForwarded(1), 'stuck: forwarded mail comes in').to.equal(true);
      // Taken in (as mail accepted already) until a largest frame would no longer fit its part of the reserve.
      const acceptedBytesMax = bytesMax * (1 + acceptedMailReserveShare);
      let taken = 0;
      while (outboxes.takesForwarded(1)) {
        expect(outboxes.offer(1, frame, { type: 'note' }, 0, null, 'accepted'), 'taken in, never refused').to.equal(true);
        taken++;
      }
      expect(taken).to.be.above(0);
      // What it held when stuck (the first burst: each step after sent one out and one in), and what it took.
      const heldBytes = (Math.floor(half) + 1 + taken) * (frameBytes + outboxFrameOverheadBytes);
      expect(heldBytes + frameBytesMax + outboxFrameOverheadBytes).to.be.above(acceptedBytesMax);
      expect(heldBytes).to.be.at.most(acceptedBytesMax);
      // Stuck for forwardedDeadlockMsMax: taken in all the same, and what does not fit is a ring-full dead letter.
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      await kernel.advance(forwardedDeadlockMsMax - forwardedStallMsMax - 1);
      expect(outboxes.takesForwarded(1)).to.equal(false);
      await kernel.advance(1);
      expect(outboxes.takesForwarded(1), 'a deadlock past its room: the mail is shed').to.equal(true);
      const bigFrame = wholeFrame(new Uint8Array(frameBytesMax));
      expect(outboxes.offer(1, bigFrame, { type: 'note', seq: 1 }, 0, null, 'accepted')).to.equal(false);
      expect(letters.map((letter) => [letter.reason, letter.message])).to.deep.equal([['ring-full', { type: 'note', seq: 1 }]]);
      outboxes.cpuDown(1);
    } finally {
      await kernel.shutdown();
    }
  });
});
