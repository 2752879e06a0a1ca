// One workload of instructions.bench.ts, run under callgrind: `node instructions-workload.js <case> <n>`.
// Each case is deterministic (a simulated kernel, or the scheduler alone, with no clock reading), so
// two runs with different n differ by n times the cost of one operation, whatever the machine does.

import { Actor, type ActorContext, type ActorRef, type Ask, Kernel } from '../boot/index.js';
import { CpuScheduler } from '../actors/sched/scheduler.js';
import { createSchedEntity } from '../actors/sched/entity.js';
import type { Clock } from '../drivers/clock/clock.js';
import { createRealClock } from '../drivers/clock/real.js';
import { xstateCallbackAskLoop } from './baselines.js';
import { type Ping, Sink } from './cpu-actors.js';

/**
 * Operations run before the counted ones in the cases below: V8 compiles the hot paths during
 * them, so a compilation does not land in one run's counted part and not in the other's.
 */
const warmUpOperations = 60_000;
/**
 * The phases a workload runs, warm-up first: in two halves, so that the code that ends a phase (the
 * last message, a drain that runs dry) has run once before the counted phase. Its first run finds
 * no type feedback there and throws away the drain's optimized code, which V8 compiles again only
 * after a while: with one warm-up phase, the counted part began in unoptimized code, for a stretch
 * that moved from run to run (fair ping-pong counted 2076 to 2193 a round trip on one build).
 */
const warmUpPhases = [warmUpOperations / 2, warmUpOperations / 2];

/**
 * A real clock whose readings are made up: each advances 0.1 µs. The kernel then takes its real-time
 * paths (an ask from outside runs its drain in the call; turns are charged by learned costs), and
 * every run of a workload executes the same instructions.
 */
function countingClock(): Clock {
  const real = createRealClock();
  const readingMs = new Float64Array(1);
  return { ...real, now: () => (readingMs[0] += 1e-4) };
}

/** A kernel on `countingClock` plays ping-pong `n` times, after the warm-up. */
async function pingPongRealClock(scheduler: 'fair' | 'fifo', n: number): Promise<void> {
  const kernel = await Kernel.boot({ clock: countingClock(), scheduler });
  let finished: () => void = () => {};
  const ping = spawnPlayers(kernel, () => finished());
  for (const rounds of [...warmUpPhases, n]) {
    const done = new Promise<void>((resolve) => (finished = resolve));
    ping.tell({ type: 'ball', left: 2 * rounds });
    await done;
  }
  await kernel.shutdown();
}

type EchoMsg = Ask<{ readonly type: 'get'; readonly n: number }, number>;

/** The actor the ask workloads ask: it answers at once. */
class Echo extends Actor<EchoMsg> {
  receive(message: EchoMsg, ctx: ActorContext<EchoMsg>): void {
    ctx.reply(message, message.n + 1);
  }
}

/** `n` asks from outside an actor, awaited one by one, to an actor that answers at once. */
async function askOutside(n: number): Promise<void> {
  const kernel = await Kernel.boot({ clock: countingClock() });
  const echo = kernel.spawn(Echo);
  for (const asks of [...warmUpPhases, n]) for (let i = 0; i < asks; i++) await echo.ask({ type: 'get', n: i });
  await kernel.shutdown();
}

type AskerMsg = Ask<{ readonly type: 'run'; readonly asks: number }, number>;

/** `n` asks from inside an actor (awaited one by one in its async receive), to an actor that answers at once. */
async function askInside(n: number): Promise<void> {
  const kernel = await Kernel.boot({ clock: countingClock() });
  const echo = kernel.spawn(Echo);
  class Asker extends Actor<AskerMsg> {
    async receive(message: AskerMsg, ctx: ActorContext<AskerMsg>): Promise<void> {
      const answer = ctx.replyLater(message);
      let sum = 0;
      for (let i = 0; i < message.asks; i++) sum += await echo.ask({ type: 'get', n: i });
      answer.resolve(sum);
    }
  }
  const asker = kernel.spawn(Asker);
  for (const asks of [...warmUpPhases, n]) await asker.ask({ type: 'run', asks });
  await kernel.shutdown();
}

