import { expect } from 'chai';
import fc from 'fast-check';
import {
  Actor,
  ActorCrashedError,
  ActorExitedError,
  ActorStoppedError,
  AskTimeoutError,
  fromReceive,
  Kernel,
  type ActorContext,
  type ActorRef,
  type Ask,
} from '../../../boot/index.js';
import { bootSimulated, collectDeadLetters, rejectionOf, settle, shutdown } from './helpers.js';

type EchoMsg =
  | Ask<{ readonly type: 'echo'; readonly text: string }, string>
  | Ask<{ readonly type: 'silent' }, number>
  | Ask<{ readonly type: 'later' }, string>
  | Ask<{ readonly type: 'crash' }, never>
  | { readonly type: 'release' };

class Echo extends Actor<EchoMsg> {
  private parked: ((value: string) => boolean) | null = null;
  receive(msg: EchoMsg, ctx: ActorContext<EchoMsg>): void {
    switch (msg.type) {
      case 'echo':
        ctx.reply(msg, msg.text);
        break;
      case 'silent':
        break;
      case 'later': {
        const handle = ctx.replyLater(msg);
        this.parked = (value) => handle.resolve(value);
        break;
      }
      case 'release':
        this.parked?.('released');
        break;
      case 'crash':
        throw new Error('nope');
    }
  }
}

/** Node timers that keep the process alive now (a let-go timer is not among them). */
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
const macrotask = () => new Promise((resolve) => setImmediate(resolve));

/**
 * An ask the echo answers on a later tell, on a real clock: its deadline timer is armed right after
 * the ask (one more than `timersBefore`), and the answer arrives. Resolves a macrotask after the answer.
 */
async function askAnsweredLater(echo: ActorRef<EchoMsg>, deadlineMs: number, timersBefore: number): Promise<void> {
  const asked = echo.ask({ type: 'later' }, { deadlineMs });
  await null;
  expect(timers(), 'armed right after the ask').to.equal(timersBefore + 1);
  echo.tell({ type: 'release' });
  expect(await asked).to.equal('released');
  await macrotask();
}

