/**
 * When the actors of a real kernel run after code outside them asks or tells: inside the ask, or
 * right after the tell (a microtask), as xstate's `send` runs at once, so an ask is answered without
 * waiting for the event loop; but never for so long in a row that I/O waits behind a loop of asks.
 */
import { expect } from 'chai';
import { outsideAsksEstimatedMax } from '../../../actors/runtime/limits.js';
import { estimatedTurnsInRowMax } from '../../../actors/sched/fair-dispatcher.js';
import { type ActorRef, type Ask, AskTimeoutError, fromReceive, Kernel } from '../../../boot/index.js';
import type { Clock } from '../../../drivers/clock/clock.js';
import { createRealClock } from '../../../drivers/clock/real.js';

const Echo = fromReceive<Ask<{ readonly type: 'echo'; readonly n: number }, number>>((message, ctx) => {
  ctx.reply(message, message.n);
}, 'Echo');

/** A bound on the loop, far above what 2 ms of asks (DrainLimit.msMax) can be; reached only if the event loop never turns. */
const asksMax = 1_000_000;

/**
 * A real clock (its timers, its kind) whose readings are made up: each is 0.1 µs after the last, so
 * every turn measured takes 100 ns, whatever the machine does meanwhile.
 */
function madeUpClock(): Clock & { readings: number } {
  const real = createRealClock();
  const clock = {
    ...real,
    readings: 0,
    now: () => ++clock.readings * 1e-4,
  };
  return clock;
}

/** A real clock that counts its readings. */
function countingClock(): Clock & { readings: number } {
  const real = createRealClock();
  const clock = {
    ...real,
    readings: 0,
    now: () => {
      clock.readings++;
      return real.now();
    },
  };
  return clock;
}

/** Asks `echo` until one ask reads no clock: the next one will start from the last drain's end too. */
async function untilAnAskReadsNoClock(echo: ActorRef<Ask<{ readonly type: 'echo'; readonly n: number }, number>>, clock: { readings: number }): Promise<void> {
  for (let n = 0; n < 4 * (outsideAsksEstimatedMax + 1); n++) {
    const before = clock.readings;
    await echo.ask({ type: 'echo', n });
    if (clock.readings === before) return;
  }
  expect.fail("no ask from outside started from the last drain's end");
}

/** Keeps this thread busy for `ms`, as caller code between two asks may. */
function busyFor(ms: number): void {
  const untilMs = performance.now() + ms;
  while (performance.now() < untilMs);
}

