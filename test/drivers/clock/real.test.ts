import { expect } from 'chai';
import { createRealClock } from '../../../drivers/clock/real.js';

describe('drivers/clock/real', () => {
  it('fires a 5 ms timer and reports its due time', async () => {
    const clock = createRealClock();
    let handleDueMs = 0;
    const firedAtMs = await new Promise<number>((resolve) => {
      handleDueMs = clock.setTimer(5, () => resolve(clock.now())).dueMs;
    });
    expect(clock.kind).to.equal('real');
    expect(handleDueMs).to.be.at.least(5);
    expect(firedAtMs).to.be.a('number');
  });

  it('does not fire a cancelled timer; cancelling twice or after firing is harmless', async () => {
    const clock = createRealClock();
    let cancelledFired = false;
    const cancelled = clock.setTimer(5, () => (cancelledFired = true));
    clock.cancelTimer(cancelled);
    clock.cancelTimer(cancelled);
    // A later timer firing proves the cancelled one had its chance to run.
    const later = await new Promise<ReturnType<typeof clock.setTimer>>((resolve) => {
      const handle = clock.setTimer(25, () => resolve(handle));
    });
    clock.cancelTimer(later);
    expect(cancelledFired).to.equal(false);
  });

  it('runs scheduled work after the current synchronous code', async () => {
    const clock = createRealClock();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      clock.schedule(() => {
        order.push('scheduled');
        resolve();
      });
      order.push('sync');
    });
    expect(order).to.deep.equal(['sync', 'scheduled']);
  });

  it("has a monotonic now() that counts from the clock's creation", () => {
    const before = performance.now();
    const clock = createRealClock();
    let previousMs = clock.now();
    const after = performance.now();
    // Its origin lies between `before` and the first reading, whatever the machine's load.
    expect(previousMs)
      .to.be.at.least(0)
      .and.at.most(after - before);
    for (let sample = 0; sample < 10_000; sample += 1) {
      const nowMs = clock.now();
      expect(nowMs).to.be.at.least(previousMs);
      previousMs = nowMs;
    }
  });

  it('rejects NaN, infinite and too-long delays with RangeError', () => {
    const clock = createRealClock();
    for (const delayMs of [NaN, Infinity, -Infinity, 2 ** 31]) {
      expect(() => clock.setTimer(delayMs, () => {})).to.throw(RangeError, /delayMs/);
    }
  });

  it('accepts unrefTimers and still fires', async () => {
    const clock = createRealClock({ unrefTimers: true });
    // The unref'd timer alone would not keep Node alive; mocha's pending test does.
    await new Promise<void>((resolve) => clock.setTimer(1, resolve));
  });

  it('refuses handles from other clocks', () => {
    expect(() => createRealClock().cancelTimer({ dueMs: 1 })).to.throw(TypeError);
    expect(() => createRealClock().keepAlive({ dueMs: 1 }, false)).to.throw(TypeError);
  });

  it('lets a timer go and takes it back with keepAlive: only a kept timer holds the process, and a let-go one still fires', async () => {
    const clock = createRealClock();
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
    const before = timers();
    let fired = false;
    const handle = clock.setTimer(20, () => (fired = true));
    expect(timers()).to.equal(before + 1);
    clock.keepAlive(handle, false);
    expect(timers(), 'let go').to.equal(before);
    clock.keepAlive(handle, true);
    expect(timers(), 'kept again').to.equal(before + 1);
    clock.keepAlive(handle, false);
    // A clock made with unrefTimers keeps none of its timers alive, whatever keepAlive says.
    const unrefClock = createRealClock({ unrefTimers: true });
    const unrefHandle = unrefClock.setTimer(1_000, () => {});
    unrefClock.keepAlive(unrefHandle, true);
    expect(timers()).to.equal(before);
    unrefClock.cancelTimer(unrefHandle);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).to.equal(true);
  });
});
