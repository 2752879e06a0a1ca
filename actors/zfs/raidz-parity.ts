/**
 * RAID-Z's parity over the data columns of one stripe (zfs:module/zfs/vdev_raidz.c): P is their
 * XOR, Q is Σ 2^i · D_i in GF(2^8). With P alone (RAID-Z1) any one missing column is rebuilt; with
 * P and Q (RAID-Z2) any two, data or parity. Each block is a full stripe of its own, so there is no
 * read-modify-write and no write hole.
 *
 * @example
 * ```ts
 * const parity = raidzParity([d0, d1, d2], 2);           // { p, q }
 * const [r0, r1, r2] = raidzRebuild([null, d1, null], parity.p, parity.q); // d0 and d2 again
 * ```
 */
import { copyOfBytes } from '../../ground/bytes.js';
import { OspreyError } from '../../ground/errors.js';
import type { RecordBuffers } from './record-buffers.js';
import { gfDivide, gfMultiply, gfMultiplyAdd, gfPower } from './galois-field.js';

/** The most data columns a stripe has: Q's coefficients 2^i must stay distinct (i < 255). */
export const dataColumnsMax = 254;

/** More columns are missing than the parity rebuilds. */
export class ParityExhaustedError extends OspreyError {
  readonly code = 'parity-exhausted';
  constructor(
    readonly missing: number,
    readonly rebuildable: number,
  ) {
    super(`${missing} column(s) are missing and the parity rebuilds at most ${rebuildable}`);
  }
}

export interface StripeParity {
  readonly p: Uint8Array;
  /** Present for double parity. */
  readonly q?: Uint8Array;
}

/**
 * P (and Q for `parityColumns` 2) of `columns`, which are all the same length, in memory from
 * `memory` when given (record-buffers.ts), else new.
 */
export function raidzParity(columns: readonly Uint8Array[], parityColumns: 1 | 2, memory?: Pick<RecordBuffers, 'take'>): StripeParity {
  const length = checkColumns(columns);
  // P starts as the first column, and the others are folded in: one pass fewer than from zeros.
  const p = memory === undefined ? copyOfBytes(columns[0]!) : memory.take(length, columns[0]);
  for (let index = 1; index < columns.length; index++) xorInto(p, columns[index]!);
  if (parityColumns === 1) return { p };
  const q = memory === undefined ? new Uint8Array(length) : memory.take(length);
  columns.forEach((column, index) => gfMultiplyAdd(q, column, gfPower(index)));
  return { p, q };
}

/**
 * The data columns of a stripe, rebuilt where they are null from the others and the parity that is
 * there (null where it is missing too). Throws ParityExhaustedError when more is missing than the
 * parity covers: two data columns need P and Q; one needs P or Q.
 */
export function raidzRebuild(columns: readonly (Uint8Array | null)[], p: Uint8Array | null, q: Uint8Array | null = null): Uint8Array[] {
  if (columns.length === 0 || columns.length > dataColumnsMax) throw new RangeError(`a stripe has 1 to ${dataColumnsMax} data columns, got ${columns.length}`);
  const missing = columns.flatMap((column, index) => (column === null ? [index] : []));
  const present = [...columns, p, q].filter((column): column is Uint8Array => column !== null);
  if (present.length === 0) throw new ParityExhaustedError(columns.length, 0);
  const length = present[0]!.length;
  // Columns of other lengths are not one stripe: rebuilding from them would make data up.
  if (present.some((column) => column.length !== length)) throw new RangeError('the columns and parity of a stripe are all the same length');
  const parity = (p === null ? 0 : 1) + (q === null ? 0 : 1);
  if (missing.length > parity) throw new ParityExhaustedError(missing.length, parity);
  const rebuilt = columns.map((column) => column ?? new Uint8Array(length));
  if (missing.length === 0) return rebuilt;
  // What the parity says of the missing columns, with every present column taken out.
  const pRest = p === null ? null : copyOfBytes(p);
  const qRest = q === null ? null : copyOfBytes(q);
  columns.forEach((column, index) => {
    if (column === null) return;
    if (pRest !== null) xorInto(pRest, column);
    if (qRest !== null) gfMultiplyAdd(qRest, column, gfPower(index));
  });
  if (missing.length === 1) {
    const x = missing[0]!;
    if (pRest !== null) rebuilt[x]!.set(pRest);
    // Q alone: Qrest = 2^x · Dx.
    else for (let i = 0; i < length; i++) rebuilt[x]![i] = gfDivide(qRest![i]!, gfPower(x));
    return rebuilt;
  }
  // Two: Prest = Dx + Dy and Qrest = 2^x·Dx + 2^y·Dy, so Dx = (Qrest + 2^y·Prest) / (2^x + 2^y).
  const [x, y] = missing as [number, number];
  const gx = gfPower(x);
  const gy = gfPower(y);
  const denominator = gx ^ gy;
  for (let i = 0; i < length; i++) {
    const dx = gfDivide(qRest![i]! ^ gfMultiply(gy, pRest![i]!), denominator);
    rebuilt[x]![i] = dx;
    rebuilt[y]![i] = pRest![i]! ^ dx;
  }
  return rebuilt;
}

/**
 * `target` ^= `source`, both `target.length` long: 32 bits at a time where both lie on 4-byte
 * boundaries (a stripe's columns are whole sectors), a quarter of the steps of a byte loop.
 */
function xorInto(target: Uint8Array, source: Uint8Array): void {
  const length = target.length;
  if (length % 4 === 0 && target.byteOffset % 4 === 0 && source.byteOffset % 4 === 0) {
    const words = new Uint32Array(target.buffer, target.byteOffset, length / 4);
    const from = new Uint32Array(source.buffer, source.byteOffset, length / 4);
    for (let i = 0; i < words.length; i++) words[i]! ^= from[i]!;
    return;
  }
  for (let i = 0; i < length; i++) target[i]! ^= source[i]!;
}

function checkColumns(columns: readonly Uint8Array[]): number {
  if (columns.length === 0 || columns.length > dataColumnsMax) throw new RangeError(`a stripe has 1 to ${dataColumnsMax} data columns, got ${columns.length}`);
  const length = columns[0]!.length;
  if (columns.some((column) => column.length !== length)) throw new RangeError('the columns of a stripe are all the same length');
  return length;
}
