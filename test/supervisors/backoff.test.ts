/**
 * Backoff between restarts: exponential delays on virtual time, capped, reset after a quiet spell,
 * jittered from the kernel seed (so replayable), with messages kept while the child waits.
 */
import { expect } from 'chai';
import type { Kernel } from '../../boot/index.js';
import { type BackoffOptions, backoffDelayMs, supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { boot, collectEvents, Log, probeRef, settle, shutdown, whichChildrenNow } from './helpers.js';

const noJitter: BackoffOptions = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };

async function statusOfChild(kernel: Kernel, sup: Parameters<typeof whichChildrenNow>[1], id: string): Promise<string | undefined> {
  return (await whichChildrenNow(kernel, sup)).find((c) => c.id === id)?.status;
}

/** Crashes `a` right after each restart, `count` times; returns the delay before each restart. */
async function delaysOfRepeatedCrashes(seed: number, backoff: BackoffOptions, count: number): Promise<number[]> {
  const kernel = await boot(seed);
  const log = new Log();
  const events = collectEvents(kernel);
  kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 100, restartWindowMs: 60_000, backoff, children: [log.spec('a')] }), { name: 'sup' });
  await settle(kernel);
  const ref = probeRef(kernel, 'a');
  const delays: number[] = [];
  for (let i = 0; i < count; i++) {
    const crashedAt = kernel.clock.now();
    ref.tell({ type: 'crash' });
    await settle(kernel);
    const restart = events.filter((e) => e.kind === 'restart' && e.pid === ref.pid).at(-1)!;
    expect(restart).to.include({ attempt: i + 1 });
    delays.push(restart.atMs - crashedAt);
  }
  await shutdown(kernel);
  return delays;
}

