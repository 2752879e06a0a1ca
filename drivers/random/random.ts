/**
 * The random driver: a seeded PRNG with named sub-streams.
 *
 * Every random choice in the kernel (backoff jitter, which simulated CPU steps next, injected faults)
 * comes from a stream derived from (seed, stable name), so adding an actor or a subsystem does not
 * change the choices made for the others, and a run replays exactly from its seed.
 *
 * @example
 * ```ts
 * const random = createSeededRandom(42);
 * const jitter = random.stream('supervisor/backoff');
 * jitter.next();          // a float in [0, 1), the same for seed 42 every time
 * jitter.int(6);          // an integer in [0, 6)
 * ```
 */
export interface Random {
  /** The seed this generator (or the root it was derived from) was created with. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive); `maxExclusive` is a positive integer ≤ 2^32. */
  int(maxExclusive: number): number;
  /**
   * An independent generator for `name`, derived from the root seed and the name only: the same
   * (seed, name) gives the same stream whatever else was drawn or derived before.
   */
  stream(name: string): Random;
}
