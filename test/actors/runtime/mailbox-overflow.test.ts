import { expect } from 'chai';
import { Actor, MailboxFullError, type ActorContext, type Ask, type Behavior, type OverflowPolicy } from '../../../boot/index.js';
import { bootSimulated, collectDeadLetters, rejectionOf, settle, shutdown } from './helpers.js';

type Msg = { readonly type: 'item'; readonly n: number } | Ask<{ readonly type: 'ask'; readonly n: number }, number>;

function recorder(seen: number[]): Behavior<Msg> {
  return class Recorder extends Actor<Msg> {
    receive(msg: Msg, ctx: ActorContext<Msg>): void {
      seen.push(msg.n);
      if (msg.type === 'ask') ctx.reply(msg, msg.n);
    }
  };
}

async function fill(policy: OverflowPolicy) {
  const kernel = await bootSimulated();
  const letters = collectDeadLetters(kernel);
  const seen: number[] = [];
  const ref = kernel.spawn(recorder(seen), { mailboxCapacity: 3, overflow: policy });
  // Nothing runs until the clock turns, so these all land in the mailbox first.
  const accepted = [1, 2, 3, 4, 5].map((n) => ref.tell({ type: 'item', n }));
  return { kernel, letters, seen, ref, accepted };
}

describe('mailbox overflow policies', () => {
  it('reject: tell returns false, the sender keeps the message, nothing is a dead letter', async () => {
    const { kernel, letters, seen, accepted } = await fill('reject');
    expect(accepted).to.deep.equal([true, true, true, false, false]);
    await settle(kernel);
    expect(seen).to.deep.equal([1, 2, 3]);
    expect(letters).to.have.length(0);
    await shutdown(kernel);
  });

  it('reject: an ask to a full mailbox fails at once with MailboxFullError', async () => {
    const { kernel, ref } = await fill('reject');
    const error = await rejectionOf(ref.ask({ type: 'ask', n: 9 }));
    expect(error).to.be.instanceOf(MailboxFullError);
    expect((error as MailboxFullError).capacity).to.equal(3);
    await shutdown(kernel);
  });

  it('drop-newest: the new messages go to dead letters with their sender', async () => {
    const { kernel, letters, seen, accepted } = await fill('drop-newest');
    expect(accepted).to.deep.equal([true, true, true, false, false]);
    await settle(kernel);
    expect(seen).to.deep.equal([1, 2, 3]);
    expect(letters.map((l) => [l.reason, (l.message as { n: number }).n, l.from])).to.deep.equal([
      ['mailbox-full', 4, 0],
      ['mailbox-full', 5, 0],
    ]);
    await shutdown(kernel);
  });

  it('drop-oldest: the oldest queued messages go to dead letters and the new ones are kept', async () => {
    const { kernel, letters, seen, accepted } = await fill('drop-oldest');
    expect(accepted).to.deep.equal([true, true, true, true, true]);
    await settle(kernel);
    expect(seen).to.deep.equal([3, 4, 5]);
    expect(letters.map((l) => [l.reason, (l.message as { n: number }).n])).to.deep.equal([
      ['dropped-oldest', 1],
      ['dropped-oldest', 2],
    ]);
    await shutdown(kernel);
  });

  it('drop-oldest: an evicted ask fails at once instead of waiting for its deadline', async () => {
    const kernel = await bootSimulated();
    const ref = kernel.spawn(recorder([]), { mailboxCapacity: 1, overflow: 'drop-oldest' });
    const evicted = ref.ask({ type: 'ask', n: 1 });
    const kept = ref.ask({ type: 'ask', n: 2 });
    await settle(kernel);
    expect(await rejectionOf(evicted)).to.be.instanceOf(MailboxFullError);
    expect(await kept).to.equal(2);
    await shutdown(kernel);
  });

  it('messages left in a stopped actor become dead letters with reason stopped', async () => {
    const kernel = await bootSimulated();
    const letters = collectDeadLetters(kernel);
    const ref = kernel.spawn(recorder([]));
    ref.tell({ type: 'item', n: 1 });
    const stopped = kernel.stop(ref);
    await settle(kernel);
    await stopped;
    expect(ref.tell({ type: 'item', n: 2 })).to.equal(false);
    expect(letters.map((l) => l.reason)).to.include('stopped');
    expect(letters.map((l) => (l.message as { n: number }).n)).to.include(2);
    await shutdown(kernel);
  });
});

