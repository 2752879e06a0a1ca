/**
 * A forwarding hold's admission of mail from other CPUs while its fence is out (forward-hold.ts):
 * it takes mail in while it has room; full, it spills down the old route and takes more only while
 * that route takes forwarded mail, so a flood waits in its rings instead of growing the route's
 * outbox past its bound. (Under a flood from three CPUs that bound was once passed: mail and then
 * fences became ring-full dead letters, and the switch never completed.)
 */
import { expect } from 'chai';
import { Kernel } from '../../../boot/index.js';
import { ForwardHold, type HoldSink } from '../../../actors/cpu/forward-hold.js';
import type { RemoteCell } from '../../../actors/cpu/remote-cell.js';
import type { Cell } from '../../../actors/runtime/cell.js';
import type { KernelFence } from '../../../protocols/runtime.js';

/** A sink that records what the hold sends on; `routeTakes` says whether the old route takes forwarded mail. */
function recordingSink() {
  const sink = {
    routeTakes: true,
    sentOn: [] as unknown[],
    fences: 0,
    canTakeNow: (_cell: Cell) => sink.routeTakes,
    deliverHere: (_target: Cell, message: unknown) => void sink.sentOn.push(message),
    passFence: (_target: Cell, _fence: KernelFence) => {},
    countHeld: () => {},
    sendFence: () => void sink.fences++,
  };
  return sink satisfies HoldSink;
}

describe('a forwarding hold, its fence out, under mail from other CPUs', () => {
  it('takes mail while it has room; full, takes more only while the old route takes forwarded mail', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    try {
      const sink = recordingSink();
      const oldRoute = { address: 4242 } as unknown as RemoteCell;
      const hold = new ForwardHold(kernel.core, oldRoute, { pid: 4242, moves: 1 }, sink, 3);
      sink.routeTakes = false;
      for (let n = 0; n < 3; n++) {
        expect(hold.canTakeNow(), `with ${n} held`).to.equal(true);
        expect(hold.deliver({ type: 'note', n }, 7)).to.equal(true);
      }
      // Full, and the old route's outbox is too full: the next frame waits in its ring.
      expect(hold.canTakeNow()).to.equal(false);
      // The route drains: the hold takes the frame, spilling what it held down the old route, then a new fence.
      sink.routeTakes = true;
      expect(hold.canTakeNow()).to.equal(true);
      expect(hold.deliver({ type: 'note', n: 3 }, 7)).to.equal(true);
      expect(sink.sentOn).to.deep.equal([0, 1, 2].map((n) => ({ type: 'note', n })));
      expect(sink.fences).to.equal(1);
      expect(hold.count).to.equal(1);
    } finally {
      await kernel.runUntil(kernel.shutdown());
    }
  });

  it('spills only what the old route takes, oldest first, with a fence after it; the rest waits for that fence', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    try {
      const sink = recordingSink();
      // The route takes two messages of a spill, then turns forwarded mail away.
      let routeRoom = 0;
      sink.canTakeNow = () => routeRoom > 0;
      sink.deliverHere = (_target, message) => {
        routeRoom--;
        sink.sentOn.push(message);
      };
      const hold = new ForwardHold(kernel.core, { address: 4242 } as unknown as RemoteCell, { pid: 4242, moves: 1 }, sink, 3);
      for (let n = 0; n < 3; n++) hold.deliver({ type: 'note', n }, 7);
      routeRoom = 2;
      expect(hold.deliver({ type: 'note', n: 3 }, 7)).to.equal(true);
      expect(sink.sentOn).to.deep.equal([0, 1].map((n) => ({ type: 'note', n })));
      expect(sink.fences).to.equal(1);
      expect(hold.count).to.equal(2);
      // Full again, and the route takes nothing: nothing spills, so no new fence either.
      expect(hold.deliver({ type: 'note', n: 4 }, 7)).to.equal(true);
      expect(hold.deliver({ type: 'note', n: 5 }, 7)).to.equal(true);
      expect(sink.sentOn).to.have.length(2);
      expect(sink.fences).to.equal(1);
      expect(hold.count).to.equal(4);
    } finally {
      await kernel.runUntil(kernel.shutdown());
    }
  });
});