describe('supervisors: backoff', () => {
  it('restarts after 100, 200, 400 ms of virtual time, not before', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, backoff: noJitter, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    log.clear();
    const starts = (): number => log.entries.filter((e) => e === 'start:a').length;
    let crashedAt = 0;
    for (const [i, delayMs] of [100, 200, 400].entries()) {
      ref.tell({ type: 'crash' });
      await kernel.simulatedClock.advance(delayMs - 1);
      expect(await statusOfChild(kernel, sup, 'a'), `1 ms before the ${delayMs} ms delay`).to.equal('restarting');
      expect(starts()).to.equal(i);
      await kernel.simulatedClock.advance(1);
      expect(await statusOfChild(kernel, sup, 'a'), `after the ${delayMs} ms delay`).to.equal('running');
      expect(starts()).to.equal(i + 1);
      expect(log.timeOf('start:a')).to.equal(crashedAt + delayMs);
      crashedAt += delayMs;
    }
    expect(events.filter((e) => e.kind === 'restart').map((e) => e.atMs)).to.deep.equal([100, 300, 700]);
    expect(log.entries).to.deep.equal(['stop:a:crashed', 'start:a', 'stop:a:crashed', 'start:a', 'stop:a:crashed', 'start:a']);
    await shutdown(kernel);
  });

  it('keeps messages sent during the backoff and handles them, in order, after the restart', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ backoff: noJitter, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    log.clear();
    ref.tell({ type: 'crash' });
    await kernel.simulatedClock.advance(50);
    ref.tell({ type: 'note', n: 1 });
    const ping = ref.ask({ type: 'ping' });
    ref.tell({ type: 'note', n: 2 });
    await kernel.simulatedClock.advance(49);
    // The crashed incarnation's hook ran at the crash; the new one waits for the delay.
    expect(log.entries).to.deep.equal(['stop:a:crashed']);
    await settle(kernel);
    expect(log.timed).to.deep.equal([
      { entry: 'stop:a:crashed', atMs: 0 },
      { entry: 'start:a', atMs: 100 },
      { entry: 'msg:a:1', atMs: 100 },
      { entry: 'msg:a:2', atMs: 100 },
    ]);
    expect(await ping).to.deep.equal({ id: 'a', incarnation: 2, pid: ref.pid, atMs: 100 });
    await shutdown(kernel);
  });

  it('never waits longer than maxDelayMs', async () => {
    expect(await delaysOfRepeatedCrashes(1, { minDelayMs: 100, maxDelayMs: 300, jitter: 0, resetAfterMs: 10_000 }, 5)).to.deep.equal([100, 200, 300, 300, 300]);
  });

  it('honours factor', async () => {
    expect(await delaysOfRepeatedCrashes(1, { minDelayMs: 10, maxDelayMs: 10_000, factor: 3, jitter: 0, resetAfterMs: 10_000 }, 4)).to.deep.equal([
      10, 30, 90, 270,
    ]);
  });

  it('starts the sequence again after a failure-free spell of resetAfterMs', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, backoff: { ...noJitter, resetAfterMs: 500 }, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    ref.tell({ type: 'crash' }); // at 0 → restart at 100
    await settle(kernel);
    ref.tell({ type: 'crash' }); // at 100 → restart at 300
    await settle(kernel);
    await kernel.simulatedClock.advance(2_000); // quiet until 2 300
    ref.tell({ type: 'crash' }); // → first delay again: restart at 2 400
    await settle(kernel);
    expect(events.filter((e) => e.kind === 'restart').map((e) => e.atMs)).to.deep.equal([100, 300, 2_400]);
    await shutdown(kernel);
  });

  it('measures resetAfterMs from the previous restart, not from the previous failure', async () => {
    // BackoffOptions.resetAfterMs: "A failure this long after the previous restart starts the
    // sequence again". The child below ran only 400 ms (< 500) after its restart at 300, so the
    // sequence continues: the third delay is 400 ms, not the first delay again.
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, backoff: { ...noJitter, resetAfterMs: 500 }, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    ref.tell({ type: 'crash' }); // at 0 → restart at 100
    await settle(kernel);
    ref.tell({ type: 'crash' }); // at 100 → restart at 300
    await settle(kernel);
    await kernel.simulatedClock.advance(400);
    ref.tell({ type: 'crash' }); // at 700, 400 ms after the restart at 300 → third delay, 400 ms
    await settle(kernel);
    expect(events.filter((e) => e.kind === 'restart').map((e) => e.atMs)).to.deep.equal([100, 300, 1_100]);
    await shutdown(kernel);
  });

  it('stays at maxDelayMs for a child that fails at once after every restart (default resetAfterMs)', async () => {
    // With the default resetAfterMs (= maxDelayMs), a child that never survives its restart must
    // not fall back to minDelayMs once the delay has grown to maxDelayMs.
    expect(await delaysOfRepeatedCrashes(1, noJitter, 7)).to.deep.equal([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('jitters each delay within ±jitter of its base, identically for the same seed across two kernels', async () => {
    const backoff: BackoffOptions = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5, resetAfterMs: 60_000 };
    const bases = [100, 200, 400, 800, 1_000, 1_000];
    const first = await delaysOfRepeatedCrashes(7, backoff, bases.length);
    const second = await delaysOfRepeatedCrashes(7, backoff, bases.length);
    expect(second, 'same seed, same delays').to.deep.equal(first);
    first.forEach((delay, i) => {
      expect(delay, `delay ${i + 1}`).to.be.within(Math.round(bases[i]! * 0.5), Math.round(bases[i]! * 1.5));
    });
    expect(first, 'jitter moves the delays off their bases').to.not.deep.equal(bases);
    expect(await delaysOfRepeatedCrashes(8, backoff, bases.length), 'another seed, other delays').to.not.deep.equal(first);
  });

  it('backoffDelayMs: the pure formula', () => {
    const options: BackoffOptions = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.2 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(n, options, 0.5))).to.deep.equal([100, 200, 400, 800, 1_000, 1_000]);
    expect(backoffDelayMs(1, options, 0)).to.equal(80);
    expect(backoffDelayMs(1, options, 0.999_999)).to.equal(120);
    expect(() => supervisor({ backoff: { minDelayMs: 10, maxDelayMs: 5 } })).to.throw(RangeError);
    expect(() => supervisor({ backoff: { minDelayMs: 10, maxDelayMs: 50, jitter: 2 } })).to.throw(RangeError);
    expect(() => supervisor({ backoff: { minDelayMs: 10, maxDelayMs: 50, factor: 0.5 } })).to.throw(RangeError);
  });

  it('a shutdown during a backoff does not wait for the delay, and the child is never started again', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ backoff: { minDelayMs: 10_000, maxDelayMs: 10_000, jitter: 0 }, children: [log.spec('a'), log.spec('b')] }), {
      name: 'sup',
    });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await kernel.simulatedClock.advance(1_000);
    await shutdown(kernel);
    expect(kernel.clock.now()).to.equal(1_000);
    // a's hook ran at its crash, b's at the shutdown.
    expect(log.entries.map((e) => e.split(':').slice(0, 2).join(':'))).to.deep.equal(['stop:a', 'stop:b']);
  });
});
