// Builds side by side: `node dist/bench/ab.js <case> <build> <build>...` loads each build's package
// into this one process, gives each its own kernel, and times their repetitions interleaved. A
// change of a few per cent shows here, where separate processes on this VM differ by up to 20 %
// (docs/measured-limits.md §1, §3f). Not a file of `npm run bench`: it compares builds, not the
// runtime with its peers.
//
// A build is a directory holding a built copy of the package (`dist/pkg/index.js`), made with
// `npm run build` and copied before the change. Peers have no place here: runtime.bench measures
// the runtime against them.
//
//   mkdir /tmp/before && cp -r dist package.json /tmp/before/ && ln -s "$PWD/node_modules" /tmp/before/
//   ...change, npm run build...
//   node dist/bench/ab.js ring /tmp/before .
//
// Output: one JSON line per build (ns per operation, the median of each process's median), then the
// ratio of each build's time to the first's: the median of the ratios within each process.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { emit, emitRatio, maybeGc, quantile, setBenchGroup, summary } from './harness.js';

const execFileAsync = promisify(execFile);

type Osprey = typeof import('../boot/index.js');

/** Runs one repetition of `n` operations; resolves with the ns each took. */
type Rep = (n: number) => Promise<number>;

const cases = {
  /** runtime.bench's ring: 1000 class actors, 100 messages in flight, the fair scheduler. */
  ring: { operationsPerRep: 500_000, build: (osprey: Osprey) => ringRep(osprey, 'fair') },
  /** The same on the `fifo` policy. */
  'ring-fifo': { operationsPerRep: 500_000, build: (osprey: Osprey) => ringRep(osprey, 'fifo') },
  /** Asks from outside an actor, awaited one by one, to an actor that answers at once. */
  ask: { operationsPerRep: 200_000, build: askRep },
  /** Two actors that tell a ball back and forth (ns per round trip). */
  'ping-pong': { operationsPerRep: 200_000, build: pingPongRep },
} satisfies Record<string, { operationsPerRep: number; build: (osprey: Osprey) => Promise<Rep> }>;

/** Repetitions timed per build in each process, after `warmUpReps` that are not. */
const timedReps = 10;
const warmUpReps = 4;
/**
 * Processes the comparison runs in. One process can run a build faster or slower throughout, by up to
 * a tenth for asks (the first build loaded, or another compilation of the same code), so each
 * process gives one ratio, every other one loads the builds in the reverse order, and the median is
 * reported.
 */
const processes = 4;
const oneProcessFlag = '--one-process';

function elapsedNs(startMs: number, operations: number): number {
  return ((performance.now() - startMs) * 1e6) / operations;
}

async function ringRep(osprey: Osprey, scheduler: 'fair' | 'fifo'): Promise<Rep> {
  type RingMsg = { readonly type: 'ping'; readonly n: number };
  const kernel = await osprey.Kernel.boot({ scheduler });
  const actors = 1000;
  const world = { left: 0, handled: 0, done: () => {} };
  const refs: Array<import('../boot/index.js').ActorRef<RingMsg>> = [];
  // Its start argument is the actor it passes each message on to.
  class Hop extends osprey.Actor<RingMsg, number> {
    receive(message: RingMsg): void {
      if (world.left > 0) {
        world.left--;
        refs[this.args]!.tell({ type: 'ping', n: message.n + 1 });
      }
      if (--world.handled === 0) world.done();
    }
  }
  for (let i = 0; i < actors; i++) refs.push(kernel.spawn(Hop.with((i * 7 + 13) % actors)));
  return async (n) => {
    const inFlight = 100;
    const done = new Promise<void>((resolve) => (world.done = resolve));
    world.left = n - inFlight;
    world.handled = n;
    const startMs = performance.now();
    for (let i = 0; i < inFlight; i++) refs[i * 10]!.tell({ type: 'ping', n: 0 });
    await done;
    return elapsedNs(startMs, n);
  };
}

async function askRep(osprey: Osprey): Promise<Rep> {
  type EchoMsg = import('../boot/index.js').Ask<{ readonly type: 'get'; readonly n: number }, number>;
  const kernel = await osprey.Kernel.boot();
  class Echo extends osprey.Actor<EchoMsg> {
    receive(message: EchoMsg, ctx: import('../boot/index.js').ActorContext<EchoMsg>): void {
      ctx.reply(message, message.n + 1);
    }
  }
  const echo = kernel.spawn(Echo);
  return async (n) => {
    const startMs = performance.now();
    for (let i = 0; i < n; i++) await echo.ask({ type: 'get', n: i });
    return elapsedNs(startMs, n);
  };
}

