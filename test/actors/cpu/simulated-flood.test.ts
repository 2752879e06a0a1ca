/**
 * The forwarding flood of forwarding.test.ts on simulated CPUs, with small rings and outboxes, so
 * the rings stay full and every wait between CPUs is met: three senders stream to an actor as fast
 * as they can while it moves between CPUs 0 and 1 (asked to, and wherever the balancers take it).
 * Every note arrives, once, in each sender's order, and nothing is a dead letter.
 *
 * What it caught: an outbox that took forwarded mail in once nothing had left it for a while went
 * on taking all of it, so a CPU that passed a long hold on to a slow neighbour poured it past the
 * outbox's reserve: tens of thousands of ring-full dead letters, a fence among them. And once
 * moves asked for could wait for room, a hold that drained down a route leading back to its own
 * CPU (the actor had come back), a loop the flood filled until two CPUs waited for each other.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { pidCpu } from '../../../ground/pid.js';
import { stressSize } from '../../helpers/stress.js';
import { Ledger, Mover, Pacer } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

async function floodWhileMoving(seed: number, rounds: number) {
  const kernel = await Kernel.boot({
    mode: 'simulated',
    seed,
    cpus: 3,
    modules,
    ringBytes: 65_536,
    outboxBytesMax: 1 << 20,
    outboxWaitMs: 5_000,
    simulatedCostMs: 0.0005,
  });
  try {
    const letters: DeadLetter[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter));
    const ledger = await kernel.runUntil(kernel.spawned(kernel.spawn(Ledger)));
    const movers = await kernel.runUntil(Promise.all([0, 1, 2].map((cpu) => kernel.spawned(kernel.spawn(Mover, { cpu })))));
    const pacers = await kernel.runUntil(Promise.all([0, 1, 2].map((cpu) => kernel.spawned(kernel.spawn(Pacer, { cpu })))));
    const streams = Promise.all(
      pacers.map((pacer, tag) => pacer.ask({ type: 'pace', to: ledger, count: Number.MAX_SAFE_INTEGER, tag, chunk: 50, everyMs: 0 }, { deadlineMs: 1e9 })),
    );
    const places = new Set<number>();
    for (let round = 0; round < rounds; round++) {
      // Flooded, an ask may wait behind the flood past its deadline: the round is skipped then.
      const pid = await kernel.runUntil(
        ledger.ask({ type: 'where' }, { deadlineMs: 10_000 }).catch(() => 0),
        { timeMsMax: 20_000 },
      );
      if (pid !== 0) {
        places.add(pid);
        const from = pidCpu(pid);
        // Refused when the balancer moved it meanwhile: it moves all the same.
        await kernel.runUntil(
          movers[from]!.ask({ type: 'move', pid, cpu: from === 0 ? 1 : 0 }, { deadlineMs: 10_000 }).catch(() => false),
          {
            timeMsMax: 20_000,
          },
        );
      }
      await kernel.advance(5);
    }
    for (const pacer of pacers) pacer.tell({ type: 'stop' });
    const total = (await kernel.runUntil(streams, { timeMsMax: 60_000 })).reduce((sum, count) => sum + count, 0);
    // Notes may still be on their way (rings, outboxes, holds) when the senders are done: ask until all are in, or a minute has passed.
    let summary = { count: 0, inOrder: true };
    for (let waitedMs = 0; waitedMs < 60_000 && summary.count < total; waitedMs += 100) {
      await kernel.advance(100);
      summary = await kernel.runUntil(ledger.ask({ type: 'summary' }, { deadlineMs: 60_000 }), { timeMsMax: 60_000 });
    }
    return { letters, places, total, summary };
  } finally {
    await kernel.shutdown();
  }
}

describe('a flood from three simulated CPUs onto an actor that keeps moving', function () {
  this.timeout(120_000);
  const seeds = stressSize('SIMULATED_FLOOD_SEEDS', { ci: 1, full: 6 });
  const rounds = stressSize('SIMULATED_FLOOD_ROUNDS', { ci: 4, full: 8 });

  for (let seed = 1; seed <= seeds; seed++) {
    it(`loses and reorders nothing, and the actor keeps moving (seed ${seed}, ${rounds} rounds)`, async () => {
      const { letters, places, total, summary } = await floodWhileMoving(seed, rounds);
      expect(letters).to.deep.equal([]);
      expect(summary).to.deep.equal({ count: total, inOrder: true });
      expect(places.size, 'the places it was found at').to.be.at.least(Math.min(3, rounds));
    });
  }
});
