// Benchmark harness: timing, statistics and machine-readable output.
//
// Output contract (see the project rule): stdout carries ONE JSON OBJECT PER LINE and nothing else,
// so results can be collected with `node dist/bench/run-all.js > results.jsonl`. Anything meant for
// humans goes to stderr.
//
// This VM's speed drifts by up to 2x within a minute (docs/measured-limits.md §1), so absolute figures are
// only indicative: every figure is the median of >= 3 repetitions after a warm-up, and goals are
// expressed as ratios of medians measured in the same process (emitRatio).
//
// Bench code may read real time directly (it is not kernel code): process.hrtime.bigint() is
// monotonic and has ns resolution.

export interface RateResult {
  name: string;
  unit: string;
  /** ops/s of each timed repetition, in run order (warm-ups excluded). */
  values: number[];
  median: number;
  min: number;
  max: number;
  reps: number;
}

export interface LatencyResult {
  name: string;
  unit: 'ns';
  /** Median sample of each repetition. */
  values: number[];
  /** median / min / max over the per-repetition medians. */
  median: number;
  min: number;
  max: number;
  /** Median over repetitions of each repetition's p99 / p99.9. */
  p99: number;
  p999: number;
  reps: number;
  samples: number;
  /** Cost of one hrtime.bigint() pair; it is included in every sample, not subtracted. */
  timerNs: number;
}

/** Anything emit() can print: a name, a unit, median/min/max and reps; other fields are printed too. */
export interface Emittable {
  name: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  reps: number;
}

// ---------------------------------------------------------------------------------------------
// Group name printed as "bench" on every line: run-one.ts sets it from the file name
// (`baselines.bench.js` -> "baselines") before calling the file's run().

let group = process.env.BENCH_GROUP ?? 'adhoc';
export function setBenchGroup(name: string): void {
  group = name;
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function quantile(sorted: ArrayLike<number>, q: number): number {
  const len = sorted.length;
  if (len === 0) return NaN;
  const pos = (len - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function summarize(values: number[]): { median: number; min: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), min: s[0]!, max: s[s.length - 1]! };
}

/** A result from per-repetition `values` measured by the caller: their median, min and max, and `extra` fields. */
export function summary(name: string, unit: string, values: number[], extra: Record<string, unknown> = {}): RateResult & Record<string, unknown> {
  return { name, unit, values, ...summarize(values), reps: values.length, ...extra };
}

const gcFn = (globalThis as { gc?: (options?: { readonly type: 'major' | 'minor' }) => void }).gc;
/**
 * Collect garbage between repetitions (run-all starts children with --expose-gc), so that the
 * garbage of one repetition is not paid for by the next one's timed block.
 *
 * `young` collects only the young generation. A full collection also frees the hidden classes
 * (maps) of objects that no longer exist, and V8 then throws away the optimized code that checks
 * for them: a case whose objects all die between repetitions (a kernel booted and shut down) runs
 * its next few hundred operations unoptimized. Its garbage is young, so a young collection is
 * enough to keep it out of the next case.
 */
export function maybeGc(generations: 'all' | 'young' = 'all'): void {
  if (gcFn) gcFn({ type: generations === 'all' ? 'major' : 'minor' });
}

function checkOps(name: string, ops: number): number {
  if (!Number.isFinite(ops) || ops <= 0) throw new Error(`${name}: run() returned ${ops}, expected a positive count`);
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Throughput

export interface RateOptions<R> {
  name: string;
  unit?: string;
  reps?: number;
  warmup?: number;
  /** Does one repetition of work and returns how many operations it did. */
  run: () => R;
}

/**
 * Throughput in ops/s. Each repetition is its own timed block (rather than one long block divided
 * by reps) so that we get one value per repetition: the spread shows how noisy the run was, and the
 * median discards a repetition hit by a host hiccup or a GC.
 */
export function measureRate(opts: RateOptions<number>): RateResult {
  const { name, unit = 'ops/s', reps = 5, warmup = 1, run } = opts;
  // Warm-up: lets V8 tier the hot code up to optimised code before anything is timed.
  for (let i = 0; i < warmup; i++) checkOps(name, run());
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    maybeGc();
    const t0 = process.hrtime.bigint();
    const ops = run();
    const t1 = process.hrtime.bigint();
    values.push(checkOps(name, ops) / (Number(t1 - t0) / 1e9));
  }
  return { name, unit, values, ...summarize(values), reps };
}

/** Same as measureRate for a repetition that is a promise (the await is inside the timed block). */
export async function measureRateAsync(opts: RateOptions<Promise<number>>): Promise<RateResult> {
  const { name, unit = 'ops/s', reps = 5, warmup = 1, run } = opts;
  for (let i = 0; i < warmup; i++) checkOps(name, await run());
  const values: number[] = [];
  for (let r = 0; r < reps; r++) {
    maybeGc();
    const t0 = process.hrtime.bigint();
    const ops = await run();
    const t1 = process.hrtime.bigint();
    values.push(checkOps(name, ops) / (Number(t1 - t0) / 1e9));
  }
  return { name, unit, values, ...summarize(values), reps };
}

// ---------------------------------------------------------------------------------------------
// Latency

export interface LatencyOptions<R> {
  name: string;
  /** Samples per repetition. */
  samples: number;
  reps?: number;
  /** Untimed warm-up repetitions (of `samples` samples each). */
  warmup?: number;
  /** One operation; its wall-clock duration is one sample. */
  sample: () => R;
}

/** Cost of one back-to-back hrtime.bigint() pair (median of many), reported with latencies. */
function timerOverheadNs(): number {
  const d = new Float64Array(2001);
  for (let i = 0; i < d.length; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    d[i] = Number(t1 - t0);
  }
  return quantile(d.sort(), 0.5);
}

function latencyResult(name: string, perRep: Float64Array[], samples: number): LatencyResult {
  // Quantiles are taken per repetition, then the median over repetitions is reported, so a latency
  // figure obeys the same "median of >= 3 repetitions" rule as a rate.
  const medians = perRep.map((d) => quantile(d, 0.5));
  const p99 = summarize(perRep.map((d) => quantile(d, 0.99))).median;
  const p999 = summarize(perRep.map((d) => quantile(d, 0.999))).median;
  return {
    name,
    unit: 'ns',
    values: medians,
    ...summarize(medians),
    p99,
    p999,
    reps: perRep.length,
    samples,
    timerNs: timerOverheadNs(),
  };
}

/** Per-sample latency in ns: median (with min/max over repetitions), p99, p99.9. */
export function measureLatency(opts: LatencyOptions<unknown>): LatencyResult {
  const { name, samples, reps = 5, warmup = 1, sample } = opts;
  const perRep: Float64Array[] = [];
  for (let r = -warmup; r < reps; r++) {
    maybeGc();
    const d = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      sample();
      const t1 = process.hrtime.bigint();
      d[i] = Number(t1 - t0);
    }
    if (r >= 0) perRep.push(d.sort());
  }
  return latencyResult(name, perRep, samples);
}

