// The actor runtime against its in-run baselines (docs/measured-limits.md §3a, §4).
//
// Every figure is the median of 5 timed repetitions after a warm-up, measured in this process next
// to its baseline. Each line says which kernel mode it used:
// - `real`: `Kernel.boot()`; the dispatcher drains through `setImmediate` (4096 turns per drain),
//   completion is awaited on a promise resolved by the last handler;
// - `simulated`: `Kernel.boot({ mode: 'simulated' })`, driven synchronously by
//   `kernel.simulatedClock.runReady()`: the same dispatcher with no event-loop hops at all.
//
// Cases (numbered as in the brief; run in the order 4, 5, 1+6, 2, 3, each in a process of its own, see run()):
// 1. the hand-written 1000-actor loop's workload through the runtime (class and fromReceive actors);
// 2. colocated ping-pong by tell (ns per round trip);
// 3. ask round trip from outside an actor and from inside one;
// 4. spawn rate, spawn+stop rate;
// 5. heap bytes per idle actor, and after each actor received one message;
// 6. workload 1 with and without an event-stream subscriber.
//
// Lines with an absolute goal carry `goal`, `goalKind` and `met` (emit extras); ratio goals use
// emitRatio. Cases whose numerator and denominator share a table are measured INTERLEAVED (A, B, A, B
// ...), so the VM's drift hits both. RUNTIME_CASES=4,5 runs a subset, in this process. About 20-35 s
// on this VM. The runtime is the package as users import it (`osprey`, the bundle in dist/pkg).

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ActorContext, ActorRef, Ask, Behavior } from '../boot/index.js';
import { asyncMethodLoop, functionCallLoop, handWrittenActorLoop, xstateCallbackAskLoop, xstateCallbackPingPongLoop, xstateSendLoop } from './baselines.js';
import { emit, emitRatio, maybeGc, quantile, type RateResult, summary } from './harness.js';

// Through a variable, as in package-echo.ts: tsc compiles this file before the bundle exists.
const osprey: string = 'osprey';
const { Actor, fromReceive, Kernel } = (await import(osprey)) as typeof import('../boot/index.js');
type Kernel = import('../boot/index.js').Kernel;

const REPS = 5;
/** The ask round trip the runtime aims at, from outside an actor and from inside one, in ns. */
const askNsGoal = 500;

// ---------------------------------------------------------------------------------------------
// Measurement helpers (repetitions whose setup/teardown must stay outside the timed block)

function now(): bigint {
  return process.hrtime.bigint();
}

/** One repetition returns [operations, elapsed ns of its timed block]. */
type Rep = () => Promise<[number, number]>;

/**
 * Runs `warmup` untimed then `REPS` timed repetitions of each case, INTERLEAVED (case A rep 1,
 * case B rep 1, ...), with a GC before each, so that the VM's drift (up to 2x within a minute)
 * hits numerator and denominator alike. Returns one rate (ops/s) per case.
 */
async function interleaved(cases: Array<{ name: string; unit: string; rep: Rep }>, warmup = 1, reps = REPS): Promise<RateResult[]> {
  for (let w = 0; w < warmup; w++)
    for (const c of cases) {
      maybeGc();
      await c.rep();
    }
  const values: number[][] = cases.map(() => []);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < cases.length; i++) {
      maybeGc();
      const [ops, ns] = await cases[i]!.rep();
      values[i]!.push(ops / (ns / 1e9));
    }
  }
  return cases.map((c, i) => summary(c.name, c.unit, values[i]!));
}

function syncRep(run: () => number): Rep {
  return () => {
    const t0 = now();
    const ops = run();
    const t1 = now();
    return Promise.resolve([ops, Number(t1 - t0)] as [number, number]);
  };
}

/** A rate as ns per operation (the median of reciprocals is the reciprocal of the median: odd reps). */
function nsPer(rate: RateResult, name: string): RateResult {
  return summary(
    name,
    'ns',
    rate.values.map((v) => 1e9 / v),
  );
}

/**
 * Ratios of the repetitions measured next to each other (rep r of a over rep r of b): with interleaved
 * cases their median is steadier than the ratio of medians (`value`) when the VM drifts mid-run.
 */