type Ball = { readonly type: 'ball'; readonly left: number } | { readonly type: 'peer'; readonly peer: ActorRef<Ball> };

type HopMsg = { readonly type: 'next'; readonly next: ActorRef<HopMsg> } | { readonly type: 'hop'; readonly left: number };

/**
 * A kernel on `countingClock` passes 100 tokens round a ring of 1000 actors (runtime.bench's ring)
 * until `n` hops were made, after the warm-up: most wakes find other actors queued, so this is the
 * path of a busy CPU rather than of two actors that talk.
 */
async function ringRealClock(scheduler: 'fair' | 'fifo', n: number): Promise<void> {
  const kernel = await Kernel.boot({ clock: countingClock(), scheduler });
  const tokens = 100;
  let finished = () => {};
  let tokensLeft = 0;
  class Hop extends Actor<HopMsg> {
    next: ActorRef<HopMsg> | null = null;
    receive(message: HopMsg): void {
      if (message.type === 'next') this.next = message.next;
      else if (message.left > 0) this.next!.tell({ type: 'hop', left: message.left - 1 });
      else if (--tokensLeft === 0) finished();
    }
  }
  const ring = Array.from({ length: 1000 }, () => kernel.spawn(Hop));
  ring.forEach((hop, i) => hop.tell({ type: 'next', next: ring[(i + 1) % ring.length]! }));
  for (const hops of [...warmUpPhases, n]) {
    const done = new Promise<void>((resolve) => (finished = resolve));
    tokensLeft = tokens;
    for (let t = 0; t < tokens; t++) ring[t * 10]!.tell({ type: 'hop', left: Math.ceil(hops / tokens) });
    await done;
  }
  await kernel.shutdown();
}

/**
 * Two actors that pass a ball back and forth until it arrives with none left, when `onLastBall`
 * runs; returns the one to throw it to.
 */
function spawnPlayers(kernel: Kernel, onLastBall: () => void): ActorRef<Ball> {
  class Player extends Actor<Ball> {
    peer: ActorRef<Ball> | null = null;
    receive(message: Ball): void {
      if (message.type === 'peer') this.peer = message.peer;
      else if (message.left === 0) onLastBall();
      else this.peer!.tell({ type: 'ball', left: message.left - 1 });
    }
  }
  const ping = kernel.spawn(Player);
  const pong = kernel.spawn(Player);
  ping.tell({ type: 'peer', peer: pong });
  pong.tell({ type: 'peer', peer: ping });
  return ping;
}

/** Two actors of a simulated kernel pass a ball `n` times each way. */
async function pingPong(scheduler: 'fair' | 'fifo', n: number): Promise<void> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, scheduler });
  let finished = false;
  const ping = spawnPlayers(kernel, () => (finished = true));
  ping.tell({ type: 'ball', left: 2 * n });
  while (!finished) kernel.simulatedClock.runReady();
  await kernel.runUntil(kernel.shutdown());
}

/**
 * The scheduler alone: two entities hand the CPU to each other `n` times, by wake, sleep and pick or
 * (`direct`) by `handOff`, the one call the fair dispatcher makes for two actors that talk.
 */
