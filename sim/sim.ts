/**
 * What a scenario's code gets besides the kernel: the run's seed, named random streams (adding a
 * draw to one stream changes no other), sleeps on the virtual clock, and assertions that do not stop
 * the run (Antithesis's `always`, `sometimes`, `reachable`, `unreachable`), reported at its end, and fault points
 * in code (`maybe`).
 *
 * @example
 * ```ts
 * const amount = sim.random('amounts').int(100);
 * await sim.sleep(10);
 * sim.always('balance never negative', balance >= 0);
 * sim.sometimes('a transfer was refused', refused);
 * ```
 */
import type { Kernel } from '../boot/index.js';
import type { Clock, Random } from '../drivers/index.js';

/** An assertion that failed, or a point that should not have been reached, with where in virtual time. */
export interface AssertionRecord {
  readonly name: string;
  readonly atMs: number;
}

/** The share of runs in which a `maybe` site is switched on. */
export const siteOnShare = 0.25;
/** The share of its calls on which an enabled site fires, unless the call says. */
export const maybeShareDefault = 0.25;

export class Sim {
  private readonly streams = new Map<string, Random>();
  private readonly sites = new Map<string, boolean>();
  private readonly firedSites = new Set<string>();
  /** `always` assertions that failed and `unreachable` points reached, first time each. */
  readonly violations: AssertionRecord[] = [];
  /** Names of `sometimes` assertions, and whether each held at least once. */
  readonly sometimesHeld = new Map<string, boolean>();

  /** `clock` is the machine's true time, which the workload sleeps on (a CPU's own clock may be skewed). */
  constructor(
    private readonly kernel: Kernel,
    readonly seed: number,
    private readonly clock: Clock = kernel.clock,
  ) {}

  /** The random stream named `name`, derived from the seed and the name only. */
  random(name = 'workload'): Random {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = this.kernel.random.stream(`sim.${name}`);
      this.streams.set(name, stream);
    }
    return stream;
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimer(ms, resolve));
  }

  /** The virtual time now, in ms. */
  now(): number {
    return this.clock.now();
  }

  /** Must hold every time it is checked; a failure is reported at the end, and the run goes on. */
  always(name: string, condition: boolean): void {
    if (!condition) this.violate(`always: ${name}`);
  }

  /** Should hold at least once in the run: one that never did says the run missed that space. */
  sometimes(name: string, condition: boolean): void {
    if (condition) this.sometimesHeld.set(name, true);
    else if (!this.sometimesHeld.has(name)) this.sometimesHeld.set(name, false);
  }

  /**
   * A fault point (FoundationDB's BUGGIFY): whether the code should take its rare path here, now. A
   * site is switched on for the whole run or not (one seed in `siteOnShare`), and an enabled site
   * fires on `share` of its calls; both are drawn from the site's own stream. Sites that fired are
   * named in the report. Code outside a simulation has no Sim, and takes the common path.
   */
  maybe(site: string, share = maybeShareDefault): boolean {
    let enabled = this.sites.get(site);
    if (enabled === undefined) {
      enabled = this.random(`maybe.${site}`).next() < siteOnShare;
      this.sites.set(site, enabled);
    }
    if (!enabled || this.random(`maybe.${site}`).next() >= share) return false;
    this.firedSites.add(site);
    return true;
  }

  /** The `maybe` sites that fired in this run. */
  get fired(): readonly string[] {
    return [...this.firedSites];
  }

  /** A point the program should reach at least once in a run, like a `sometimes` that always holds. */
  reachable(name: string): void {
    this.sometimesHeld.set(`reached: ${name}`, true);
  }

  /**
   * Declares a `reachable` point up front, so that a run that never reaches it reports so (a point
   * never declared and never reached is unknown to the run).
   */
  expectReachable(name: string): void {
    if (!this.sometimesHeld.has(`reached: ${name}`)) this.sometimesHeld.set(`reached: ${name}`, false);
  }

  /** A point the program must never reach. */
  unreachable(name: string): void {
    this.violate(`unreachable: ${name}`);
  }

  private violate(name: string): void {
    if (!this.violations.some((record) => record.name === name)) this.violations.push({ name, atMs: this.now() });
  }
}
