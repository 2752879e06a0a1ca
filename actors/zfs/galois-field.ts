/**
 * Arithmetic in GF(2^8) with the polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d) and generator 2, the
 * field RAID-Z's Q parity lives in (zfs:module/zfs/vdev_raidz.c): adding is XOR, multiplying goes
 * through tables of logarithms and powers of 2 built once at load.
 *
 * @example
 * ```ts
 * gfMultiply(gfPower(2), 0x53); // 2 · 0x53 = 0xa6
 * gfDivide(gfMultiply(7, 9), 9); // 7
 * ```
 */
import { assert } from '../../ground/assert.js';

const fieldPolynomial = 0x11d;
/** 2^i for i in [0, 510]: a product's logarithm sum needs no modulo. */
const powers = new Uint8Array(510);
/** log2(x) for x in [1, 255]; log of 0 is never read. */
const logarithms = new Uint8Array(256);

let value = 1;
for (let exponent = 0; exponent < 255; exponent++) {
  powers[exponent] = value;
  logarithms[value] = exponent;
  value <<= 1;
  if (value & 0x100) value ^= fieldPolynomial;
}
for (let exponent = 255; exponent < 510; exponent++) powers[exponent] = powers[exponent - 255]!;
assert(value === 1, '2 generates the multiplicative group of GF(2^8) under 0x11d');

export function gfMultiply(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return powers[logarithms[a]! + logarithms[b]!]!;
}

/** a / b; b must not be 0. */
export function gfDivide(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(2^8)');
  if (a === 0) return 0;
  return powers[logarithms[a]! + 255 - logarithms[b]!]!;
}

/** 2^exponent, for any whole exponent (the group has order 255). */
export function gfPower(exponent: number): number {
  return powers[((exponent % 255) + 255) % 255]!;
}

/** Adds `factor · source` to `target`, byte by byte (XOR is the field's addition). */
export function gfMultiplyAdd(target: Uint8Array, source: Uint8Array, factor: number): void {
  if (factor === 0) return;
  const log = logarithms[factor]!;
  for (let i = 0; i < target.length; i++) {
    const byte = source[i]!;
    if (byte !== 0) target[i]! ^= powers[logarithms[byte]! + log]!;
  }
}
