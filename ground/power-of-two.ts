/** The smallest power of two at least `n` (1 for n ≤ 1): ring and mailbox sizes. */
export function ceilPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}