describe('ask', () => {
  it('on a real clock, keeps the deadline timer for the next ask without holding the process while no ask waits', async () => {
    const kernel = await Kernel.boot();
    try {
      const echo = kernel.spawn(Echo);
      const before = timers();
      // Answered later: the ask waits in the table, and its deadline timer keeps the process.
      await askAnsweredLater(echo, 40, before);
      expect(timers(), 'nothing waits: the timer lets the process end').to.equal(before);
      // Due after the idle timer: that timer is taken back, and at its time re-armed for this one.
      const startMs = performance.now();
      const second = rejectionOf(echo.ask({ type: 'silent' }, { deadlineMs: 60 }));
      await null;
      expect(timers(), 'the idle timer keeps the process again').to.equal(before + 1);
      expect(await second).to.be.instanceOf(AskTimeoutError);
      expect(performance.now() - startMs, 'not before its own deadline').to.be.at.least(59);
      // Due before the idle timer: a timer is armed for it, not left to the idle one's time.
      const third = echo.ask({ type: 'later' }, { deadlineMs: 5_000 });
      echo.tell({ type: 'release' });
      await third;
      await macrotask();
      const earlierMs = performance.now();
      expect(await rejectionOf(echo.ask({ type: 'silent' }, { deadlineMs: 30 }))).to.be.instanceOf(AskTimeoutError);
      expect(performance.now() - earlierMs, 'at its own deadline, long before the idle timer’s').to.be.below(2_500);
    } finally {
      await kernel.shutdown();
    }
  });

  it('takes a deadline longer than a timer can wait, and fails the ask at it', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    let settled = false;
    const failed = rejectionOf(echo.ask({ type: 'silent' }, { deadlineMs: 2 ** 32 }));
    void failed.then(() => (settled = true));
    await kernel.advance(2 ** 32 - 1);
    expect(settled, 'not before its deadline').to.equal(false);
    await kernel.advance(1);
    expect(await failed).to.be.instanceOf(AskTimeoutError);
    await shutdown(kernel);
  });

  it('with worker CPUs, whose threads keep the process alive anyway, leaves the deadline timer armed between asks until shutdown', async () => {
    const kernel = await Kernel.boot({ cpus: 2 });
    const before = timers();
    try {
      const echo = kernel.spawn(Echo, { cpu: 0 });
      await askAnsweredLater(echo, 60_000, before);
      expect(timers(), 'still armed, for the next ask').to.equal(before + 1);
    } finally {
      await kernel.shutdown();
    }
    expect(timers(), 'cancelled at shutdown').to.equal(before);
  });

  it('resolves with the typed reply', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    const reply = echo.ask({ type: 'echo', text: 'hi' });
    await settle(kernel);
    expect(await reply).to.equal('hi');
    await shutdown(kernel);
  });

  it('fails with AskTimeoutError naming the target and message type when the deadline passes', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo, { name: 'echo' });
    const reply = echo.ask({ type: 'silent' }, { deadlineMs: 250 });
    await kernel.simulatedClock.advance(249);
    let settled = false;
    void reply.then(
      () => (settled = true),
      () => (settled = true),
    );
    await kernel.simulatedClock.advance(0);
    expect(settled).to.equal(false);
    await kernel.simulatedClock.advance(1);
    const error = await rejectionOf(reply);
    expect(error).to.be.instanceOf(AskTimeoutError);
    expect((error as AskTimeoutError).target).to.contain('echo');
    expect((error as AskTimeoutError).messageType).to.equal('silent');
    expect((error as AskTimeoutError).deadlineMs).to.equal(250);
    await shutdown(kernel);
  });

  it('uses a 5 s deadline by default', async () => {
    const kernel = await bootSimulated();
    const reply = kernel.spawn(Echo).ask({ type: 'silent' });
    await kernel.simulatedClock.advance(4_999);
    await kernel.simulatedClock.advance(1);
    expect(await rejectionOf(reply)).to.be.instanceOf(AskTimeoutError);
    await shutdown(kernel);
  });

  it('sends a reply that comes after the deadline to dead letters', async () => {
    const kernel = await bootSimulated();
    const letters = collectDeadLetters(kernel);
    const echo = kernel.spawn(Echo);
    const reply = echo.ask({ type: 'later' }, { deadlineMs: 10 });
    await kernel.simulatedClock.advance(20);
    expect(await rejectionOf(reply)).to.be.instanceOf(AskTimeoutError);
    echo.tell({ type: 'release' });
    await settle(kernel);
    expect(letters.map((l) => [l.reason, l.message])).to.deep.equal([['ask-ended', 'released']]);
    await shutdown(kernel);
  });

  it('fails each of many asks at its own deadline, whatever order they were made in; answered ones never', async () => {
    // fast-check draws the deadlines; time is virtual, so "at its own deadline" is exact.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ deadlineMs: fc.integer({ min: 1, max: 400 }), answered: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        async (asks) => {
          const kernel = await bootSimulated();
          const echo = kernel.spawn(Echo);
          const outcomes: (number | 'answered')[] = asks.map(() => -1);
          asks.forEach(({ deadlineMs, answered }, index) => {
            const reply = answered ? echo.ask({ type: 'echo', text: 'x' }, { deadlineMs }) : echo.ask({ type: 'silent' }, { deadlineMs });
            reply.then(
              () => (outcomes[index] = 'answered'),
              (error: unknown) => {
                expect(error).to.be.instanceOf(AskTimeoutError);
                outcomes[index] = kernel.clock.now();
              },
            );
          });
          await kernel.simulatedClock.runUntilIdle();
          expect(outcomes).to.deep.equal(asks.map(({ deadlineMs, answered }) => (answered ? 'answered' : deadlineMs)));
          await shutdown(kernel);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('leaves no timer behind once every ask is answered, so an idle simulation does not run to a deadline', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    for (let n = 0; n < 3; n++) {
      const reply = echo.ask({ type: 'echo', text: `${n}` });
      await settle(kernel);
      expect(await reply).to.equal(`${n}`);
    }
    await kernel.simulatedClock.runUntilIdle();
    expect(kernel.simulatedClock.pendingTimers()).to.equal(0);
    expect(kernel.clock.now()).to.be.below(5_000);
    await shutdown(kernel);
  });

  it('answers later through replyLater', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    const reply = echo.ask({ type: 'later' });
    await settle(kernel);
    echo.tell({ type: 'release' });
    await settle(kernel);
    expect(await reply).to.equal('released');
    await shutdown(kernel);
  });

  it('fails at once with ActorStoppedError when the target is stopped', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    const stopped = kernel.stop(echo);
    await settle(kernel);
    await stopped;
    const error = await rejectionOf(echo.ask({ type: 'echo', text: 'x' }));
    expect(error).to.be.instanceOf(ActorStoppedError);
    await shutdown(kernel);
  });

  it('fails with ActorCrashedError when the target crashes on the asked message', async () => {
    const kernel = await bootSimulated();
    const echo = kernel.spawn(Echo);
    const reply = echo.ask({ type: 'crash' });
    await settle(kernel);
    const error = await rejectionOf(reply);
    expect(error).to.be.instanceOf(ActorCrashedError);
    expect((error as Error).cause).to.be.instanceOf(Error);
    await shutdown(kernel);
  });

  it('turns a reply to a plain tell into a dead letter with reason no-asker', async () => {
    const kernel = await bootSimulated();
    const letters = collectDeadLetters(kernel);
    const replier = kernel.spawn(fromReceive<{ readonly type: 'x' }>((msg, ctx) => ctx.reply(msg, 1 as never)));
    replier.tell({ type: 'x' });
    await settle(kernel);
    expect(letters.map((l) => l.reason)).to.deep.equal(['no-asker']);
    await shutdown(kernel);
  });

  it('refuses reply() outside of handling that message', async () => {
    const kernel = await bootSimulated();
    let saved: { ctx: ActorContext<EchoMsg>; msg: EchoMsg } | undefined;
    const actor = kernel.spawn(fromReceive<EchoMsg>((msg, ctx) => void (saved = { ctx, msg })));
    actor.tell({ type: 'release' });
    await settle(kernel);
    expect(() => saved!.ctx.reply(saved!.msg as never, 'x' as never)).to.throw(/replyLater/);
    await shutdown(kernel);
  });

  // On a real clock an ask from outside runs its drain inside the call, and an ask answered there
  // keeps no entry, deadline or timer (actors/runtime/asks.ts, `answering`). The same outcomes as
  // the usual way, which the cases above check on a simulated clock.
  describe('from outside, answered in the drain it runs (real clock)', () => {
    it('resolves, and leaves nothing in flight', async () => {
      const kernel = await Kernel.boot();
      const echo = kernel.spawn(Echo);
      const reply = echo.ask({ type: 'echo', text: 'now' });
      expect(kernel.core.asks.size, 'answered before ask() returned').to.equal(0);
      expect(await reply).to.equal('now');
      await kernel.shutdown();
    });

    it('keeps one not answered in that drain in flight, with its deadline, until replyLater answers it', async () => {
      const kernel = await Kernel.boot();
      const echo = kernel.spawn(Echo);
      const later = echo.ask({ type: 'later' });
      expect(kernel.core.asks.size).to.equal(1);
      echo.tell({ type: 'release' });
      expect(await later).to.equal('released');
      expect(kernel.core.asks.size).to.equal(0);
      const error = await rejectionOf(echo.ask({ type: 'silent' }, { deadlineMs: 20 }));
      expect(error).to.be.instanceOf(AskTimeoutError);
      expect((error as AskTimeoutError).messageType).to.equal('silent');
      await kernel.shutdown();
    });

    it('leaves nothing of an ask to the next when its drain throws (a kernel bug)', async () => {
      const kernel = await Kernel.boot();
      const echo = kernel.spawn(Echo);
      const dispatcher = kernel.core.dispatcher;
      const drain = dispatcher.drain;
      // The drain answers the ask, then throws: the bug surfaces in the ask that ran it. A new
      // actor's first ask is delivered (it joins the scheduler at its first wake), and `drain` runs.
      dispatcher.drain = function (this: typeof dispatcher) {
        drain.call(this);
        dispatcher.drain = drain;
        throw new Error('a kernel bug in a drain');
      };
      expect(() => echo.ask({ type: 'echo', text: 'first' })).to.throw('a kernel bug in a drain');
      // The next ask is left waiting: it must wait for its own answer.
      const later = echo.ask({ type: 'later' });
      echo.tell({ type: 'release' });
      expect(await later).to.equal('released');
      await kernel.shutdown();
    });

    it('fails an ask that an async receive still works on when the actor is killed, naming the ask', async () => {
      const kernel = await Kernel.boot();
      type WaitMsg = Ask<{ readonly type: 'wait' }, number>;
      const waiter = kernel.spawn(fromReceive<WaitMsg>(() => new Promise<void>(() => {})));
      const asked = waiter.ask({ type: 'wait' });
      kernel.exit(waiter, 'kill');
      const error = await rejectionOf(asked);
      expect(error).to.be.instanceOf(ActorExitedError);
      expect((error as ActorExitedError).messageType).to.equal('wait');
      expect(kernel.core.asks.size).to.equal(0);
      await kernel.shutdown();
    });

    it('fails with the reason the drain found: a crash on the message, a stopped target', async () => {
      const kernel = await Kernel.boot();
      const echo = kernel.spawn(Echo);
      const crashed = await rejectionOf(echo.ask({ type: 'crash' }));
      expect(crashed).to.be.instanceOf(ActorCrashedError);
      await kernel.stop(echo);
      expect(await rejectionOf(echo.ask({ type: 'echo', text: 'x' }))).to.be.instanceOf(ActorStoppedError);
      expect(kernel.core.asks.size).to.equal(0);
      await kernel.shutdown();
    });
  });
});