function handoff(n: number, direct: boolean): void {
  const scheduler = new CpuScheduler<number>({ cpu: 0, startMs: 0 });
  const entities = [createSchedEntity(0), createSchedEntity(1)];
  let nowMs = 0;
  // Both entities run once and sleep, so each is a sleeper of this CPU when the loop wakes it.
  for (const entity of entities) {
    scheduler.wake(entity, nowMs);
    scheduler.pickNext(nowMs);
    scheduler.sleep(entity, nowMs);
  }
  scheduler.wake(entities[0]!, nowMs);
  let turn = scheduler.pickNext(nowMs)!;
  for (let i = 0; i < n; i++) {
    const current = turn.entity;
    const next = entities[1 - current.owner]!;
    nowMs += 0.0003;
    if (direct) {
      turn = scheduler.handOff(current, next, nowMs);
    } else {
      scheduler.wake(next, nowMs);
      scheduler.sleep(current, nowMs);
      turn = scheduler.pickNext(nowMs)!;
    }
  }
}

/**
 * `n` tells from the main thread to an actor on CPU 1 of a simulated two-CPU kernel: both CPUs run
 * in this thread, so the count holds the sender's check, encode and staging and the receiver's
 * decode and delivery. The message is cpu.bench's.
 */
async function crossCpuTell(n: number): Promise<void> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, cpus: 2, modules: [new URL('./cpu-actors.js', import.meta.url)] });
  const sink = kernel.spawn(Sink, { cpu: 1, mailboxCapacity: crossCpuBurst });
  await kernel.runUntil(kernel.spawned(sink));
  const payload = { a: 1, b: 'x' };
  for (const tells of [...warmUpPhases, n]) {
    for (let sent = 0; sent < tells; sent += crossCpuBurst) {
      const burst = Math.min(crossCpuBurst, tells - sent);
      const done = sink.ask({ type: 'expect', n: burst });
      for (let seq = 0; seq < burst; seq++) sink.tell({ type: 'ping', seq, payload });
      await kernel.runUntil(done);
    }
  }
  await kernel.runUntil(kernel.shutdown());
}

/** Tells per burst of `crossCpuTell`: one ask counts them in. */
const crossCpuBurst = 1_000;

/**
 * What `postMessage` does to each message of a batch of 64, in one thread: `structuredClone` of the
 * array serializes it as the sending port does and deserializes it as the receiving one does.
 */
function structuredCloneBatched(n: number): void {
  const payload = { a: 1, b: 'x' };
  let cloned = 0;
  for (const messages of [warmUpOperations, n]) {
    for (let sent = 0; sent < messages; sent += 64) {
      const batch: Ping[] = [];
      for (let seq = sent; seq < Math.min(sent + 64, messages); seq++) batch.push({ type: 'ping', seq, payload });
      cloned += structuredClone(batch).length;
    }
  }
  if (cloned !== warmUpOperations + n) throw new Error(`structuredClone returned ${cloned} messages of ${warmUpOperations + n}`);
}

const [kind, count] = process.argv.slice(2);
const n = Number(count);
if (!Number.isInteger(n) || n < 0) throw new RangeError(`instructions-workload: a count is a whole number, got ${count}`);
switch (kind) {
  case 'ping-pong-fair':
    await pingPong('fair', n);
    break;
  case 'ping-pong-fifo':
    await pingPong('fifo', n);
    break;
  case 'handoff':
    handoff(n, false);
    break;
  case 'handoff-direct':
    handoff(n, true);
    break;
  case 'ping-pong-real-fair':
    await pingPongRealClock('fair', n);
    break;
  case 'ping-pong-real-fifo':
    await pingPongRealClock('fifo', n);
    break;
  case 'ring-real-fair':
    await ringRealClock('fair', n);
    break;
  case 'ring-real-fifo':
    await ringRealClock('fifo', n);
    break;
  case 'ask-outside':
    await askOutside(n);
    break;
  case 'ask-inside':
    await askInside(n);
    break;
  case 'xstate-ask':
    for (const asks of [...warmUpPhases, n]) await xstateCallbackAskLoop(asks);
    break;
  case 'cross-cpu-tell':
    await crossCpuTell(n);
    break;
  case 'structured-clone-batched':
    structuredCloneBatched(n);
    break;
  default:
    throw new RangeError(`instructions-workload: unknown case ${kind}`);
}