describe('system lane', () => {
  it('a stop overtakes a full user mailbox', async () => {
    const kernel = await bootSimulated();
    const seen: number[] = [];
    const log: string[] = [];
    class Slow extends Actor<Msg> {
      receive(msg: Msg): void {
        seen.push(msg.n);
      }
      stopped(): void {
        log.push(`stopped after ${seen.length}`);
      }
    }
    const ref = kernel.spawn(Slow, { mailboxCapacity: 200, overflow: 'reject' });
    for (let n = 0; n < 200; n++) ref.tell({ type: 'item', n });
    expect(ref.tell({ type: 'item', n: 200 })).to.equal(false);
    // The stop is queued after 200 user messages, yet the actor handles none of them.
    const stopped = kernel.stop(ref);
    await settle(kernel);
    await stopped;
    expect(log).to.deep.equal(['stopped after 0']);
    await shutdown(kernel);
  });

  it('ctx.stop() takes effect right after the current message', async () => {
    const kernel = await bootSimulated();
    const seen: number[] = [];
    const ref = kernel.spawn(
      class extends Actor<Msg> {
        receive(msg: Msg, ctx: ActorContext<Msg>): void {
          seen.push(msg.n);
          if (msg.n === 1) ctx.stop();
        }
      },
    );
    for (let n = 0; n < 5; n++) ref.tell({ type: 'item', n });
    await settle(kernel);
    expect(seen).to.deep.equal([0, 1]);
    expect(ref.tell({ type: 'item', n: 9 })).to.equal(false);
    await shutdown(kernel);
  });
});

describe('kernel.runInTurnOf (the interrupt-wake path)', () => {
  it('runs in the actor’s turn ahead of queued user messages, and a throw crashes the actor', async () => {
    const kernel = await bootSimulated();
    const order: string[] = [];
    const failures: string[] = [];
    kernel.failures.subscribe((f) => failures.push((f.error as Error).message));
    const ref = kernel.spawn(
      class extends Actor<Msg> {
        receive(msg: Msg): void {
          order.push(`msg ${msg.n}`);
        }
      },
    );
    ref.tell({ type: 'item', n: 1 });
    ref.tell({ type: 'item', n: 2 });
    expect(kernel.core.runInTurnOf(ref as never, (self) => void order.push(`wake in ${String(self.pid === ref.pid)}`))).to.equal(true);
    await settle(kernel);
    expect(order).to.deep.equal(['wake in true', 'msg 1', 'msg 2']);
    kernel.core.runInTurnOf(ref as never, () => {
      throw new Error('handler broke');
    });
    await settle(kernel);
    expect(failures).to.deep.equal(['handler broke']);
    await shutdown(kernel);
  });
});

describe('system lane fairness', () => {
  it('under the fifo policy, an item queued during a turn waits for the next turn, behind other runnable actors', async () => {
    const kernel = await bootSimulated(1, { scheduler: 'fifo' });
    const order: string[] = [];
    const a = kernel.spawn(
      class extends Actor<Msg> {
        receive(): void {}
      },
    );
    const b = kernel.spawn(
      class extends Actor<Msg> {
        receive(msg: Msg): void {
          order.push(`b ${msg.n}`);
        }
      },
    );
    kernel.core.runInTurnOf(a as never, () => {
      order.push('a first');
      kernel.core.runInTurnOf(a as never, () => void order.push('a again'));
    });
    b.tell({ type: 'item', n: 1 });
    await settle(kernel);
    expect(order).to.deep.equal(['a first', 'b 1', 'a again']);
    await shutdown(kernel);
  });
});