/** Same as measureLatency for a sample that is a promise (e.g. an ask/reply round trip). */
export async function measureLatencyAsync(opts: LatencyOptions<Promise<unknown>>): Promise<LatencyResult> {
  const { name, samples, reps = 5, warmup = 1, sample } = opts;
  const perRep: Float64Array[] = [];
  for (let r = -warmup; r < reps; r++) {
    maybeGc();
    const d = new Float64Array(samples);
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      await sample();
      const t1 = process.hrtime.bigint();
      d[i] = Number(t1 - t0);
    }
    if (r >= 0) perRep.push(d.sort());
  }
  return latencyResult(name, perRep, samples);
}

// ---------------------------------------------------------------------------------------------
// Output

/** Integers from 1000 up, 4 significant digits below: full information, readable lines. */
function tidy(x: number): number {
  if (!Number.isFinite(x)) return x;
  return Math.abs(x) >= 1000 ? Math.round(x) : Number(x.toPrecision(4));
}

function tidyValue(v: unknown): unknown {
  if (typeof v === 'number') return tidy(v);
  if (Array.isArray(v)) return v.map(tidyValue);
  return v;
}

/** Prints one JSON line as it is (for exact figures that are not measurements). */
export function printLine(obj: Record<string, unknown>): void {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = tidyValue(v);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Prints one result as one JSON line; `extra` fields are appended (and may override). */
export function emit<T extends Emittable>(result: T, extra: Record<string, unknown> = {}): void {
  const { name, unit, median, min, max, reps, ...rest } = result;
  printLine({ bench: group, name, unit, median, min, max, reps, ...rest, ...extra });
}

export interface RatioOptions {
  name: string;
  /** A result (its median is used) or a plain number. */
  numerator: { name: string; median: number } | number;
  denominator: { name: string; median: number } | number;
  goal?: number;
  /** 'min': the goal is met when value >= goal (higher is better); 'max': when value <= goal. */
  goalKind: 'min' | 'max';
  extra?: Record<string, unknown>;
}

/**
 * Prints {"unit":"ratio","value": numerator/denominator, "goal", "met"}. Only compare medians
 * measured in the same process run: across runs this VM drifts by up to 2x.
 * Returns the ratio.
 */
export function emitRatio(opts: RatioOptions): number {
  const { name, numerator, denominator, goal, goalKind, extra = {} } = opts;
  const a = typeof numerator === 'number' ? numerator : numerator.median;
  const b = typeof denominator === 'number' ? denominator : denominator.median;
  const value = a / b;
  const met = goal === undefined ? null : goalKind === 'min' ? value >= goal : value <= goal;
  printLine({
    bench: group,
    name,
    unit: 'ratio',
    value,
    goal: goal ?? null,
    goalKind,
    met,
    numerator: typeof numerator === 'number' ? a : numerator.name,
    denominator: typeof denominator === 'number' ? b : denominator.name,
    ...extra,
  });
  return value;
}

/**
 * Runs `operations` calls of `op`, `inFlight` at a time, each at a pseudo-random place: a multiple
 * of `stepBytes` below `spanBytes` (the same places every run). Returns operations per second.
 */
export async function randomPlacesRate(
  operations: number,
  inFlight: number,
  spanBytes: number,
  stepBytes: number,
  op: (offsetBytes: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  let place = 12345;
  const lane = async () => {
    while (next < operations) {
      next++;
      place = (place * 1103515245 + 12345) % 2 ** 31;
      await op((place % (spanBytes / stepBytes)) * stepBytes);
    }
  };
  maybeGc();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return operations / (Number(process.hrtime.bigint() - t0) / 1e9);
}
