/**
 * Two actors swap CPUs while each CPU floods the actor that was on the other: X moves from CPU 0 to
 * CPU 1 and Y from CPU 1 to CPU 0, so until the news of the moves has spread each CPU forwards back
 * what the other sends, and each is the CPU behind the other. Small rings and outboxes make both
 * half full at once. Neither CPU waits for the other for ever, and nothing is lost or reordered.
 * A move the flood refuses is tried again; one refused because the actor's mailbox does not fit a
 * frame of the small ring does not pin the actor (its mailbox fits once it has worked it down).
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { outboxFrameOverheadBytes } from '../../../actors/cpu/limits.js';
import { frameBytesMax } from '../../../protocols/limits.js';
import { Ledger, Mover, Pacer } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

describe('two actors that swap CPUs under a flood', () => {
  it('both floods arrive whole and in order while both actors move, with no dead letter', async () => {
    const kernel = await Kernel.boot({
      mode: 'simulated',
      seed: 13,
      cpus: 2,
      modules,
      ringBytes: 4096,
      // Work takes virtual time, so the floods leave time for everything else.
      simulatedCostMs: 0.001,
      outboxBytesMax: frameBytesMax + outboxFrameOverheadBytes,
    });
    const letters: DeadLetter[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter));
    const x = kernel.spawn(Ledger, { cpu: 0 });
    const y = kernel.spawn(Ledger, { cpu: 1 });
    const movers = [kernel.spawn(Mover, { cpu: 0, pinned: true }), kernel.spawn(Mover, { cpu: 1, pinned: true })];
    const pacers = [kernel.spawn(Pacer, { cpu: 1, pinned: true }), kernel.spawn(Pacer, { cpu: 0, pinned: true })];
    await kernel.settle();
    const [xOld, yOld] = [x.pid, y.pid];
    // CPU 1 floods X, CPU 0 floods Y, back to back.
    const floods = Promise.all([
      pacers[0]!.ask({ type: 'pace', to: x, count: Number.MAX_SAFE_INTEGER, tag: 0, chunk: 50, everyMs: 0 }, { deadlineMs: 600_000 }),
      pacers[1]!.ask({ type: 'pace', to: y, count: Number.MAX_SAFE_INTEGER, tag: 1, chunk: 50, everyMs: 0 }, { deadlineMs: 600_000 }),
    ]);
    await kernel.advance(5);
    // Flooded, a move is often refused (the ring is full, or the mailbox does not fit a frame): it is tried again.
    const moved = [false, false];
    for (let tries = 0; tries < 10_000 && !(moved[0] && moved[1]); tries++) {
      const [xMove, yMove] = await kernel.runUntil(
        Promise.all([
          moved[0] ? true : movers[0]!.ask({ type: 'move', pid: xOld, cpu: 1 }),
          moved[1] ? true : movers[1]!.ask({ type: 'move', pid: yOld, cpu: 0 }),
        ]),
      );
      moved[0] = xMove === true;
      moved[1] = yMove === true;
      await kernel.advance(0.01);
    }
    expect(moved).to.deep.equal([true, true]);
    await kernel.advance(200);
    for (const pacer of pacers) pacer.tell({ type: 'stop' });
    const [toX, toY] = await kernel.runUntil(floods);
    await kernel.advance(1_000);
    expect(await kernel.runUntil(x.ask({ type: 'summary' }))).to.deep.equal({ count: toX, inOrder: true });
    expect(await kernel.runUntil(y.ask({ type: 'summary' }))).to.deep.equal({ count: toY, inOrder: true });
    expect(letters).to.deep.equal([]);
    await kernel.shutdown();
  });
});
