import { expect } from 'chai';
import fc from 'fast-check';
import { createSimulatedClock } from '../../../drivers/clock/simulated.js';

describe('drivers/clock/simulated', () => {
  it('starts at startMs and stays there until driven', async () => {
    const clock = createSimulatedClock({ startMs: 1_000 });
    expect(clock.kind).to.equal('simulated');
    expect(clock.now()).to.equal(1_000);
    clock.setTimer(10, () => {});
    clock.runReady();
    expect(clock.now()).to.equal(1_000);
    expect(createSimulatedClock().now()).to.equal(0);
  });

  it('fires timers in due order, then in creation order (property)', async () => {
    // Goal: the heap order equals a stable sort of the arming order by delay. Method: arm random
    // (often equal) delays, run to idle, compare the firing order and the time seen by each timer.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -5, max: 40 }), { maxLength: 60 }), async (delays) => {
        const clock = createSimulatedClock();
        const fired: Array<{ index: number; nowMs: number }> = [];
        delays.forEach((delayMs, index) => clock.setTimer(delayMs, () => fired.push({ index, nowMs: clock.now() })));
        await clock.runUntilIdle();
        const expected = delays.map((delayMs, index) => ({ index, nowMs: Math.max(0, delayMs) })).sort((a, b) => a.nowMs - b.nowMs); // Array.prototype.sort is stable
        expect(fired).to.deep.equal(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('never fires a cancelled timer and keeps the others in order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ delayMs: fc.integer({ min: 0, max: 20 }), cancelled: fc.boolean() }), { maxLength: 40 }), async (timers) => {
        const clock = createSimulatedClock();
        const fired: number[] = [];
        const handles = timers.map(({ delayMs }, index) => clock.setTimer(delayMs, () => fired.push(index)));
        timers.forEach(({ cancelled }, index) => cancelled && clock.cancelTimer(handles[index]!));
        expect(clock.pendingTimers()).to.equal(timers.filter((timer) => !timer.cancelled).length);
        await clock.runUntilIdle();
        const expected = timers
          .map((timer, index) => ({ ...timer, index }))
          .filter((timer) => !timer.cancelled)
          .sort((a, b) => a.delayMs - b.delayMs)
          .map((timer) => timer.index);
        expect(fired).to.deep.equal(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('ignores cancelling twice or after firing, and rejects foreign handles', async () => {
    const clock = createSimulatedClock();
    const handle = clock.setTimer(5, () => {});
    expect(handle.dueMs).to.equal(5);
    clock.cancelTimer(handle);
    clock.cancelTimer(handle);
    expect(clock.pendingTimers()).to.equal(0);
    const fired = clock.setTimer(1, () => {});
    await clock.advance(1);
    clock.cancelTimer(fired);
    expect(() => createSimulatedClock().cancelTimer(fired)).to.throw(TypeError);
  });

  it('advance(ms) fires exactly the timers due within ms, each at its due time, and ends at the target', async () => {
    const clock = createSimulatedClock({ startMs: 100 });
    const fired: Array<[string, number]> = [];
    for (const delayMs of [30, 10, 20, 50, 51]) clock.setTimer(delayMs, () => fired.push([`t${delayMs}`, clock.now()]));
    await clock.advance(50);
    expect(fired).to.deep.equal([
      ['t10', 110],
      ['t20', 120],
      ['t30', 130],
      ['t50', 150],
    ]);
    expect(clock.now()).to.equal(150);
    expect(clock.pendingTimers()).to.equal(1);
    await clock.advance(0.5);
    expect(clock.now()).to.equal(150.5);
    expect(fired).to.have.length(4);
  });

  it('handles timers armed by timers within the same advance when they are due', async () => {
    const clock = createSimulatedClock();
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
      clock.setTimer(100, () => fired.push(clock.now()));
    });
    await clock.advance(25);
    expect(fired).to.deep.equal([10, 20]);
    expect(clock.pendingTimers()).to.equal(1);
  });

  it('runs scheduled work before any timer, including zero-delay timers armed earlier', async () => {
    const clock = createSimulatedClock();
    const order: string[] = [];
    clock.setTimer(0, () => order.push('timer 0'));
    clock.setTimer(1, () => order.push('timer 1'));
    clock.schedule(() => {
      order.push('work a');
      clock.schedule(() => order.push('work c'));
    });
    clock.schedule(() => order.push('work b'));
    await clock.advance(1);
    expect(order).to.deep.equal(['work a', 'work b', 'work c', 'timer 0', 'timer 1']);
  });

  it('runReady runs ready work FIFO without moving time and counts the callbacks', () => {
    const clock = createSimulatedClock({ startMs: 7 });
    const seen: number[] = [];
    for (let index = 0; index < 3_000; index += 1) clock.schedule(() => seen.push(index));
    clock.setTimer(0, () => seen.push(-1));
    expect(clock.pendingWork()).to.equal(3_000);
    expect(clock.runReady()).to.equal(3_000);
    expect(seen).to.deep.equal(Array.from({ length: 3_000 }, (_, index) => index));
    expect(clock.now()).to.equal(7);
    expect(clock.pendingWork()).to.equal(0);
    expect(clock.pendingTimers()).to.equal(1);
  });

  it('runReady throws when the work never settles', () => {
    const clock = createSimulatedClock({ readyStepsMax: 1_000 });
    const loop = (): void => clock.schedule(loop);
    clock.schedule(loop);
    expect(() => clock.runReady()).to.throw(Error, /readyStepsMax.*never settles/);
    expect(clock.pendingWork()).to.equal(1);
  });

  it('runUntilIdle throws a bound error on a self-rearming periodic timer', async () => {
    const clock = createSimulatedClock();
    const rearm = (): void => void clock.setTimer(1_000, rearm);
    clock.setTimer(1_000, rearm);
    let error: unknown;
    await clock.runUntilIdle().catch((caught: unknown) => (error = caught));
    expect(error)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/timeMsMax/);
    expect(clock.now()).to.equal(3_600_000);
    expect(clock.pendingTimers()).to.equal(1);

    const steps = createSimulatedClock();
    const spin = (): void => void steps.setTimer(0, spin);
    steps.setTimer(0, spin);
    let stepsError: unknown;
    await steps.runUntilIdle({ stepsMax: 500 }).catch((caught: unknown) => (stepsError = caught));
    expect(stepsError)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/stepsMax/);
  });

  it('runUntilIdle returns the callbacks run and leaves nothing pending', async () => {
    const clock = createSimulatedClock();
    clock.schedule(() => clock.setTimer(30, () => clock.schedule(() => {})));
    clock.setTimer(5, () => {});
    expect(await clock.runUntilIdle()).to.equal(4);
    expect(clock.now()).to.equal(30);
    expect(clock.pendingTimers() + clock.pendingWork()).to.equal(0);
  });

  it('runUntilIdle stops when only timers let go (keepAlive false) are left; they fire when time passes them, in order', async () => {
    const clock = createSimulatedClock();
    const fired: string[] = [];
    const early = clock.setTimer(10, () => fired.push(`early@${clock.now()}`));
    const late = clock.setTimer(50, () => fired.push(`late@${clock.now()}`));
    clock.keepAlive(early, false);
    clock.keepAlive(late, false);
    expect(await clock.runUntilIdle({ timeMsMax: 1 }), 'idle at once: nothing keeps it going').to.equal(0);
    expect(clock.now()).to.equal(0);
    expect(clock.pendingTimers(), 'still armed').to.equal(2);
    // A kept timer after them carries the run past both, which fire on the way.
    clock.setTimer(30, () => fired.push(`kept@${clock.now()}`));
    await clock.runUntilIdle();
    expect(fired).to.deep.equal(['early@10', 'kept@30']);
    expect(clock.now()).to.equal(30);
    // Taken back, the last one keeps the run going to it; advance fires let-go timers as well.
    clock.keepAlive(late, true);
    await clock.runUntilIdle();
    expect(fired).to.deep.equal(['early@10', 'kept@30', 'late@50']);
    const letGo = clock.setTimer(5, () => fired.push(`let-go@${clock.now()}`));
    clock.keepAlive(letGo, false);
    await clock.advance(10);
    expect(fired.at(-1)).to.equal('let-go@55');
    // A cancelled let-go timer, and keepAlive on a fired or cancelled one, change nothing.
    const cancelled = clock.setTimer(5, () => fired.push('cancelled'));
    clock.keepAlive(cancelled, false);
    clock.cancelTimer(cancelled);
    clock.keepAlive(cancelled, true);
    clock.keepAlive(letGo, true);
    expect(await clock.runUntilIdle()).to.equal(0);
    expect(clock.pendingTimers()).to.equal(0);
    expect(() => clock.keepAlive({ dueMs: 1 }, true)).to.throw(TypeError);
  });

  it('runUntilIdle runs ready work left behind a let-go timer that fell due while CPU time was consumed', async () => {
    const clock = createSimulatedClock();
    const log: string[] = [];
    clock.keepAlive(
      clock.setTimer(5, () => log.push(`timer@${clock.now()}`)),
      false,
    );
    clock.schedule(() => {
      clock.consume(10);
      clock.schedule(() => log.push(`ready@${clock.now()}`));
    });
    await clock.runUntilIdle();
    expect(log).to.deep.equal(['timer@10', 'ready@10']);
  });

  it('runUntilIdle({ stopWhen }) stops once it holds, after the work ready at that instant, before later timers', async () => {
    const clock = createSimulatedClock();
    const log: string[] = [];
    let resolveOpened!: () => void;
    const opened = new Promise<void>((resolve) => (resolveOpened = resolve));
    let isOpen = false;
    void opened.then(() => (isOpen = true));
    clock.setTimer(10, () => {
      log.push(`t10 at ${clock.now()}`);
      resolveOpened();
      clock.schedule(() => log.push('work after the opening'));
    });
    clock.setTimer(20, () => log.push('t20'));
    // The promise settles in the timer's callback; its continuation runs at the next macrotask turn.
    expect(await clock.runUntilIdle({ stopWhen: () => isOpen })).to.equal(2);
    expect(log).to.deep.equal(['t10 at 10', 'work after the opening']);
    expect(clock.now()).to.equal(10);
    expect(clock.pendingTimers()).to.equal(1);
    // Already true: runs what is ready, moves no time.
    clock.schedule(() => log.push('ready'));
    expect(await clock.runUntilIdle({ stopWhen: () => true })).to.equal(1);
    expect(clock.now()).to.equal(10);
    let error: unknown;
    await clock.runUntilIdle({ stopWhen: 'yes' as never }).catch((caught: unknown) => (error = caught));
    expect(error)
      .to.be.instanceOf(TypeError)
      .with.property('message')
      .that.matches(/stopWhen/);
  });

  it('runUntilIdle({ stopWhen }) stops a busy run too, between callbacks that consume CPU time', async () => {
    const clock = createSimulatedClock();
    let busy = 0;
    const spin = (): void => {
      busy++;
      clock.consume(2);
      clock.schedule(spin);
    };
    clock.schedule(spin);
    await clock.runUntilIdle({ stopWhen: () => busy >= 3 });
    expect([busy, clock.now(), clock.pendingWork()]).to.deep.equal([3, 6, 1]);
  });

  it('completes async work: a callback that awaits a promise, then schedules and arms more', async () => {
    const clock = createSimulatedClock();
    const log: string[] = [];
    const reply = (): Promise<string> => Promise.resolve('pong').then((value) => value.toUpperCase());
    clock.schedule(async () => {
      const value = await reply();
      await null;
      clock.schedule(() => log.push(`${value} handled at ${clock.now()}`));
      clock.setTimer(10, async () => {
        await reply();
        clock.schedule(() => log.push(`late at ${clock.now()}`));
      });
    });
    await clock.advance(0);
    expect(log).to.deep.equal(['PONG handled at 0']);
    expect(await clock.runUntilIdle()).to.equal(2);
    expect(log).to.deep.equal(['PONG handled at 0', 'late at 10']);
  });

  it('propagates a callback exception and keeps the rest queued', async () => {
    const clock = createSimulatedClock();
    const order: string[] = [];
    clock.schedule(() => order.push('a'));
    clock.schedule(() => {
      throw new Error('boom');
    });
    clock.schedule(() => order.push('c'));
    expect(() => clock.runReady()).to.throw('boom');
    expect(order).to.deep.equal(['a']);
    expect(clock.pendingWork()).to.equal(1);

    clock.setTimer(5, () => {
      throw new Error('timer boom');
    });
    clock.setTimer(6, () => order.push('t6'));
    let error: unknown;
    await clock.advance(10).catch((caught: unknown) => (error = caught));
    expect(error).to.have.property('message', 'timer boom');
    expect(clock.now()).to.equal(5);
    expect(order).to.deep.equal(['a', 'c']);
    await clock.advance(5);
    expect(order).to.deep.equal(['a', 'c', 't6']);
    expect(clock.now()).to.equal(10);
  });

  it('refuses to be driven from inside its own callbacks or by two drivers at once', async () => {
    const clock = createSimulatedClock();
    let inner: unknown;
    clock.schedule(() => {
      try {
        clock.runReady();
      } catch (caught) {
        inner = caught;
      }
    });
    clock.runReady();
    expect(inner)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/inside a clock callback/);
    const first = clock.advance(1);
    let second: unknown;
    await clock.advance(1).catch((caught: unknown) => (second = caught));
    await first;
    expect(second)
      .to.be.instanceOf(Error)
      .with.property('message')
      .that.matches(/already being driven/);
  });

  it('consume(ms) moves time at once; overdue timers fire late, between busy callbacks, and advance stops past its target', async () => {
    const clock = createSimulatedClock();
    const log: string[] = [];
    clock.setTimer(5, () => log.push(`timer due 5 fired at ${clock.now()}`));
    let busy = 0;
    const spin = (): void => {
      busy++;
      clock.consume(2);
      if (busy < 100) clock.schedule(spin);
    };
    clock.schedule(spin);
    await clock.advance(9);
    // Busy callbacks of 2 ms each: the timer due at 5 fires after the one that carried time to 6,
    // and the advance to 9 stops once a callback has carried time past it (at 10).
    expect(log).to.deep.equal(['timer due 5 fired at 6']);
    expect(clock.now()).to.equal(10);
    expect(busy).to.equal(5);
    expect(clock.pendingWork()).to.equal(1);
    // advance(0) still runs ready work: one busy callback, which carries time past the target.
    await clock.advance(0);
    expect([busy, clock.now()]).to.deep.equal([6, 12]);
    expect(() => clock.consume(-1)).to.throw(RangeError);
    expect(() => clock.consume(Number.NaN)).to.throw(RangeError);
    let error: unknown;
    await clock.runUntilIdle({ timeMsMax: 50 }).catch((caught: unknown) => (error = caught));
    expect(String(error)).to.match(/busy actors never let the clock go idle/);
  });

  it('rejects invalid delays and advance amounts with RangeError', async () => {
    const clock = createSimulatedClock();
    for (const delayMs of [NaN, Infinity, -Infinity, 2 ** 31]) {
      expect(() => clock.setTimer(delayMs, () => {})).to.throw(RangeError, /delayMs/);
    }
    for (const ms of [NaN, -1, Infinity]) {
      let error: unknown;
      await clock.advance(ms).catch((caught: unknown) => (error = caught));
      expect(error).to.be.instanceOf(RangeError);
    }
  });
});