describe('draining after code outside the actors', () => {
  it('answers an ask from outside an actor before the event loop turns', async () => {
    const kernel = await Kernel.boot();
    try {
      const echo = kernel.spawn(Echo);
      let loopTurned = false;
      setImmediate(() => {
        loopTurned = true;
      });
      expect(await echo.ask({ type: 'echo', n: 1 })).to.equal(1);
      expect(loopTurned, 'answered within the current event-loop turn').to.equal(false);
    } finally {
      await kernel.shutdown();
    }
  });

  it('runs the actor inside an ask from outside, and after a tell from outside, once that code is done', async () => {
    const kernel = await Kernel.boot();
    try {
      const seen: string[] = [];
      const Recorder = fromReceive<{ readonly type: 'note'; readonly text: string } | Ask<{ readonly type: 'ping' }, string>>((message, ctx) => {
        if (message.type === 'note') seen.push(message.text);
        else ctx.reply(message, 'pong');
      }, 'Recorder');
      const recorder = kernel.spawn(Recorder);
      const answer = recorder.ask({ type: 'ping' });
      recorder.tell({ type: 'note', text: 'a' });
      recorder.tell({ type: 'note', text: 'b' });
      expect(seen, 'tells are queued, to be handled as one batch').to.deep.equal([]);
      expect(await answer).to.equal('pong');
      expect(seen).to.deep.equal(['a', 'b']);
    } finally {
      await kernel.shutdown();
    }
  });

  it('runs no actor inside the kernel code whose event a listener asks from', async () => {
    const kernel = await Kernel.boot();
    try {
      const logged: string[] = [];
      const Logger = fromReceive<Ask<{ readonly type: 'log'; readonly text: string }, true>>((message, ctx) => {
        logged.push(message.text);
        ctx.reply(message, true);
      }, 'Logger');
      const logger = kernel.spawn(Logger);
      const answers: Promise<true>[] = [];
      const subscription = kernel.events.subscribe((event) => {
        if (event.kind === 'spawn' && event.label === 'Echo') answers.push(logger.ask({ type: 'log', text: `spawned ${event.pid}` }));
      });
      const echo = kernel.spawn(Echo);
      expect(logged, 'the logger ran after the spawn, not inside it').to.deep.equal([]);
      await Promise.all(answers);
      expect(logged).to.deep.equal([`spawned ${echo.pid}`]);
      subscription.unsubscribe();
    } finally {
      await kernel.shutdown();
    }
  });

  it("reads the clock for an ask from outside only at the turns the fair scheduler measures: the others start at the last drain's end", async () => {
    // Readings made up, 0.1 µs apart, on the real-time paths: the echo learns a turn of 100 ns,
    // counted as 400 (estimatedTurnNsMin) against the 20 µs between measured turns
    // (estimatedNsBetweenReadingsMax), so one ask in 51 reads the clock: at its send, for the start
    // of the turn it measures, and at that turn's end.
    const clock = madeUpClock();
    const kernel = await Kernel.boot({ clock });
    try {
      const echo = kernel.spawn(Echo);
      for (let n = 0; n < 200; n++) await echo.ask({ type: 'echo', n });
      // A measured turn after estimatedTurnsInRowMax estimated ones: a cycle of 51 asks.
      const cycle = estimatedTurnsInRowMax + 1;
      const asks = cycle * 40;
      let asksThatRead = 0;
      for (let n = 1; n <= asks; n++) {
        const before = clock.readings;
        expect(await echo.ask({ type: 'echo', n })).to.equal(n);
        if (clock.readings === before) continue;
        asksThatRead++;
        expect(clock.readings - before, `readings of ask ${n}`).to.equal(2);
      }
      // With a bound of its own below the scheduler's cadence (outsideAsksEstimatedMax was 15), asks
      // between two measured turns also read the clock, once each.
      expect(asksThatRead).to.be.within(asks / cycle - 1, asks / cycle + 1);
    } finally {
      await kernel.shutdown();
    }
  });

  it('reads the clock again for the first ask after the event loop turned', async () => {
    const clock = countingClock();
    const kernel = await Kernel.boot({ clock });
    try {
      const echo = kernel.spawn(Echo);
      await untilAnAskReadsNoClock(echo, clock);
      // A timer, I/O or an idle while: the time the last drain ended says nothing of now.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const before = clock.readings;
      await echo.ask({ type: 'echo', n: 1 });
      expect(clock.readings - before).to.be.at.least(1);
    } finally {
      await kernel.shutdown();
    }
  });

  it('times a deadline from a reading after the ask, however long the caller ran since the last one', async () => {
    const clock = countingClock();
    const kernel = await Kernel.boot({ clock });
    try {
      const Silent = fromReceive<Ask<{ readonly type: 'wait' }, never>>(() => {}, 'Silent');
      const echo = kernel.spawn(Echo);
      const silent = kernel.spawn(Silent);
      await untilAnAskReadsNoClock(echo, clock);
      // Time no reading saw: the next ask starts at the last drain's end.
      busyFor(30);
      const askedMs = performance.now();
      const failure = await silent.ask({ type: 'wait' }, { deadlineMs: 20 }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).to.be.instanceOf(AskTimeoutError);
      expect(performance.now() - askedMs, 'no deadline before 20 ms from the ask').to.be.at.least(20);
    } finally {
      await kernel.shutdown();
    }
  });

  it('lets the event loop turn during a loop of asks from outside', async () => {
    const kernel = await Kernel.boot();
    try {
      const echo = kernel.spawn(Echo);
      let turnedAfter = -1;
      let asked = 0;
      setImmediate(() => {
        turnedAfter = asked;
      });
      // Asks run their drains at once for DrainLimit.msMax at most, then one waits for the event loop.
      for (; turnedAfter < 0 && asked < asksMax; asked++) await echo.ask({ type: 'echo', n: asked });
      expect(turnedAfter, 'I/O got a turn within the loop').to.be.within(1, asksMax - 1);
    } finally {
      await kernel.shutdown();
    }
  });
});
