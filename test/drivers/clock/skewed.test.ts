import { expect } from 'chai';
import fc from 'fast-check';
import { createSimulatedClock, SkewedClock } from '../../../drivers/index.js';

describe('drivers: a skewed clock (one CPU whose time runs wrong)', () => {
  it('runs at its rate: a slow clock reads less and its timers fire later in machine time', async () => {
    const machine = createSimulatedClock();
    const cpu = new SkewedClock(machine);
    cpu.setRate(0.5);
    const fired: number[] = [];
    cpu.setTimer(100, () => fired.push(machine.now()));
    await machine.advance(150);
    expect(cpu.now()).to.equal(75);
    expect(fired).to.deep.equal([]);
    await machine.advance(100);
    expect(fired).to.deep.equal([200]);
  });

  it('moves armed timers with a change of rate: what is left runs at the new rate', async () => {
    const machine = createSimulatedClock();
    const cpu = new SkewedClock(machine);
    const fired: number[] = [];
    cpu.setTimer(100, () => fired.push(machine.now()));
    await machine.advance(40); // 60 ms of the timer left
    cpu.setRate(2);
    await machine.runUntilIdle();
    expect(fired).to.deep.equal([70]);
    expect(cpu.now()).to.equal(100);
  });

  it('keeps a let-go timer let go when a change of rate moves it', async () => {
    const machine = createSimulatedClock();
    const cpu = new SkewedClock(machine);
    const fired: number[] = [];
    const handle = cpu.setTimer(100, () => fired.push(machine.now()));
    cpu.keepAlive(handle, false);
    cpu.setRate(2);
    expect(await machine.runUntilIdle(), 'nothing keeps the machine going').to.equal(0);
    cpu.keepAlive(handle, true);
    await machine.runUntilIdle();
    expect(fired).to.deep.equal([50]);
  });

  it('jumps forward: the timers it overtakes fire at once, in the order they were due; the rest keep their time', async () => {
    const machine = createSimulatedClock();
    const cpu = new SkewedClock(machine);
    const fired: string[] = [];
    cpu.setTimer(30, () => fired.push(`b@${machine.now()}`));
    cpu.setTimer(10, () => fired.push(`a@${machine.now()}`));
    cpu.setTimer(80, () => fired.push(`c@${machine.now()}`));
    await machine.advance(5);
    cpu.jump(40);
    expect(cpu.now()).to.equal(45);
    await machine.runUntilIdle();
    expect(fired).to.deep.equal(['a@5', 'b@5', 'c@40']);
  });

  it('cancels a timer armed in its time, also after it was moved; refuses a rate or jump that is not a clock', async () => {
    const machine = createSimulatedClock();
    const cpu = new SkewedClock(machine);
    let fired = false;
    const handle = cpu.setTimer(50, () => {
      fired = true;
    });
    cpu.setRate(3);
    cpu.cancelTimer(handle);
    cpu.cancelTimer(handle);
    await machine.runUntilIdle();
    expect(fired).to.equal(false);
    expect(machine.pendingTimers()).to.equal(0);
    expect(() => cpu.setRate(0)).to.throw(RangeError, /rate is within/);
    expect(() => cpu.jump(-1)).to.throw(RangeError, /forward/);
    expect(() => cpu.setTimer(Number.NaN, () => {})).to.throw(RangeError);
  });

  it('never fires a timer before its due time in its own time, and fires them in due order (property)', async () => {
    type Step = { kind: 'timer'; delayMs: number } | { kind: 'rate'; rate: number } | { kind: 'jump'; ms: number } | { kind: 'advance'; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ kind: fc.constant('timer' as const), delayMs: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('rate' as const), rate: fc.double({ min: 0.25, max: 4, noNaN: true }) }),
      fc.record({ kind: fc.constant('jump' as const), ms: fc.integer({ min: 0, max: 100 }) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 100 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 30 }), async (steps) => {
        const machine = createSimulatedClock();
        const cpu = new SkewedClock(machine);
        const armed: number[] = [];
        const fired: { dueMs: number; atMs: number }[] = [];
        let lastRead = cpu.now();
        for (const next of steps) {
          if (next.kind === 'timer') {
            const dueMs = cpu.now() + next.delayMs;
            armed.push(dueMs);
            cpu.setTimer(next.delayMs, () => fired.push({ dueMs, atMs: cpu.now() }));
          } else if (next.kind === 'rate') cpu.setRate(next.rate);
          else if (next.kind === 'jump') cpu.jump(next.ms);
          else await machine.advance(next.ms);
          expect(cpu.now(), 'never backward').to.be.at.least(lastRead - 1e-9);
          lastRead = cpu.now();
        }
        await machine.runUntilIdle();
        expect(fired).to.have.length(armed.length);
        for (const { dueMs, atMs } of fired) expect(atMs, 'not before its due time').to.be.at.least(dueMs - 1e-6);
        for (let i = 1; i < fired.length; i++) expect(fired[i]!.dueMs, 'in due order').to.be.at.least(fired[i - 1]!.dueMs - 1e-6);
      }),
    );
  });
});
