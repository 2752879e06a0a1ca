/**
 * The delivery contract across CPUs: every message sent to an actor on another CPU is delivered,
 * refused to its sender, or a dead letter with its cause; never nothing. A cross-CPU tell cannot
 * return false once its frame is in the ring, so a refusal on the receiving side is a dead letter.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { eventually } from '../../helpers/eventually.js';
import { settle } from '../../helpers/kernel.js';
import { AskTimeoutError } from '../../../ground/errors.js';
import { pidCpu } from '../../../ground/pid.js';
import { PatientAsker, SlowReplier, Stalled } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('delivery across CPUs', () => {
  it("a tell refused by a full 'reject' mailbox on the far CPU is a dead letter with its cause, seen on CPU 0", async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 4, cpus: 2, modules });
    const letters: DeadLetter[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter));
    const stalled = kernel.spawn(Stalled, { cpu: 1, mailboxCapacity: 2, overflow: 'reject' });
    await settle(kernel);
    const sent = 10;
    let accepted = 0;
    for (let n = 0; n < sent; n++) if (stalled.tell({ type: 'work', n })) accepted++;
    for (let i = 0; i < 20; i++) await kernel.advance(1);
    // One is being handled (forever), two wait in its mailbox, the rest were refused there.
    const refused = letters.filter((letter) => letter.reason === 'mailbox-full');
    expect(accepted, 'the frames all left CPU 0').to.equal(sent);
    expect(refused.map((letter) => [letter.cpu, (letter.message as { n: number }).n])).to.deep.equal([3, 4, 5, 6, 7, 8, 9].map((n) => [1, n]));
    expect(1 + 2 + refused.length).to.equal(sent);
    await kernel.shutdown();
  });

  it("an ask waits on the far CPU as long as its asker does, not that CPU's default deadline", async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules, askDeadlineMs: 100 });
    const slow = kernel.spawn(SlowReplier, { cpu: 1 });
    await settle(kernel);
    const patient = slow.ask({ type: 'answer-after', ms: 300 }, { deadlineMs: 1_000 });
    const hasty = slow.ask({ type: 'answer-after', ms: 300 }).catch((error: unknown) => error);
    for (let i = 0; i < 40; i++) await kernel.advance(10);
    expect(await patient).to.equal('answered');
    expect(await hasty, 'an ask with the default deadline still gives up at 100 ms').to.be.instanceOf(AskTimeoutError);
    await kernel.shutdown();
  });

  it('an ask from an actor waits on the far CPU as long as that actor does', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 7, cpus: 2, modules, askDeadlineMs: 100 });
    const slow = kernel.spawn(SlowReplier, { cpu: 1 });
    const asker = kernel.spawn(PatientAsker);
    await settle(kernel);
    const patient = asker.ask({ type: 'ask-slow', to: slow.pid, ms: 300, deadlineMs: 1_000 }, { deadlineMs: 2_000 });
    // Asked after the first one's answer: the asker's receive awaits, so it takes one at a time.
    const hasty = asker.ask({ type: 'ask-slow', to: slow.pid, ms: 300, deadlineMs: 150 }, { deadlineMs: 2_000 });
    for (let i = 0; i < 100; i++) await kernel.advance(10);
    expect(await patient).to.equal('answered');
    expect(await hasty, 'one that waits 150 ms gives up then').to.equal('AskTimeoutError');
    await kernel.shutdown();
  });
});

describe('delivery across CPUs (worker threads)', function () {
  this.timeout(20_000);

  it("tells to an actor awaiting an async handler on a worker, with a full 'reject' mailbox: each is delivered or a dead letter, none lost", async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules });
    try {
      const letters: DeadLetter[] = [];
      kernel.deadLetters.subscribe((letter) => letters.push(letter));
      const capacity = 10;
      const stalled = await kernel.spawned(kernel.spawn(Stalled, { cpu: 1, mailboxCapacity: capacity, overflow: 'reject' }));
      // Under the reports' bound (1 024 queued per CPU), so every dead letter reaches CPU 0.
      const sent = 1_000;
      for (let n = 0; n < sent; n++) expect(stalled.tell({ type: 'work', n })).to.equal(true);
      // One is being handled (for ever), `capacity` wait in its mailbox, the rest are refused there.
      const refused = await eventually(() => {
        const found = letters.filter((letter) => letter.cpu === 1 && letter.reason === 'mailbox-full');
        return found.length >= sent - 1 - capacity ? found : undefined;
      });
      expect(refused.map((letter) => (letter.message as { n: number }).n)).to.deep.equal([...Array(sent - 1 - capacity).keys()].map((n) => n + 1 + capacity));
    } finally {
      await kernel.shutdown();
    }
  });
});

describe('asks carried by a move', () => {
  it('an ask still in the mailbox of an actor that moves waits on its new CPU as long as its asker does', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 6, cpus: 2, modules, askDeadlineMs: 100 });
    const slow = kernel.spawn(SlowReplier);
    await settle(kernel);
    // The scheduler's ask runs before the actor's next turn: the ask below moves in its mailbox.
    const moved = kernel.scheduler.ask({ type: 'sched.migrate', pid: slow.pid, cpu: 1 });
    const patient = slow.ask({ type: 'answer-after', ms: 300 }, { deadlineMs: 1_000 });
    for (let i = 0; i < 60; i++) await kernel.advance(10);
    expect(await moved).to.equal(true);
    expect(pidCpu(slow.pid), 'it moved').to.equal(1);
    expect(await patient).to.equal('answered');
    await kernel.shutdown();
  });
});
