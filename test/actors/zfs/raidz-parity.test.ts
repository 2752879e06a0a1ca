import { expect } from 'chai';
import fc from 'fast-check';
import { gfDivide, gfMultiply, gfPower } from '../../../actors/zfs/galois-field.js';
import { ParityExhaustedError, raidzParity, raidzRebuild } from '../../../actors/zfs/raidz-parity.js';

const stripes = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 48 }))
  .chain(([count, length]) => fc.array(fc.uint8Array({ minLength: length, maxLength: length }), { minLength: count, maxLength: count }));

describe('zfs: RAID-Z parity', () => {
  it('GF(2^8): division undoes multiplication, multiplication distributes over XOR, and 2 generates the field (property)', () => {
    const byte = fc.integer({ min: 0, max: 255 });
    const nonZero = fc.integer({ min: 1, max: 255 });
    fc.assert(fc.property(byte, nonZero, (a, b) => gfDivide(gfMultiply(a, b), b) === a));
    fc.assert(fc.property(byte, byte, byte, (a, b, c) => gfMultiply(a, b ^ c) === (gfMultiply(a, b) ^ gfMultiply(a, c))));
    expect(new Set(Array.from({ length: 255 }, (_, i) => gfPower(i))).size).to.equal(255);
    expect(gfMultiply(2, 0x80)).to.equal(0x1d);
    expect(() => gfDivide(1, 0)).to.throw(RangeError);
  });

  it('RAID-Z1 rebuilds any one missing column, data or parity (property)', () => {
    fc.assert(
      fc.property(stripes, fc.nat(), (columns, pick) => {
        const { p } = raidzParity(columns, 1);
        const lost = pick % (columns.length + 1);
        if (lost === columns.length) {
          // P lost: the data is whole, and P is its parity again.
          expect(raidzParity(raidzRebuild(columns, null), 1).p).to.deep.equal(p);
          return;
        }
        const damaged = columns.map((column, index) => (index === lost ? null : column));
        expect(raidzRebuild(damaged, p)).to.deep.equal(columns);
      }),
    );
  });

  it('RAID-Z2 rebuilds any two missing columns, data or parity (property)', () => {
    fc.assert(
      fc.property(stripes, fc.nat(), fc.nat(), (columns, first, second) => {
        const { p, q } = raidzParity(columns, 2);
        const total = columns.length + 2;
        const lost = new Set([first % total, second % total]);
        const damaged = columns.map((column, index) => (lost.has(index) ? null : column));
        const rebuilt = raidzRebuild(damaged, lost.has(columns.length) ? null : p, lost.has(columns.length + 1) ? null : q!);
        expect(rebuilt).to.deep.equal(columns);
      }),
    );
  });

  it('rebuilds every choice of one missing column for RAID-Z1 and of two for RAID-Z2, in stripes of 1 to 6 columns', () => {
    for (let count = 1; count <= 6; count++) {
      const columns = Array.from({ length: count }, (_, index) => Uint8Array.from({ length: 8 }, (_, at) => (index * 37 + at * 11 + 5) & 0xff));
      const { p, q } = raidzParity(columns, 2);
      const total = count + 2;
      for (let first = 0; first < total; first++) {
        for (let second = first; second < total; second++) {
          const lost = new Set([first, second]);
          const damaged = columns.map((column, index) => (lost.has(index) ? null : column));
          const pLeft = lost.has(count) ? null : p;
          const qLeft = lost.has(count + 1) ? null : q!;
          expect(raidzRebuild(damaged, pLeft, qLeft), `${count} columns, lost ${[...lost]}`).to.deep.equal(columns);
          if (lost.size === 1 && !lost.has(count + 1)) expect(raidzRebuild(damaged, pLeft)).to.deep.equal(columns);
        }
      }
    }
  });

  it('says when more is missing than the parity covers, rather than making data up', () => {
    const columns = [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6])];
    const { p, q } = raidzParity(columns, 2);
    expect(() => raidzRebuild([null, null, columns[2]!], p)).to.throw(ParityExhaustedError, /2 column\(s\) are missing and the parity rebuilds at most 1/);
    expect(() => raidzRebuild([null, null, null], p, q!)).to.throw(ParityExhaustedError);
    expect(() => raidzParity([], 1)).to.throw(RangeError);
    expect(() => raidzParity([new Uint8Array(2), new Uint8Array(3)], 1)).to.throw(RangeError, /same length/);
    // Columns of another length than the parity are not its stripe.
    expect(() => raidzRebuild([new Uint8Array(4), null], new Uint8Array(2))).to.throw(RangeError, /same length/);
    expect(() => raidzRebuild([], new Uint8Array(2))).to.throw(RangeError, /1 to 254/);
  });
});
