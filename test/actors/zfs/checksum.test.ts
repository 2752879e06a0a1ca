import { expect } from 'chai';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import wabt from 'wabt';
import { blockChecksum, checksumKinds, checksumsEqual, fletcher4, fletcher4Wasm, sha256 } from '../../../actors/zfs/checksum.js';

/** Fletcher-4 as ZFS defines it, in BigInt: the reference the fast one must equal. */
function fletcher4Reference(data: Uint8Array): Uint8Array {
  const mask = (1n << 64n) - 1n;
  let [a, b, c, d] = [0n, 0n, 0n, 0n];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let at = 0; at < data.byteLength; at += 4) {
    a = (a + BigInt(view.getUint32(at, true))) & mask;
    b = (b + a) & mask;
    c = (c + b) & mask;
    d = (d + c) & mask;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  [a, b, c, d].forEach((sum, index) => outView.setBigUint64(index * 8, sum, true));
  return out;
}

const words = (maxWords: number) => fc.integer({ min: 0, max: maxWords }).chain((count) => fc.uint8Array({ minLength: count * 4, maxLength: count * 4 }));

describe('zfs: block checksums', () => {
  it('fletcher4 is the sums ZFS defines, modulo 2^64, for any block (property, against a BigInt reference)', () => {
    fc.assert(fc.property(words(2048), (data) => checksumsEqual(fletcher4(data), fletcher4Reference(data))));
    // Words of all ones overflow every sum many times over.
    const ones = new Uint8Array(128 << 10).fill(0xff);
    expect(checksumsEqual(fletcher4(ones), fletcher4Reference(ones))).to.equal(true);
    // Words 1, 2, 3, 4: a = 10, b = 20, c = 35, d = 56.
    const small = new Uint8Array(new Uint32Array([1, 2, 3, 4]).buffer);
    expect([...new BigUint64Array(fletcher4(small).buffer)]).to.deep.equal([10n, 20n, 35n, 56n]);
  });

  it('fletcher4 runs the module its source beside it makes, and sums every length of words alike', async () => {
    // The source in the repo, not the bytes, is what a reader reviews: they must not drift apart.
    const source = readFileSync(new URL('../../../../actors/zfs/fletcher4.wat', import.meta.url), 'utf8');
    const assembled = (await wabt()).parseWat('fletcher4.wat', source, { simd: true }).toBinary({}).buffer;
    expect(Buffer.from(assembled).toString('base64')).to.equal(fletcher4Wasm);
    // Sixteen bytes at a time, then word by word: every remainder, and blocks of many sizes.
    const block = new Uint8Array(4096 + 12).map((_, index) => (index * 151 + 7) & 0xff);
    for (let words = 0; words <= block.byteLength / 4; words += words < 16 ? 1 : 61) {
      const data = block.subarray(0, words * 4);
      expect(checksumsEqual(fletcher4(data), fletcher4Reference(data)), `${words} words`).to.equal(true);
    }
  });

  it('sha256 is the standard one', () => {
    expect(Buffer.from(sha256(new TextEncoder().encode('abc'))).toString('hex')).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('changes with any one bit of the block, in either kind (property)', () => {
    fc.assert(
      fc.property(
        words(256).filter((data) => data.byteLength > 0),
        fc.nat(),
        fc.constantFrom(...checksumKinds),
        (data, where, kind) => {
          const flipped = data.slice();
          const bit = where % (data.byteLength * 8);
          flipped[bit >> 3]! ^= 1 << (bit & 7);
          return !checksumsEqual(blockChecksum(kind, data), blockChecksum(kind, flipped));
        },
      ),
    );
  });

  it('refuses a block that is not whole words, and a kind it does not know', () => {
    expect(() => fletcher4(new Uint8Array(6))).to.throw(RangeError, /32-bit words/);
    expect(() => blockChecksum('crc32' as never, new Uint8Array(4))).to.throw(RangeError, /fletcher4, sha256/);
    expect(checksumsEqual(new Uint8Array(32), new Uint8Array(31))).to.equal(false);
  });
});
