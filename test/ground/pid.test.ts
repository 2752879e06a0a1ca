import { expect } from 'chai';
import fc from 'fast-check';
import { cpusMax, formatPid, makePid, parsePid, pidCpu, pidGeneration, pidSlot } from '../../ground/pid.js';

/** A pid's cpu, slot and generation, each in its range. */
const fields = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 2 ** 24 - 1 }), fc.integer({ min: 0, max: 2 ** 21 - 1 }));

describe('pids', () => {
  it('round-trip cpu, slot and generation', () => {
    fc.assert(
      fc.property(fields, ([cpu, slot, generation]) => {
        const pid = makePid(cpu, slot, generation);
        expect(Number.isSafeInteger(pid)).to.equal(true);
        expect([pidCpu(pid), pidSlot(pid), pidGeneration(pid)]).to.deep.equal([cpu, slot, generation]);
      }),
    );
    expect(formatPid(makePid(1, 2, 3))).to.equal('<1.2.3>');
  });

  it('read back from their printed form, and nothing else is one', () => {
    fc.assert(
      fc.property(fields, ([cpu, slot, generation]) => {
        const pid = makePid(cpu, slot, generation);
        expect(parsePid(formatPid(pid))).to.equal(pid);
      }),
    );
    for (const text of ['', '<1.2>', '<1.0.1>', '<256.1.1>', '<1.2.3> ', '1.2.3', '<a.b.c>']) expect(parsePid(text), text).to.equal(undefined);
  });

  it("are small integers for a slot's first actor (generation 0), and never 0", () => {
    fc.assert(
      fc.property(fields, ([cpu, slot]) => {
        const pid = makePid(cpu % cpusMax, slot, 0);
        expect(pid)
          .to.be.greaterThan(0)
          .and.lessThan(2 ** 29);
      }),
    );
  });

  it('names every CPU a kernel can run', () => {
    expect(pidCpu(makePid(cpusMax - 1, 1, 1))).to.equal(cpusMax - 1);
  });
});
