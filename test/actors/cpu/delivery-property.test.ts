/**
 * The delivery contract across CPUs, as a property over simulated CPUs: for any sender overflow
 * policy, receiver mailbox policy and bound, receiver state (running, awaiting an async handler,
 * waiting out a restart backoff, stopped, moving to another CPU mid-stream) and message counts, every message two senders send
 * (one outside any actor on CPU 0, one actor on CPU 2) is delivered, refused to its sender (`tell`
 * false, the sender keeps it), or a dead letter with its cause; exactly one of these, never nothing,
 * and each sender's delivered messages arrive in the order they were sent.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { stressSize } from '../../helpers/stress.js';
import type { ActorRef } from '../../../boot/index.js';
import { Gated, type GatedMsg, GatedSupervisor, gates, Mover, Teller } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

const receiverStates = ['running', 'awaiting', 'restarting', 'stopped', 'moving'] as const;

interface Case {
  readonly seed: number;
  readonly crossCpuOverflow: 'reject' | 'drop-newest' | 'wait';
  readonly overflow: 'reject' | 'drop-newest' | 'drop-oldest';
  readonly mailboxCapacity: number;
  readonly state: (typeof receiverStates)[number];
  /** Notes sent from outside any actor on CPU 0 (tag 0) and by an actor on CPU 2 (tag 2). */
  readonly counts: readonly [number, number];
}

const cases: fc.Arbitrary<Case> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  crossCpuOverflow: fc.constantFrom('reject', 'drop-newest', 'wait'),
  overflow: fc.constantFrom('reject', 'drop-newest', 'drop-oldest'),
  mailboxCapacity: fc.integer({ min: 1, max: 64 }),
  state: fc.constantFrom(...receiverStates),
  counts: fc.tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 })),
});

/** The tag of the note that puts an `awaiting` receiver into its async handler; not counted. */
const openerTag = 9;

let run = 0;

async function deliveryHolds(c: Case): Promise<void> {
  // Small rings (a frame is at most 4 KiB), so bursts meet full rings and every overflow policy acts.
  const kernel = await Kernel.boot({ mode: 'simulated', seed: c.seed, cpus: 3, modules, ringBytes: 8192, crossCpuOverflow: c.crossCpuOverflow });
  try {
    const letters: DeadLetter[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter));
    const gate = c.state === 'awaiting' ? `gate-${run++}` : '';
    const options = { mailboxCapacity: c.mailboxCapacity, overflow: c.overflow };
    const receiver: ActorRef<GatedMsg> =
      c.state === 'restarting'
        ? await kernel.runUntil(kernel.spawn(GatedSupervisor, { cpu: 1 }).ask({ type: 'start-child', options }) as Promise<ActorRef<GatedMsg>>)
        : kernel.spawn(Gated, { cpu: 1, ...options, args: { gate } });
    const teller = kernel.spawn(Teller, { cpu: 2 });
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await kernel.settle();
    if (c.state === 'stopped') await kernel.runUntil(kernel.stop(receiver));
    if (c.state === 'awaiting') {
      receiver.tell({ type: 'note', from: openerTag, seq: 0 });
      await kernel.settle();
    }
    // It crashes, and everything below is sent during its supervisor's 50 ms backoff, in virtual time.
    if (c.state === 'restarting') receiver.tell({ type: 'crash' });
    const refused: [number[], number[]] = [[], []];
    /** Sends the first or second half of each sender's notes. */
    const send = async (half: 0 | 1): Promise<void> => {
      const [count0, count2] = c.counts;
      for (let seq = half === 0 ? 0 : count0 >> 1; seq < (half === 0 ? count0 >> 1 : count0); seq++) {
        if (!receiver.tell({ type: 'note', from: 0, seq })) refused[0].push(seq);
      }
      const [start2, end2] = half === 0 ? [0, count2 >> 1] : [count2 >> 1, count2];
      refused[1].push(...(await kernel.runUntil(teller.ask({ type: 'tell', target: receiver, tag: 2, from: start2, to: end2 }))));
    };
    await send(0);
    if (c.state === 'moving') {
      // The move is refused while the receiver handles a message; the rest of the stream goes on either way.
      await kernel.runUntil(mover.ask({ type: 'move', pid: receiver.pid, cpu: 0 }));
    }
    await send(1);
    gates.get(gate)?.();
    gates.delete(gate);
    await kernel.runUntilIdle({ timeMsMax: 60_000 });
    const notes = c.state === 'stopped' ? [] : await kernel.runUntil(receiver.ask({ type: 'notes' }));
    await kernel.runUntilIdle({ timeMsMax: 60_000 });
    for (const [index, tag] of [0, 2].entries()) {
      const delivered = notes.filter(([from]) => from === tag).map(([, seq]) => seq);
      const dead = letters.filter((letter) => (letter.message as { from?: number }).from === tag).map((letter) => (letter.message as { seq: number }).seq);
      // A tell that returns false may also be a dead letter (to a stopped actor, say): it is counted once, as the dead letter.
      const kept = refused[index]!.filter((seq) => !dead.includes(seq));
      const all = [...delivered, ...kept, ...dead].sort((a, b) => a - b);
      expect(all, `sender ${tag}: each message delivered, refused or a dead letter, once`).to.deep.equal([...Array(c.counts[index]).keys()]);
      expect(delivered, `sender ${tag}: in order`).to.deep.equal([...delivered].sort((a, b) => a - b));
    }
    for (const letter of letters) expect(letter.reason, 'a dead letter has its cause').to.be.a('string').and.not.equal('');
  } finally {
    await kernel.runUntil(kernel.shutdown());
  }
}

describe('the delivery contract across CPUs (property, simulated CPUs)', function () {
  this.timeout(120_000);

  it('every message is delivered in order, refused to its sender, or a dead letter with its cause: never nothing', async () => {
    await fc.assert(fc.asyncProperty(cases, deliveryHolds), { numRuns: stressSize('DELIVERY_RUNS', { ci: 60, full: 1_000 }) });
  });
});