async function pingPongRep(osprey: Osprey): Promise<Rep> {
  type Ball = { readonly type: 'ball'; readonly left: number; readonly back: import('../boot/index.js').ActorRef<Ball> | null };
  const kernel = await osprey.Kernel.boot();
  let done = () => {};
  class Player extends osprey.Actor<Ball> {
    receive(ball: Ball, ctx: import('../boot/index.js').ActorContext<Ball>): void {
      if (ball.left === 0) done();
      else ball.back!.tell({ type: 'ball', left: ball.left - 1, back: ctx.self });
    }
  }
  const ping = kernel.spawn(Player);
  const pong = kernel.spawn(Player);
  return async (n) => {
    const finished = new Promise<void>((resolve) => (done = resolve));
    const startMs = performance.now();
    ping.tell({ type: 'ball', left: 2 * n, back: pong });
    await finished;
    return elapsedNs(startMs, n);
  };
}

function usage(): never {
  process.stderr.write(`usage: node dist/bench/ab.js <${Object.keys(cases).join('|')}> <build-dir> <build-dir>...\n`);
  process.exit(2);
}

/** Times `builds` interleaved in this process; prints `{ build: [ns per operation of each timed repetition] }`. */
async function oneProcess(caseName: keyof typeof cases, builds: readonly string[]): Promise<void> {
  const chosen = cases[caseName];
  const reps: Rep[] = [];
  for (const build of builds) {
    const entry = pathToFileURL(path.resolve(build, 'dist/pkg/index.js')).href;
    reps.push(await chosen.build((await import(entry)) as Osprey));
  }
  const nsPerOperation = builds.map((): number[] => []);
  for (let rep = 0; rep < warmUpReps + timedReps; rep++) {
    for (const [index, run] of reps.entries()) {
      // Each build's garbage is collected before the next one's repetition, not during it.
      maybeGc('young');
      const ns = await run(chosen.operationsPerRep);
      if (rep >= warmUpReps) nsPerOperation[index]!.push(ns);
    }
  }
  process.stdout.write(`${JSON.stringify(Object.fromEntries(builds.map((build, index) => [build, nsPerOperation[index]])))}\n`);
  // The kernels' timers would keep the process alive.
  process.exit(0);
}

function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

async function main(): Promise<void> {
  const [first, ...rest] = process.argv.slice(2);
  if (first === oneProcessFlag) return oneProcess(rest[0] as keyof typeof cases, rest.slice(1));
  const caseName = first;
  const builds = rest;
  if (caseName === undefined || !Object.hasOwn(cases, caseName) || builds.length === 0) usage();
  // Two names for one directory would share one loaded module.
  if (new Set(builds.map((build) => path.resolve(build))).size !== builds.length) usage();
  setBenchGroup('ab');
  const self = fileURLToPath(import.meta.url);
  const perProcess: Array<Record<string, number[]>> = [];
  for (let run = 0; run < processes; run++) {
    // Every other process loads the builds in the reverse order.
    const order = run % 2 === 0 ? builds : [...builds].reverse();
    const { stdout } = await execFileAsync(process.execPath, ['--expose-gc', self, oneProcessFlag, caseName, ...order], { maxBuffer: 1 << 20 });
    perProcess.push(JSON.parse(stdout) as Record<string, number[]>);
    process.stderr.write(`ab: process ${run + 1} of ${processes} done\n`);
  }
  const { operationsPerRep } = cases[caseName as keyof typeof cases];
  const results = builds.map((build) =>
    summary(
      `${caseName}: ${build}`,
      'ns',
      perProcess.map((times) => median(times[build]!)),
      { operationsPerRep, processes, repsPerProcess: timedReps },
    ),
  );
  for (const result of results) emit(result);
  for (const [index, result] of results.entries()) {
    if (index === 0) continue;
    const ratios = perProcess.map((times) => median(times[builds[index]!]!) / median(times[builds[0]!]!));
    emitRatio({
      name: `${result.name} / ${results[0]!.name} (time)`,
      numerator: median(ratios),
      denominator: 1,
      goalKind: 'max',
      extra: { perProcess: ratios },
    });
  }
}

await main();
