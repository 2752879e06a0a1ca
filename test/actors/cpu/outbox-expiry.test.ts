/**
 * A frame that must arrive waits in its outbox with no deadline; the `wait` frames behind it still
 * become dead letters at theirs (`outboxWaitMs`), and their senders run again, while the frame
 * ahead and what is behind within its deadline keep their order.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { Outboxes, wholeFrame } from '../../../actors/cpu/outbox.js';
import type { CpuPort } from '../../../actors/cpu/port.js';

describe('an outbox with a frame that must arrive at its head', () => {
  it('expires the wait frames behind it at their deadline and keeps the rest in order', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 15 });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      // A ring to CPU 1 that takes a frame only when the test lets it, recording what it takes.
      let room = 0;
      const sent: number[] = [];
      const port = {
        cpus: 2,
        offer: (_cpu: number, bytes: Uint8Array) => {
          if (room <= 0) return false;
          room--;
          sent.push(bytes[0]!);
          return true;
        },
      } as unknown as CpuPort;
      const waitMs = 50;
      const outboxes = new Outboxes(kernel.core, port, 'wait', waitMs, 1 << 20);
      const frame = (tag: number) => wholeFrame(Uint8Array.of(tag));
      expect(outboxes.offer(1, frame(1), { type: 'reply', tag: 1 }, 0, null, 'must-arrive')).to.equal(true);
      expect(outboxes.offer(1, frame(2), { type: 'note', tag: 2 }, 0, null)).to.equal(true);
      await kernel.advance(waitMs / 2);
      expect(outboxes.offer(1, frame(3), { type: 'note', tag: 3 }, 0, null)).to.equal(true);
      expect(outboxes.offer(1, frame(4), { type: 'reply', tag: 4 }, 0, null, 'must-arrive')).to.equal(true);
      await kernel.advance(waitMs / 2);
      outboxes.flush();
      expect(
        letters.map((letter) => (letter.message as { tag: number }).tag),
        'the first wait frame is past its deadline',
      ).to.deep.equal([2]);
      expect(outboxes.waiting).to.equal(3);
      await kernel.advance(waitMs / 2);
      outboxes.flush();
      expect(letters.map((letter) => (letter.message as { tag: number }).tag)).to.deep.equal([2, 3]);
      expect(letters.every((letter) => letter.reason === 'ring-full')).to.equal(true);
      // The frames that must arrive are still there, in order, and leave once the ring has room.
      room = 10;
      outboxes.flush();
      expect(sent).to.deep.equal([1, 4]);
      expect(outboxes.waiting).to.equal(0);
    } finally {
      await kernel.shutdown();
    }
  });
});

describe('an outbox offered a frame while an expired one waits', () => {
  it("sends the frame as it was offered, though the expired one's dead letter made its subscriber encode into the same buffer", async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 16 });
    try {
      // Stands for the encoder's buffer: every frame lies in it until the next encode in the thread.
      const encoderBuffer = new Uint8Array(4);
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => {
        letters.push(letter);
        encoderBuffer.fill(0xee); // the subscriber sends something: the next encode overwrites the buffer
      });
      let room = 0;
      const sent: number[] = [];
      const port = {
        cpus: 2,
        offer: (_cpu: number, bytes: Uint8Array, offset: number) => {
          if (room <= 0) return false;
          room--;
          sent.push(bytes[offset]!);
          return true;
        },
      } as unknown as CpuPort;
      const waitMs = 50;
      const outboxes = new Outboxes(kernel.core, port, 'wait', waitMs, 1 << 20);
      const inBuffer = (tag: number) => {
        encoderBuffer[0] = tag;
        return { bytes: encoderBuffer, offset: 0, length: 1 };
      };
      expect(outboxes.offer(1, inBuffer(1), { type: 'note', tag: 1 }, 0, null)).to.equal(true);
      // Past its deadline before the retry timer looks again: the next offer finds it expired.
      const clock = kernel.core.clock as { now(): number };
      const nowMs = clock.now();
      clock.now = () => nowMs + 2 * waitMs;
      try {
        room = 1;
        expect(outboxes.offer(1, inBuffer(2), { type: 'note', tag: 2 }, 0, null)).to.equal(true);
      } finally {
        delete (clock as { now?: unknown }).now;
      }
      expect(letters.map((letter) => (letter.message as { tag: number }).tag)).to.deep.equal([1]);
      expect(sent, 'the second frame, not what the subscriber wrote').to.deep.equal([2]);
    } finally {
      await kernel.shutdown();
    }
  });
});
