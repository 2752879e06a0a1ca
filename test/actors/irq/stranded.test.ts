/**
 * No stranded event: whatever the interleaving of raises, turns, masks and unmasks — including
 * raises from inside the handler's own callback, after its batch emptied the ring and before the
 * line is unmasked — every recorded event is delivered, exactly once, in raise order.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { interruptHandler, type InterruptController, type VectorNumber } from '../../../actors/irq/index.js';
import type { Kernel } from '../../../boot/index.js';
import { bootWithIrq, runTurns, settled, shutdown } from './helpers.js';

interface Rig {
  readonly kernel: Kernel;
  readonly irq: InterruptController;
  readonly vector: VectorNumber<number>;
  readonly delivered: number[];
  readonly batches: number[][];
}

/** A vector whose handler records what it gets and runs `inside` for each event. */
async function rig(options: { batchEvents?: number; inside?: (n: number, rig: Rig, batch: readonly number[], index: number) => void } = {}): Promise<Rig> {
  const { kernel, irq } = await bootWithIrq();
  const delivered: number[] = [];
  const batches: number[][] = [];
  const self = { kernel, irq, delivered, batches } as unknown as { vector: VectorNumber<number> } & Rig;
  const handler = interruptHandler<number>((events) => {
    batches.push([...events]);
    events.forEach((n, index) => {
      delivered.push(n);
      options.inside?.(n, self, events, index);
    });
  });
  self.vector = await settled(
    kernel,
    irq.allocate({ name: 'probe', handler, ringCapacity: 1_024, ...(options.batchEvents !== undefined ? { batchEvents: options.batchEvents } : {}) }),
  );
  return self;
}

describe('irq: no stranded event', () => {
  it('delivers an event the handler raises on its own vector from inside its callback', async () => {
    // Event 1 makes the handler raise 100: the ring was emptied by the take, so only the re-check
    // after unmasking can find it.
    const r = await rig({ inside: (n, self) => void (n === 1 && self.irq.raise(self.vector, 100)) });
    r.irq.raise(r.vector, 1);
    runTurns(r.kernel);
    expect(r.batches).to.deep.equal([[1], [100]]);
    expect(r.irq.stats(r.vector)).to.include({ raised: 2, delivered: 2, wakes: 2, line: 'idle', queued: 0 });
    await shutdown(r.kernel);
  });

  it('delivers an event raised after the batch emptied the ring and before the unmask (last event of a batch)', async () => {
    const r = await rig({
      batchEvents: 4,
      inside: (n, self, batch, index) => {
        // Only on the last event of a batch, when the ring is already empty: the window between
        // drain and unmask.
        if (index === batch.length - 1 && n < 3) self.irq.raise(self.vector, 10 + n);
      },
    });
    for (const n of [0, 1, 2]) r.irq.raise(r.vector, n);
    runTurns(r.kernel);
    expect(r.batches).to.deep.equal([[0, 1, 2], [12]]);
    await shutdown(r.kernel);
  });

  it('wakes once for a burst raised while the wake is pending, and again only after the line went idle', async () => {
    const r = await rig();
    r.irq.raise(r.vector, 1);
    expect(r.irq.stats(r.vector).line).to.equal('pending');
    r.irq.raise(r.vector, 2);
    r.irq.raise(r.vector, 3);
    runTurns(r.kernel);
    r.irq.raise(r.vector, 4);
    runTurns(r.kernel);
    expect(r.batches).to.deep.equal([[1, 2, 3], [4]]);
    expect(r.irq.stats(r.vector).wakes).to.equal(2);
    await shutdown(r.kernel);
  });

  it('records while masked, wakes nobody, and delivers on unmask — also when masked from the callback', async () => {
    const r = await rig({ inside: (n, self) => void (n === 1 && self.irq.mask(self.vector)) });
    r.irq.raise(r.vector, 1);
    r.irq.raise(r.vector, 2);
    runTurns(r.kernel);
    // Masked in service after a batch of [1, 2]: nothing more is delivered, events are recorded.
    r.irq.raise(r.vector, 3);
    runTurns(r.kernel);
    expect(r.irq.stats(r.vector)).to.include({ line: 'masked', queued: 1, wakes: 1 });
    r.irq.unmask(r.vector);
    runTurns(r.kernel);
    expect(r.batches).to.deep.equal([[1, 2], [3]]);
    // A wake queued before a mask finds the line masked and does nothing.
    r.irq.raise(r.vector, 4);
    r.irq.mask(r.vector);
    runTurns(r.kernel);
    expect(r.delivered).to.deep.equal([1, 2, 3]);
    r.irq.unmask(r.vector);
    runTurns(r.kernel);
    expect(r.delivered).to.deep.equal([1, 2, 3, 4]);
    expect(r.irq.stats(r.vector)).to.include({ line: 'idle', queued: 0 });
    await shutdown(r.kernel);
  });

  it('delivers everything, exactly once and in order, under any interleaving (property)', async () => {
    const op = fc.oneof(
      { weight: 5, arbitrary: fc.record({ raise: fc.integer({ min: 1, max: 40 }) }) },
      { weight: 3, arbitrary: fc.constant({ turns: true as const }) },
      { weight: 1, arbitrary: fc.constant({ mask: true as const }) },
      { weight: 1, arbitrary: fc.constant({ unmask: true as const }) },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 0, max: 6 }), async (ops, batchEvents, echoEvery) => {
        let next = 0;
        const raised: number[] = [];
        const raise = (self: Rig): void => {
          raised.push(next);
          expect(self.irq.raise(self.vector, next++)).to.equal(true);
        };
        // The handler raises a follow-up for every `echoEvery`-th event (bounded: only for events
        // raised from outside), and sometimes masks or unmasks its own line.
        const echoes = new Set<number>();
        const r = await rig({
          batchEvents,
          inside: (n, self) => {
            if (echoEvery > 0 && n % echoEvery === 0 && !echoes.has(n)) {
              echoes.add(next);
              raise(self);
            }
            if (n % 7 === 3) self.irq.mask(self.vector);
            if (n % 7 === 5) self.irq.unmask(self.vector);
          },
        });
        for (const o of ops) {
          if ('raise' in o) for (let i = 0; i < o.raise; i++) raise(r);
          else if ('turns' in o) runTurns(r.kernel);
          else if ('mask' in o) r.irq.mask(r.vector);
          else r.irq.unmask(r.vector);
          const stats = r.irq.stats(r.vector);
          // An idle line has nothing recorded: nothing can be stranded behind it.
          if (stats.line === 'idle') expect(stats.queued).to.equal(0);
        }
        // Quiesce: unmask until the line stays idle (the handler may mask itself again).
        for (let round = 0; round < 1_000 && (r.irq.stats(r.vector).line !== 'idle' || r.irq.stats(r.vector).queued > 0); round++) {
          r.irq.unmask(r.vector);
          runTurns(r.kernel);
        }
        expect(r.delivered).to.deep.equal(raised);
        const stats = r.irq.stats(r.vector);
        expect(stats).to.include({ raised: raised.length, delivered: raised.length, overruns: 0, queued: 0, line: 'idle' });
        expect(stats.batchMax).to.be.at.most(batchEvents);
        await shutdown(r.kernel);
      }),
      { numRuns: 150 },
    );
  });
});
