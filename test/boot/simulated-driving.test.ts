/**
 * Driving a simulated kernel through its public face: `settle`, `advance`, `runUntil` and
 * `runUntilIdle`, and their errors (the exit check is tested in a child process, undriven-exit.test.ts).
 */
import { expect } from 'chai';
import {
  Actor,
  AskTimeoutError,
  BoundExceededError,
  fromReceive,
  fromSetup,
  Kernel,
  UnsettledError,
  UsageError,
  type ActorContext,
  type Ask,
} from '../../boot/index.js';
import { Counter } from '../actors/cpu/fixtures/behaviors.js';

type ClerkMsg =
  | { readonly type: 'add'; readonly n: number }
  | Ask<{ readonly type: 'get' }, number>
  | Ask<{ readonly type: 'get-after'; readonly delayMs: number }, number>
  | Ask<{ readonly type: 'silent' }, number>
  | { readonly type: 'answer' };

/** Counts, answers at once or after a timer, or never. */
class Clerk extends Actor<ClerkMsg> {
  private count = 0;
  private readonly waiting: Array<(value: number) => boolean> = [];
  receive(msg: ClerkMsg, ctx: ActorContext<ClerkMsg>): void {
    switch (msg.type) {
      case 'add':
        this.count += msg.n;
        break;
      case 'get':
        ctx.reply(msg, this.count);
        break;
      case 'get-after': {
        const handle = ctx.replyLater(msg);
        this.waiting.push((value) => handle.resolve(value));
        ctx.startTimer(`answer-${this.waiting.length}`, msg.delayMs, { type: 'answer' });
        break;
      }
      case 'answer':
        this.waiting.shift()?.(this.count);
        break;
      case 'silent':
        break;
    }
  }
}

type Tick = { readonly type: 'tick' };

/** Ticks every `everyMs` for `ticks` times (forever without), counting in `seen`. */
function ticker(everyMs: number, seen: number[], ticks = Infinity) {
  return fromSetup<Tick>(() => ({
    started: (ctx) => ctx.startTimer('tick', everyMs, { type: 'tick' }),
    receive: (_tick, ctx) => {
      seen.push(ctx.now());
      if (seen.length < ticks) ctx.startTimer('tick', everyMs, { type: 'tick' });
    },
  }));
}

