// One workload of instructions.bench.ts, run under callgrind: `node instructions-workload.js <case> <n>`.
// Each case is deterministic (a simulated kernel, or the scheduler alone, with no clock reading), so
// two runs with different n differ by n times the cost of one operation, whatever the machine does.

import { Actor, type ActorRef, Kernel } from '../boot/index.js';
import { CpuScheduler } from '../actors/sched/scheduler.js';
import { createSchedEntity } from '../actors/sched/entity.js';

type Ball = { readonly type: 'ball'; readonly left: number } | { readonly type: 'peer'; readonly peer: ActorRef<Ball> };

/** Two actors of a simulated kernel pass a ball `n` times each way. */
async function pingPong(scheduler: 'fair' | 'fifo', n: number): Promise<void> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, scheduler });
  let finished = false;
  class Player extends Actor<Ball> {
    peer: ActorRef<Ball> | null = null;
    receive(message: Ball): void {
      if (message.type === 'peer') this.peer = message.peer;
      else if (message.left === 0) finished = true;
      else this.peer!.tell({ type: 'ball', left: message.left - 1 });
    }
  }
  const ping = kernel.spawn(Player);
  const pong = kernel.spawn(Player);
  ping.tell({ type: 'peer', peer: pong });
  pong.tell({ type: 'peer', peer: ping });
  ping.tell({ type: 'ball', left: 2 * n });
  while (!finished) kernel.simulatedClock.runReady();
  await kernel.runUntil(kernel.shutdown());
}

/** The scheduler alone: two entities hand the CPU to each other `n` times (wake, sleep, pick). */
function handoff(n: number): void {
  const scheduler = new CpuScheduler<number>({ cpu: 0, startMs: 0 });
  const entities = [createSchedEntity(0), createSchedEntity(1)];
  let nowMs = 0;
  scheduler.wake(entities[0]!, nowMs);
  let turn = scheduler.pickNext(nowMs)!;
  for (let i = 0; i < n; i++) {
    const current = turn.entity;
    nowMs += 0.0003;
    scheduler.wake(entities[1 - current.owner]!, nowMs);
    scheduler.sleep(current, nowMs);
    turn = scheduler.pickNext(nowMs)!;
  }
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
    handoff(n);
    break;
  default:
    throw new RangeError(`instructions-workload: unknown case ${kind}`);
}
