/**
 * On a real clock the fair dispatcher charges most turns by their learned cost per message instead
 * of reading the clock (a reading costs as much as the rest of a short turn), and reads it once 20 µs
 * of turns have been charged so: to measure a turn and learn the cost again if the estimates ran
 * long, or every fourth time. Shares stay fair, and a turn stretched by a pause (a GC, the VM) does
 * not leave the CPU ending drain after drain early.
 *
 * The clock here is of the real kind with a time the test moves: each message handled advances it
 * by its actor's cost, as CPU time would.
 */
import { expect } from 'chai';
import { type ActorRef, Actor, Kernel } from '../../../boot/index.js';
import { createRealClock } from '../../../drivers/clock/real.js';
import { entityOf } from '../../../actors/sched/fair-dispatcher.js';
import type { Clock } from '../../../drivers/clock/clock.js';

/** A real-kind clock whose time moves only when told; timers and scheduling are the real clock's. */
function steppedClock() {
  const real = createRealClock();
  const state = { nowMs: 0, reads: 0 };
  const clock: Clock = {
    kind: 'real',
    now: () => {
      state.reads++;
      return state.nowMs;
    },
    setTimer: (delayMs, callback) => real.setTimer(delayMs, callback),
    cancelTimer: (handle) => real.cancelTimer(handle),
    keepAlive: (handle, keep) => real.keepAlive(handle, keep),
    schedule: (callback) => real.schedule(callback),
    soon: (callback) => real.soon(callback),
    waitWhile: (words, index, expected, timeoutMs) => real.waitWhile(words, index, expected, timeoutMs),
    waitWhileAsync: (words, index, expected, timeoutMs) => real.waitWhileAsync(words, index, expected, timeoutMs),
  };
  return { clock, state };
}

type WorkMsg = { readonly type: 'work'; readonly costMs: number };

describe('turns charged by their learned cost (real clocks)', () => {
  it('keep two hogs of different costs per message at equal CPU shares, through a pause in one of them', async () => {
    const { clock, state } = steppedClock();
    const kernel = await Kernel.boot({ clock, scheduler: 'fair', mailboxCapacity: 10_000 });
    try {
      const spent = { heavy: 0, light: 0 };
      let heavyAtLightDone = -1;
      const lightCount = 4_000;
      let lightHandled = 0;
      class Hog extends Actor<WorkMsg> {
        constructor(private readonly which: 'heavy' | 'light') {
          super();
        }
        receive(message: WorkMsg): void {
          state.nowMs += message.costMs;
          spent[this.which] += message.costMs;
          if (this.which === 'light' && ++lightHandled === lightCount) heavyAtLightDone = spent.heavy;
        }
      }
      const heavy = kernel.spawn(
        class extends Hog {
          constructor() {
            super('heavy');
          }
        },
      );
      const light = kernel.spawn(
        class extends Hog {
          constructor() {
            super('light');
          }
        },
      );
      // A pause in the middle of the heavy actor's work, as a GC would make.
      for (let i = 0; i < 2_000; i++) heavy.tell({ type: 'work', costMs: i === 100 ? 50 : 1 });
      for (let i = 0; i < lightCount; i++) light.tell({ type: 'work', costMs: 0.1 });
      while (lightHandled < lightCount) await new Promise((resolve) => setImmediate(resolve));
      // 400 ms of the light actor's work: the heavy one had about as much (and its 50 ms pause).
      expect(heavyAtLightDone / spent.light).to.be.within(0.8, 1.35);
    } finally {
      await kernel.shutdown();
    }
  });

  it('read the clock for a small share of the turns of two actors playing ping-pong', async () => {
    // One turn per message: without estimates, at least one reading each.
    expect(await readingsPerTurn(0.001), 'clock readings per turn').to.be.below(0.25);
  });

  it('read the clock after 20 µs of estimated time, and after 50 turns at most however cheap they are; one reading in four of those measures a turn', async () => {
    // A reading follows once the turns charged by estimate reach 20 µs, each counted as 400 ns at
    // least: 50 turns of 50 ns, 20 of 1 µs, and a single one of 50 µs go before it. Here every turn
    // takes what was learnt, so the estimates hold, and three windows of them in a row end with that
    // one reading (windowsHeldMax); the fourth measures the turn after it, with a second reading.
    for (const [costMs, estimatedBetween] of [
      [0.00005, 50],
      [0.001, 20],
      [0.05, 1],
    ] as const) {
      const expected = 5 / (4 * (estimatedBetween + 1) + 1);
      expect(await readingsPerTurn(costMs), `clock readings per turn of ${costMs} ms`).to.be.within(0.85 * expected, 1.15 * expected);
    }
  });

  it('measure turns again as soon as a window of estimates took longer than it was estimated to', async () => {
    // Two actors learn 1 µs a message, then take 4 µs: each window of estimates now runs long, so
    // the turn after it is measured, until the costs learnt are within a quarter of the new one.
    // Were those windows let pass, one in four would measure a turn, and the costs would lag.
    const game = await steppedPingPong(0.001);
    try {
      for (const [turns, cost] of [
        [2_000, 0.001],
        [300, 0.004],
      ] as const) {
        game.costMs = cost;
        await game.play(turns);
      }
      for (const player of [game.ping, game.pong]) expect(costLearntNs(player), 'ns a message, learnt').to.be.within(3_000, 4_000);
    } finally {
      await game.kernel.shutdown();
    }
  });
});

/** The cost per message the dispatcher has learnt for `ref`'s actor, in ns (an internal, read for the test). */
function costLearntNs(ref: ActorRef<never>): number {
  return entityOf(ref.cell).nsPerMessage;
}

/** Clock readings per turn while two actors play ping-pong, each message costing `costMs` of the clock's time. */
async function readingsPerTurn(costMs: number): Promise<number> {
  const game = await steppedPingPong(costMs);
  try {
    const turns = 4_000;
    await new Promise((resolve) => setImmediate(resolve));
    const readsBefore = game.state.reads;
    await game.play(turns);
    return (game.state.reads - readsBefore) / turns;
  } finally {
    await game.kernel.shutdown();
  }
}

type Ball = { readonly type: 'ball' } | { readonly type: 'peer'; readonly peer: ActorRef<Ball> };

/**
 * Two actors of a fair kernel on a stepped clock, each the other's peer: `play(turns)` passes a ball
 * between them for that many turns, each message moving the clock on by `costMs` (which may change
 * between plays).
 */
async function steppedPingPong(costMs: number) {
  const { clock, state } = steppedClock();
  const kernel = await Kernel.boot({ clock, scheduler: 'fair' });
  let left = 0;
  const game = {
    kernel,
    state,
    costMs,
    ping: null as unknown as ActorRef<Ball>,
    pong: null as unknown as ActorRef<Ball>,
    async play(turns: number): Promise<void> {
      left = turns;
      game.ping.tell({ type: 'ball' });
      while (left > 0) await new Promise((resolve) => setImmediate(resolve));
    },
  };
  class Player extends Actor<Ball> {
    peer: ActorRef<Ball> | null = null;
    receive(message: Ball): void {
      state.nowMs += game.costMs;
      if (message.type === 'peer') this.peer = message.peer;
      else if (--left > 0) this.peer!.tell(message);
    }
  }
  game.ping = kernel.spawn(Player);
  game.pong = kernel.spawn(Player);
  game.ping.tell({ type: 'peer', peer: game.pong });
  game.pong.tell({ type: 'peer', peer: game.ping });
  return game;
}