/** The rejection of `promise`, or a failure if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('boot: driving a simulated kernel', () => {
  it("runs the README's simulated example", async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 7 });
    const counter = kernel.spawn(Clerk);
    counter.tell({ type: 'add', n: 40 });
    const count = await kernel.runUntil(counter.ask({ type: 'get' })); // 40, typed as number
    await kernel.advance(100); // 100 virtual ms pass
    await kernel.runUntil(kernel.shutdown());
    expect([count, kernel.clock.now(), kernel.isStopped]).to.deep.equal([40, 100, true]);
  });

  describe('settle', () => {
    it('runs what is ready, replies included, without moving virtual time', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      clerk.tell({ type: 'add', n: 2 });
      let answer: number | undefined;
      void clerk.ask({ type: 'get' }).then((value) => (answer = value));
      const late = clerk.ask({ type: 'get-after', delayMs: 10 });
      await kernel.settle();
      expect(answer).to.equal(2);
      expect(kernel.clock.now()).to.equal(0);
      // The answer that waits for a timer is still to come: settle never moves time.
      expect(kernel.simulatedClock.pendingTimers()).to.be.greaterThan(0);
      expect(await kernel.runUntil(late)).to.equal(2);
      await kernel.runUntil(kernel.shutdown());
    });
  });

  describe('advance', () => {
    it('fires every timer due on the way, each at its due time, and ends exactly ms later', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const seen: number[] = [];
      kernel.spawn(ticker(30, seen));
      await kernel.advance(100);
      expect(seen).to.deep.equal([30, 60, 90]);
      expect(kernel.clock.now()).to.equal(100);
      await kernel.runUntil(kernel.shutdown());
    });
  });

  describe('runUntil', () => {
    it('returns the answer of an ask, typed, without moving time when none is needed', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      clerk.tell({ type: 'add', n: 40 });
      const answer: number = await kernel.runUntil(clerk.ask({ type: 'get' }));
      expect(answer).to.equal(40);
      expect(kernel.clock.now()).to.equal(0);
      await kernel.runUntil(kernel.shutdown());
    });

    it('moves virtual time to the timer that settles the promise, and no further', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      const seen: number[] = [];
      kernel.spawn(ticker(100, seen));
      expect(await kernel.runUntil(clerk.ask({ type: 'get-after', delayMs: 250 }))).to.equal(0);
      expect(kernel.clock.now()).to.equal(250);
      expect(seen).to.deep.equal([100, 200]);
      await kernel.runUntil(kernel.shutdown());
    });

    it('jumps from timer to timer: half a virtual hour costs one step, not 1 800 000', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      const answer = clerk.ask({ type: 'get-after', delayMs: 1_800_000 }, { deadlineMs: 3_000_000 });
      expect(await kernel.runUntil(answer)).to.equal(0);
      expect(kernel.clock.now()).to.equal(1_800_000);
      await kernel.runUntil(kernel.shutdown());
    });

    it("rejects with the promise's own error: an unanswered ask fails at its deadline in virtual time", async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk, { name: 'clerk' });
      const error = await rejectionOf(kernel.runUntil(clerk.ask({ type: 'silent' }, { deadlineMs: 250 })));
      expect(error).to.be.instanceOf(AskTimeoutError);
      expect((error as AskTimeoutError).messageType).to.equal('silent');
      expect(kernel.clock.now()).to.equal(250);
      await kernel.runUntil(kernel.shutdown());
    });

    it('returns a promise that had already settled, running what is ready first', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      clerk.tell({ type: 'add', n: 1 });
      expect(await kernel.runUntil(Promise.resolve('done'))).to.equal('done');
      expect(await kernel.runUntil(clerk.ask({ type: 'get' }))).to.equal(1);
      await kernel.runUntil(kernel.shutdown());
    });

    it('rejects with UnsettledError (idle) at once for a promise nothing in the kernel can settle', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const error = await rejectionOf(kernel.runUntil(new Promise<never>(() => {})));
      expect(error).to.be.instanceOf(UnsettledError);
      const unsettled = error as UnsettledError;
      expect(unsettled.code).to.equal('unsettled');
      expect(unsettled.why).to.equal('idle');
      expect(unsettled.elapsedMs).to.equal(0);
      expect(unsettled.pending).to.deep.equal({ asks: 0, timers: 0, ready: 0 });
      expect(unsettled.message).to.include('deadlock');
      await kernel.runUntil(kernel.shutdown());
    });

    it('rejects with UnsettledError (idle) once the kernel runs dry, naming the virtual time it ran', async () => {
      // A deadlock: the promise waits for a message nobody ever sends the opener, while a ticker
      // keeps the kernel busy for three ticks; then nothing is left that could settle it.
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const opened = new Promise<void>((resolve) => kernel.spawn(fromReceive<{ readonly type: 'open' }>(() => resolve())));
      kernel.spawn(ticker(10, [], 3));
      const error = await rejectionOf(kernel.runUntil(opened));
      expect(error).to.be.instanceOf(UnsettledError);
      expect((error as UnsettledError).why).to.equal('idle');
      expect((error as UnsettledError).elapsedMs).to.equal(30);
      expect((error as UnsettledError).atMs).to.equal(30);
      expect((error as UnsettledError).message).to.include('went idle at 30 ms, after 30 virtual ms');
      await kernel.runUntil(kernel.shutdown());
    });

    it('rejects with UnsettledError (bound) when the budget ends first, naming what is still pending', async () => {
      // The ask's deadline (60 s) lies past the budget (1 s): within the budget nothing can settle it,
      // while a ticker moves time up to the budget's edge.
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      const seen: number[] = [];
      kernel.spawn(ticker(100, seen));
      const silent = clerk.ask({ type: 'silent' }, { deadlineMs: 60_000 });
      const error = await rejectionOf(kernel.runUntil(silent, { timeMsMax: 1_000 }));
      expect(error).to.be.instanceOf(UnsettledError);
      const unsettled = error as UnsettledError;
      expect(unsettled.why).to.equal('bound');
      expect(unsettled.elapsedMs).to.equal(1_000);
      expect(unsettled.pending.asks).to.equal(1);
      expect(unsettled.pending.timers).to.equal(2); // the ticker's and the ask deadline's
      expect(unsettled.cause).to.be.instanceOf(BoundExceededError);
      expect(unsettled.message).to.include('still pending after 1000 virtual ms').and.include('1 ask in flight');
      expect(seen).to.have.length(10);
      // The ask itself is untouched: a longer run takes it to its deadline.
      expect(await rejectionOf(kernel.runUntil(silent, { timeMsMax: 60_000 }))).to.be.instanceOf(AskTimeoutError);
      expect(kernel.clock.now()).to.equal(60_000);
      await kernel.runUntil(kernel.shutdown());
    });

    it('rejects with UnsettledError (bound) when the callbacks run out first', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      kernel.spawn(ticker(1, []));
      const error = await rejectionOf(kernel.runUntil(new Promise<never>(() => {}), { stepsMax: 50 }));
      expect(error).to.be.instanceOf(UnsettledError);
      expect((error as UnsettledError).why).to.equal('bound');
      expect((error as UnsettledError).cause).to.be.instanceOf(BoundExceededError);
      expect((error as UnsettledError).message).to.include('stepsMax');
      await kernel.runUntil(kernel.shutdown());
    });

    it('awaits spawns and asks across simulated CPUs', async () => {
      const modules = [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)];
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 3, cpus: 2, modules });
      const counter = await kernel.runUntil(kernel.spawned(kernel.spawn(Counter, { cpu: 1 })));
      counter.tell({ type: 'add', n: 5 });
      expect(await kernel.runUntil(counter.ask({ type: 'get' }))).to.equal(5);
      await kernel.runUntil(kernel.shutdown());
      expect(kernel.isStopped).to.equal(true);
    });

    it('refuses a second driver while one runs', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const clerk = kernel.spawn(Clerk);
      const first = kernel.runUntil(clerk.ask({ type: 'get-after', delayMs: 10 }));
      expect(await rejectionOf(kernel.runUntil(clerk.ask({ type: 'get' })))).to.be.instanceOf(UsageError);
      expect(await first).to.equal(0);
      await kernel.runUntil(kernel.shutdown());
    });
  });

  describe('runUntilIdle', () => {
    it('runs until no work and no timer is left, and stops at a periodic timer past its bound', async () => {
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
      const seen: number[] = [];
      kernel.spawn(ticker(10, seen, 3));
      expect(await kernel.runUntilIdle()).to.be.greaterThan(0);
      expect(seen).to.deep.equal([10, 20, 30]);
      kernel.spawn(ticker(10, []));
      expect(await rejectionOf(kernel.runUntilIdle({ timeMsMax: 100 }))).to.be.instanceOf(BoundExceededError);
      await kernel.runUntil(kernel.shutdown());
    });
  });

  it('rejects every driving call with UsageError on a real kernel', async () => {
    const kernel = await Kernel.boot();
    try {
      for (const drive of [() => kernel.settle(), () => kernel.advance(1), () => kernel.runUntil(Promise.resolve(1)), () => kernel.runUntilIdle()]) {
        const error = await rejectionOf(drive());
        expect(error).to.be.instanceOf(UsageError);
        expect((error as UsageError).message).to.include('real clock');
      }
    } finally {
      await kernel.shutdown();
    }
  });
});