function paired(a: RateResult, b: RateResult): Record<string, unknown> {
  const ratios = a.values.map((v, i) => v / b.values[i]!);
  return {
    pairedMedian: quantile(
      [...ratios].sort((x, y) => x - y),
      0.5,
    ),
    pairedRatios: ratios,
  };
}

function goalExtras(value: number, goal: number, goalKind: 'min' | 'max'): Record<string, unknown> {
  return { goal, goalKind, met: goalKind === 'min' ? value >= goal : value <= goal };
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function settle(kernel: Kernel): Promise<void> {
  if (kernel.mode === 'simulated') kernel.simulatedClock.runReady();
  else for (let i = 0; i < 3; i++) await macrotask();
}

async function bootKernel(mode: 'real' | 'simulated', scheduler: 'fair' | 'fifo' = 'fair'): Promise<Kernel> {
  const kernel = await Kernel.boot({ mode, scheduler });
  await settle(kernel);
  return kernel;
}

// ---------------------------------------------------------------------------------------------
// 1 + 6. The hand-written loop's workload: 1000 actors, 100 messages in flight, each handled ping
// sends one new ping to actor (id*7+13) % 1000 until n have been sent (n handled in all).

const A = 1000;
const IN_FLIGHT = 100;

interface World {
  n: number;
  sent: number;
  handled: number;
  done: () => void;
}

type RingMsg =
  | { readonly type: 'ping'; readonly n: number }
  | { readonly type: 'init'; readonly id: number; readonly refs: readonly ActorRef<RingMsg>[]; readonly world: World };

const noop = (): void => {};
const idleWorld: World = { n: 0, sent: 0, handled: 0, done: noop };

/** Class actor: holds its id, the array of all refs (set by an `init` message after spawning). */
class RingActor extends Actor<RingMsg> {
  id = 0;
  refs: readonly ActorRef<RingMsg>[] = [];
  world: World = idleWorld;
  sum = 0;
  receive(msg: RingMsg): void {
    if (msg.type === 'ping') {
      this.sum += msg.n;
      const w = this.world;
      if (w.sent < w.n) {
        w.sent++;
        this.refs[(this.id * 7 + 13) % A]!.tell({ type: 'ping', n: msg.n + 1 });
      }
      if (++w.handled === w.n) w.done();
    } else {
      this.id = msg.id;
      this.refs = msg.refs;
      this.world = msg.world;
    }
  }
}

/** fromReceive actor: one function per actor closing over its id, the refs array and the world. */
function ringFunction(id: number, refs: readonly ActorRef<RingMsg>[], w: World): Behavior<RingMsg> {
  let _sum = 0;
  return fromReceive<RingMsg>(function ring(msg) {
    if (msg.type === 'ping') {
      _sum += msg.n;
      if (w.sent < w.n) {
        w.sent++;
        refs[(id * 7 + 13) % A]!.tell({ type: 'ping', n: msg.n + 1 });
      }
      if (++w.handled === w.n) w.done();
    }
  });
}

interface Ring {
  kernel: Kernel;
  refs: ActorRef<RingMsg>[];
  world: World;
}

async function makeRing(mode: 'real' | 'simulated', kind: 'class' | 'function', scheduler: 'fair' | 'fifo' = 'fair'): Promise<Ring> {
  const kernel = await bootKernel(mode, scheduler);
  const world: World = { n: 0, sent: 0, handled: 0, done: noop };
  const refs: ActorRef<RingMsg>[] = [];
  for (let i = 0; i < A; i++) refs.push(kernel.spawn(kind === 'class' ? RingActor : ringFunction(i, refs, world)));
  if (kind === 'class') for (let i = 0; i < A; i++) refs[i]!.tell({ type: 'init', id: i, refs, world });
  await settle(kernel);
  return { kernel, refs, world };
}

/** One repetition of n messages. The actors stay alive across repetitions (steady state). */
function ringRep(ring: Ring, n: number): Rep {
  return async () => {
    const { kernel, refs, world } = ring;
    world.n = n;
    world.sent = 0;
    world.handled = 0;
    let finished: Promise<void> = Promise.resolve();
    if (kernel.mode === 'real') finished = new Promise<void>((resolve) => (world.done = resolve));
    else world.done = noop;
    const t0 = now();
    for (let i = 0; i < IN_FLIGHT; i++) {
      world.sent++;
      refs[i * 10]!.tell({ type: 'ping', n: 0 });
    }
    if (kernel.mode === 'simulated') kernel.simulatedClock.runReady();
    else await finished;
    const t1 = now();
    if (world.handled !== n) throw new Error(`ring handled ${world.handled}, expected ${n}`);
    return [n, Number(t1 - t0)];
  };
}

// ---------------------------------------------------------------------------------------------
// 2. Ping-pong by tell

type PingMsg =
  | { readonly type: 'pong'; readonly n: number }
  | { readonly type: 'start'; readonly k: number; readonly done: () => void }
  | { readonly type: 'init'; readonly peer: ActorRef<PongMsg> };
type PongMsg = { readonly type: 'ping'; readonly n: number } | { readonly type: 'init'; readonly peer: ActorRef<PingMsg> };

class Pinger extends Actor<PingMsg> {
  peer: ActorRef<PongMsg> | null = null;
  left = 0;
  done: () => void = noop;
  receive(msg: PingMsg): void {
    if (msg.type === 'pong') {
      if (--this.left > 0) this.peer!.tell({ type: 'ping', n: msg.n + 1 });
      else this.done();
    } else if (msg.type === 'start') {
      this.left = msg.k;
      this.done = msg.done;
      this.peer!.tell({ type: 'ping', n: 0 });
    } else {
      this.peer = msg.peer;
    }
  }
}

class Ponger extends Actor<PongMsg> {
  peer: ActorRef<PingMsg> | null = null;
  receive(msg: PongMsg): void {
    if (msg.type === 'ping') this.peer!.tell({ type: 'pong', n: msg.n });
    else this.peer = msg.peer;
  }
}

async function makePingPong(mode: 'real' | 'simulated', scheduler: 'fair' | 'fifo' = 'fair'): Promise<{ kernel: Kernel; pinger: ActorRef<PingMsg> }> {
  const kernel = await bootKernel(mode, scheduler);
  const pinger = kernel.spawn(Pinger);
  const ponger = kernel.spawn(Ponger);
  pinger.tell({ type: 'init', peer: ponger });
  ponger.tell({ type: 'init', peer: pinger });
  await settle(kernel);
  return { kernel, pinger };
}

function pingPongRep(pp: { kernel: Kernel; pinger: ActorRef<PingMsg> }, k: number): Rep {
  return async () => {
    let ended = false;
    let resolveDone: () => void = noop;
    const finished = new Promise<void>((resolve) => (resolveDone = resolve));
    const t0 = now();
    pp.pinger.tell({
      type: 'start',
      k,
      done: () => {
        ended = true;
        resolveDone();
      },
    });
    if (pp.kernel.mode === 'simulated') pp.kernel.simulatedClock.runReady();
    else await finished;
    const t1 = now();
    if (!ended) throw new Error('ping-pong did not finish');
    return [k, Number(t1 - t0)];
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Ask round trips

type EchoMsg = Ask<{ readonly type: 'get'; readonly n: number }, number>;
class Echo extends Actor<EchoMsg> {
  receive(msg: EchoMsg, ctx: ActorContext<EchoMsg>): void {
    ctx.reply(msg, msg.n + 1);
  }
}

type AskerMsg = Ask<{ readonly type: 'run'; readonly k: number }, number> | { readonly type: 'init'; readonly target: ActorRef<EchoMsg> };
/** Asks `target` k times in a row from inside its (async) receive, then answers the outer ask. */
class Asker extends Actor<AskerMsg> {
  target: ActorRef<EchoMsg> | null = null;
  async receive(msg: AskerMsg, ctx: ActorContext<AskerMsg>): Promise<void> {
    if (msg.type === 'init') {
      this.target = msg.target;
      return;
    }
    const answer = ctx.replyLater(msg);
    let sum = 0;
    for (let i = 0; i < msg.k; i++) sum += await this.target!.ask({ type: 'get', n: i });
    answer.resolve(sum);
  }
}

function askOutsideRep(kernel: Kernel, echo: ActorRef<EchoMsg>, k: number): Rep {
  const sim = kernel.mode === 'simulated';
  return async () => {
    let sum = 0;
    const t0 = now();
    for (let i = 0; i < k; i++) {
      const p = echo.ask({ type: 'get', n: i });
      if (sim) kernel.simulatedClock.runReady();
      sum += await p;
    }
    const t1 = now();
    if (sum !== (k * (k + 1)) / 2) throw new Error(`ask sum ${sum}`);
    return [k, Number(t1 - t0)];
  };
}

function askInsideRep(_kernel: Kernel, asker: ActorRef<AskerMsg>, k: number): Rep {
  return async () => {
    const t0 = now();
    const sum = await asker.ask({ type: 'run', k }, { deadlineMs: 600_000 });
    const t1 = now();
    if (sum !== (k * (k + 1)) / 2) throw new Error(`inside ask sum ${sum}`);
    return [k, Number(t1 - t0)];
  };
}

/** A baseline request/reply loop of `k` round trips that resolves with the sum 0 + 1 + ... + k-1. */
function baselineAskRep(loop: (k: number) => Promise<number>, k: number): Rep {
  return async () => {
    const t0 = now();
    const sum = await loop(k);
    const t1 = now();
    if (sum !== (k * (k - 1)) / 2) throw new Error(`baseline ask sum ${sum}`);
    return [k, Number(t1 - t0)];
  };
}

function xstatePingPongRep(k: number): Rep {
  return async () => {
    const t0 = now();
    const done = await xstateCallbackPingPongLoop(k);
    const t1 = now();
    if (done !== k) throw new Error(`xstate ping-pong did ${done} of ${k}`);
    return [k, Number(t1 - t0)];
  };
}

/** The floor of any real-mode round trip that needs one event-loop turn: await setImmediate. */
function immediateHopRep(k: number): Rep {
  return async () => {
    const t0 = now();
    for (let i = 0; i < k; i++) await macrotask();
    const t1 = now();
    return [k, Number(t1 - t0)];
  };
}

// ---------------------------------------------------------------------------------------------
// 4 + 5. Spawn and memory

type IdleMsg = { readonly type: 'poke' };
let pokes = 0;
/** A small class actor: no fields. */
class Idle extends Actor<IdleMsg> {
  receive(): void {
    pokes++;
  }
}

/** Spawns m actors under the user guardian of a fresh kernel (boot untimed); the kernel is then dropped. */
function spawnRep(m: number): Rep {
  return async () => {
    const kernel = await bootKernel('real');
    maybeGc();
    const t0 = now();
    for (let i = 0; i < m; i++) kernel.spawn(Idle);
    const t1 = now();
    return [m, Number(t1 - t0)];
  };
}

/** Spawns m actors, then stops them all with kernel.stop and awaits every stop. */
function spawnStopRep(m: number): Rep {
  return async () => {
    const kernel = await bootKernel('real');
    const refs = new Array<ActorRef<IdleMsg>>(m);
    maybeGc();
    const t0 = now();
    for (let i = 0; i < m; i++) refs[i] = kernel.spawn(Idle);
    const stops = new Array<Promise<void>>(m);
    for (let i = 0; i < m; i++) stops[i] = kernel.stop(refs[i] as ActorRef<never>);
    await Promise.all(stops);
    const t1 = now();
    await settle(kernel); // let the guardian drain its child-exited signals (outside the timed block)
    return [m, Number(t1 - t0)];
  };
}

function heapUsed(): number {
  maybeGc();
  maybeGc();
  return process.memoryUsage().heapUsed;
}

type PokerMsg = { readonly type: 'poke'; readonly refs: readonly (ActorRef<IdleMsg> | undefined)[]; readonly from: number; readonly to: number };
const poke: IdleMsg = { type: 'poke' }; // one shared message: only the runtime's own memory is counted
/** Tells `poke` to refs[from..to): the pokes come from inside an actor, with its pid as their origin. */
class Poker extends Actor<PokerMsg> {
  receive(msg: PokerMsg): void {
    for (let i = msg.from; i < msg.to; i++) msg.refs[i]!.tell(poke);
  }
}

/**
 * Heap bytes per idle actor, then per actor after each received one message (mailbox allocated).
 * The pokes are sent by an actor, as most messages are: a pid origin is not a Smi, so the mailbox's
 * `shiftedOrigin` field gets a double representation (a 16-byte box per mailbox) that messages from
 * outside any actor (origin 0) would not show.
 */
async function memoryRep(n: number): Promise<[number, number]> {
  const kernel = await bootKernel('real');
  const poker = kernel.spawn(Poker);
  const refs = new Array<ActorRef<IdleMsg> | undefined>(n).fill(undefined); // allocated before the baseline
  const h0 = heapUsed();
  for (let i = 0; i < n; i++) refs[i] = kernel.spawn(Idle);
  const h1 = heapUsed();
  // In chunks, so the run queue stays small (its growth is one kernel-wide buffer, not per actor).
  const chunk = 1024;
  pokes = 0;
  for (let i = 0; i < n; i += chunk) {
    const end = Math.min(n, i + chunk);
    poker.tell({ type: 'poke', refs, from: i, to: end });
    while (pokes < end) await macrotask();
  }
  const h2 = heapUsed();
  if (refs.length !== n) throw new Error('unreachable');
  return [(h1 - h0) / n, (h2 - h0) / n];
}

// ---------------------------------------------------------------------------------------------

const N_CALL = 20_000_000;
const N_LOOP = 5_000_000;
const N_XSTATE = 100_000;
const N_RING = 2_000_000;
const N_RING_TRACED = 300_000;
const K_PINGPONG = 1_000_000;
const K_PINGPONG_XSTATE = 200_000;
// Long enough that a rep measures the steady state: the GC before each rep costs the next few thousand asks.
const K_ASK = 100_000;
const K_ASK_SIM = 100_000;
const M_SPAWN = 200_000;
// < 65,536 (systemLaneCapacity): each stop pushes a child-exited signal into the guardian's system lane
// before it gets a turn; more in one macrotask makes the excess stops reject with an InvariantError.
const M_SPAWN_STOP = 50_000;
const N_MEMORY = 200_000;

/**
 * The cases, in the order they run, each group in a process of its own (1 and 6 share their rings).
 * Why: V8 optimizes code for what it has seen run. In one process, the fair drain that played
 * ping-pong had first run rings of two actor classes on real and simulated kernels while the `fifo`
 * drain had run one ring, and xstate's request/reply was measured after xstate's send loop and
 * ping-pong: each ratio compared sides with different histories (docs/measured-limits.md §3l). A
 * fresh process per case, as run-all gives each bench file and as JMH forks a JVM per benchmark,
 * gives both sides the same one.
 */
const caseGroups = ['4', '5', '1,6', '2', '3'] as const;

/** A child that takes longer than this is killed, and the run fails (run-all's own limit may be longer). */
const caseGroupTimeoutMs = 600_000;

/** RUNTIME_CASES=1,2,... runs only those cases, in this process; without it, each group runs in a child. */
const only = process.env.RUNTIME_CASES === undefined ? null : new Set(process.env.RUNTIME_CASES.split(',').map((c) => c.trim()));

const started = Date.now();
function log(what: string): void {
  process.stderr.write(`runtime.bench: ${what} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}

export async function run(): Promise<void> {
  if (only === null) {
    // Spawn's rate depends on the heap the other cases leave behind too: spawning 200k long-lived
    // actors is GC-bound (about half the time is the scavenger promoting the new cells), 0.58-0.84 M/s
    // when run last in one process, 1.05-1.2 M/s first.
    const runOne = fileURLToPath(new URL('./run-one.js', import.meta.url));
    for (const cases of caseGroups) {
      // Its lines go straight to this process's output; a child that fails throws here.
      execFileSync(process.execPath, [...process.execArgv, runOne, fileURLToPath(import.meta.url)], {
        env: { ...process.env, RUNTIME_CASES: cases },
        stdio: ['ignore', 'inherit', 'inherit'],
        timeout: caseGroupTimeoutMs,
      });
    }
    return;
  }
  if (only.has('4')) await caseSpawn();
  if (only.has('5')) await caseMemory();
  if (only.has('1') || only.has('6')) await caseRing();
  if (only.has('2')) await casePingPong();
  if (only.has('3')) await caseAsk();
}

// ---- 4. spawn -------------------------------------------------------------------------------------
async function caseSpawn(): Promise<void> {
  const [spawn] = await interleaved([{ name: 'spawn (kernel.spawn of a small class, one parent)', unit: 'actors/s', rep: spawnRep(M_SPAWN) }]);
  emit(spawn!, { mode: 'real', m: M_SPAWN, ...goalExtras(spawn!.median, 1e6, 'min') });
  const [spawnStop] = await interleaved([{ name: 'spawn + kernel.stop (all awaited)', unit: 'actors/s', rep: spawnStopRep(M_SPAWN_STOP) }]);
  emit(spawnStop!, { mode: 'real', m: M_SPAWN_STOP });
  log('4 spawn done');
}

// ---- 5. memory ------------------------------------------------------------------------------------
async function caseMemory(): Promise<void> {
  await memoryRep(20_000); // warm-up
  const idle: number[] = [];
  const poked: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const [a, b] = await memoryRep(N_MEMORY);
    idle.push(a);
    poked.push(b);
  }
  const idleR = summary('heap bytes per idle actor', 'bytes', idle);
  emit(idleR, { mode: 'real', n: N_MEMORY, ...goalExtras(idleR.median, 300, 'max') });
  emit(summary('heap bytes per actor after each received one message', 'bytes', poked), { mode: 'real', n: N_MEMORY });
  log('5 memory done');
}

// ---- 1 + 6. workload of the hand-written loop; event stream --------------------------------------------
async function caseRing(): Promise<void> {
  const classReal = await makeRing('real', 'class');
  const fnReal = await makeRing('real', 'function');
  const classSim = await makeRing('simulated', 'class');
  const classFifo = await makeRing('real', 'class', 'fifo');
  const [loop, call, xs, rtClass, rtFn, rtClassSim, rtClassFifo] = await interleaved([
    { name: 'baseline: hand-written 1000-actor loop', unit: 'msg/s', rep: syncRep(() => handWrittenActorLoop(N_LOOP)) },
    { name: 'baseline: function call loop (inlinable)', unit: 'msg/s', rep: syncRep(() => functionCallLoop(N_CALL)) },
    { name: 'baseline: xstate v5 actor.send loop', unit: 'msg/s', rep: syncRep(() => xstateSendLoop(N_XSTATE)) },
    { name: 'runtime 1000-actor ring, class actors', unit: 'msg/s', rep: ringRep(classReal, N_RING) },
    { name: 'runtime 1000-actor ring, fromReceive actors', unit: 'msg/s', rep: ringRep(fnReal, N_RING) },
    { name: 'runtime 1000-actor ring, class actors', unit: 'msg/s', rep: ringRep(classSim, N_RING) },
    { name: 'runtime 1000-actor ring, class actors, fifo dispatcher', unit: 'msg/s', rep: ringRep(classFifo, N_RING) },
  ]);
  const ring = { actors: A, inFlight: IN_FLIGHT, actorsReused: true };
  emit(loop!, { n: N_LOOP });
  emit(call!, { n: N_CALL });
  emit(xs!, { n: N_XSTATE });
  emit(rtClass!, { mode: 'real', n: N_RING, ...ring });
  emit(rtFn!, { mode: 'real', n: N_RING, ...ring });
  emit(rtClassSim!, { mode: 'simulated', n: N_RING, ...ring });
  emit(rtClassFifo!, { mode: 'real', scheduler: 'fifo', n: N_RING, ...ring });
  // The fair scheduler's cost per message against the kernel core's FIFO dispatcher, same run.
  emitRatio({
    name: 'runtime ring: fair scheduler / fifo dispatcher',
    numerator: rtClass!,
    denominator: rtClassFifo!,
    goalKind: 'min',
    extra: { mode: 'real', overheadNsPerMessage: 1e9 / rtClass!.median - 1e9 / rtClassFifo!.median, ...paired(rtClass!, rtClassFifo!) },
  });
  // Issue 17's goal for the default (fair) scheduler on a real clock: half the hand loop's rate.
  emitRatio({
    name: 'runtime ring (class) / hand-written loop',
    numerator: rtClass!,
    denominator: loop!,
    goal: 0.5,
    goalKind: 'min',
    extra: { mode: 'real', ...paired(rtClass!, loop!) },
  });
  emitRatio({
    name: 'runtime ring (fromReceive) / hand-written loop',
    numerator: rtFn!,
    denominator: loop!,
    goal: 0.5,
    goalKind: 'min',
    extra: { mode: 'real', ...paired(rtFn!, loop!) },
  });
  emitRatio({
    name: 'runtime ring (class) / hand-written loop',
    numerator: rtClassSim!,
    denominator: loop!,
    goalKind: 'min',
    extra: { mode: 'simulated', ...paired(rtClassSim!, loop!) },
  });
  emitRatio({ name: 'runtime ring (class) / function call loop', numerator: rtClass!, denominator: call!, goalKind: 'min', extra: { mode: 'real' } });
  emitRatio({ name: 'runtime ring (fromReceive) / function call loop', numerator: rtFn!, denominator: call!, goalKind: 'min', extra: { mode: 'real' } });
  emitRatio({ name: 'runtime ring (class) / xstate send loop', numerator: rtClass!, denominator: xs!, goalKind: 'min', extra: { mode: 'real' } });
  emitRatio({ name: 'runtime ring (fromReceive) / xstate send loop', numerator: rtFn!, denominator: xs!, goalKind: 'min', extra: { mode: 'real' } });
  log('1 ring done');

  // 6. The same ring in a second real kernel with one counting subscriber on kernel.events, interleaved
  // with the untraced ring (a: no subscriber, b: subscriber, c = b/a).
  let events = 0;
  const tracedReal = await makeRing('real', 'class');
  const subscription = tracedReal.kernel.events.subscribe(() => {
    events++;
  });
  const [untraced, traced] = await interleaved([
    { name: 'runtime ring (class), no event subscriber', unit: 'msg/s', rep: ringRep(classReal, N_RING) },
    { name: 'runtime ring (class), one counting event subscriber', unit: 'msg/s', rep: ringRep(tracedReal, N_RING_TRACED) },
  ]);
  subscription.unsubscribe();
  emit(untraced!, { mode: 'real', n: N_RING, ...ring });
  emit(traced!, { mode: 'real', n: N_RING_TRACED, ...ring, eventsPerMessage: Number((events / (N_RING_TRACED * (REPS + 1))).toFixed(2)) });
  emitRatio({
    name: 'event stream: with subscriber / without (b/a)',
    numerator: traced!,
    denominator: untraced!,
    goalKind: 'min',
    extra: { mode: 'real', ...paired(traced!, untraced!) },
  });
  for (const r of [classReal, fnReal, classSim, classFifo, tracedReal]) await r.kernel.shutdown();
  log('6 event stream done');
}

// ---- 2. ping-pong ---------------------------------------------------------------------------------
async function casePingPong(): Promise<void> {
  const ppReal = await makePingPong('real');
  const ppSim = await makePingPong('simulated');
  const ppFifo = await makePingPong('real', 'fifo');
  const [pingReal, pingSim, pingFifo, pingXstate] = await interleaved([
    { name: 'ping-pong real', unit: 'rt/s', rep: pingPongRep(ppReal, K_PINGPONG) },
    { name: 'ping-pong simulated', unit: 'rt/s', rep: pingPongRep(ppSim, K_PINGPONG) },
    { name: 'ping-pong real, fifo dispatcher', unit: 'rt/s', rep: pingPongRep(ppFifo, K_PINGPONG) },
    { name: 'ping-pong, xstate fromCallback', unit: 'rt/s', rep: xstatePingPongRep(K_PINGPONG_XSTATE) },
  ]);
  emit(nsPer(pingXstate!, 'baseline: ping-pong by send between two xstate fromCallback actors, ns per round trip'), { k: K_PINGPONG_XSTATE });
  // Ping-pong is the scheduler's worst case: every message wakes a sleeper and puts the sender to sleep.
  emit(nsPer(pingFifo!, 'ping-pong by tell, ns per round trip, fifo dispatcher'), { mode: 'real', scheduler: 'fifo', k: K_PINGPONG });
  emitRatio({
    name: 'ping-pong: fair scheduler / fifo dispatcher (round trips/s)',
    numerator: pingReal!,
    denominator: pingFifo!,
    goalKind: 'min',
    extra: { mode: 'real', overheadNsPerMessage: (1e9 / pingReal!.median - 1e9 / pingFifo!.median) / 2, ...paired(pingReal!, pingFifo!) },
  });
  const realNs = nsPer(pingReal!, 'ping-pong by tell, ns per round trip');
  const simNs = nsPer(pingSim!, 'ping-pong by tell, ns per round trip');
  emit(realNs, { mode: 'real', k: K_PINGPONG, ...goalExtras(realNs.median, 150, 'max') });
  emit(simNs, { mode: 'simulated', k: K_PINGPONG, ...goalExtras(simNs.median, 150, 'max') });
  for (const pp of [ppReal, ppSim, ppFifo]) await pp.kernel.shutdown();
  log('2 ping-pong done');
}

// ---- 3. ask -----------------------------------------------------------------------------------------
async function caseAsk(): Promise<void> {
  const askKernel = await bootKernel('real');
  const echo = askKernel.spawn(Echo);
  const asker = askKernel.spawn(Asker);
  asker.tell({ type: 'init', target: echo });
  await settle(askKernel);
  const simKernel = await bootKernel('simulated');
  const echoSim = simKernel.spawn(Echo);
  simKernel.simulatedClock.runReady();
  const [outside, inside, outsideSim, hop, xstateAsk, asyncMethod] = await interleaved([
    { name: 'ask outside', unit: 'ask/s', rep: askOutsideRep(askKernel, echo, K_ASK) },
    { name: 'ask inside', unit: 'ask/s', rep: askInsideRep(askKernel, asker, K_ASK) },
    { name: 'ask outside simulated', unit: 'ask/s', rep: askOutsideRep(simKernel, echoSim, K_ASK_SIM) },
    { name: 'setImmediate hop', unit: 'hop/s', rep: immediateHopRep(K_ASK) },
    { name: 'xstate fromCallback request/reply', unit: 'ask/s', rep: baselineAskRep(xstateCallbackAskLoop, K_ASK) },
    { name: 'awaited async method', unit: 'call/s', rep: baselineAskRep(asyncMethodLoop, K_ASK) },
  ]);
  const deadline = { deadlineMs: 'default (5000)' };
  // Issue 17's goal: 0.5 µs from outside and from inside.
  const goal = (rate: RateResult) => ({ goal: askNsGoal, goalKind: 'max', met: 1e9 / rate.median <= askNsGoal });
  emit(nsPer(outside!, 'ask round trip from outside an actor (await ref.ask), ns'), { mode: 'real', k: K_ASK, ...deadline, ...goal(outside!) });
  emit(nsPer(inside!, 'ask round trip from inside an actor (await ask in an async receive), ns'), { mode: 'real', k: K_ASK, ...deadline, ...goal(inside!) });
  emit(nsPer(outsideSim!, 'ask round trip from outside an actor (ask, runReady, await), ns'), { mode: 'simulated', k: K_ASK_SIM, ...deadline });
  emit(nsPer(hop!, 'reference: await new Promise(setImmediate), ns'), { k: K_ASK });
  // Time of one ask over time of one bare event-loop hop (rates inverted: hop rate / ask rate).
  emitRatio({ name: 'ask from outside, time in setImmediate hops', numerator: hop!, denominator: outside!, goalKind: 'max', extra: { mode: 'real' } });
  emit(nsPer(xstateAsk!, 'baseline: xstate fromCallback request/reply (await a promise its callback resolves), ns'));
  emit(nsPer(asyncMethod!, 'baseline: awaited async method, ns'));
  // Time of one ask over time of xstate's request/reply (rates inverted): under 1, Osprey is faster.
  emitRatio({
    name: 'ask from outside / xstate fromCallback request/reply (time)',
    numerator: xstateAsk!,
    denominator: outside!,
    goal: 1,
    goalKind: 'max',
    extra: { mode: 'real' },
  });
  emitRatio({
    name: 'ask from inside / xstate fromCallback request/reply (time)',
    numerator: xstateAsk!,
    denominator: inside!,
    goal: 1,
    goalKind: 'max',
    extra: { mode: 'real' },
  });
  await askKernel.shutdown();
  await simKernel.shutdown();
  log('3 ask done');
}
