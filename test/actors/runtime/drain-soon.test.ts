/**
 * When the actors of a real kernel run after code outside them tells or asks: right after that
 * code (a microtask), as xstate's `send` runs at once, so an ask is answered without waiting for
 * the event loop; but never so often in a row that I/O waits behind a loop of asks.
 */
import { expect } from 'chai';
import { type Ask, fromReceive, Kernel } from '../../../boot/index.js';
import { drainsSoonInRowMax } from '../../../actors/runtime/limits.js';

const Echo = fromReceive<Ask<{ readonly type: 'echo'; readonly n: number }, number>>((message, ctx) => {
  ctx.reply(message, message.n);
}, 'Echo');

describe('draining after code outside the actors', () => {
  it('answers an ask from outside an actor before the event loop turns', async () => {
    const kernel = await Kernel.boot();
    try {
      const echo = kernel.spawn(Echo);
      let loopTurned = false;
      setImmediate(() => {
        loopTurned = true;
      });
      expect(await echo.ask({ type: 'echo', n: 1 })).to.equal(1);
      expect(loopTurned, 'answered within the current event-loop turn').to.equal(false);
    } finally {
      await kernel.shutdown();
    }
  });

  it('lets the event loop turn during a loop of asks from outside', async () => {
    const kernel = await Kernel.boot();
    try {
      const echo = kernel.spawn(Echo);
      let turnedAfter = -1;
      let asked = 0;
      setImmediate(() => {
        turnedAfter = asked;
      });
      for (; asked < 4 * drainsSoonInRowMax; asked++) await echo.ask({ type: 'echo', n: asked });
      expect(turnedAfter, 'I/O got a turn within the loop').to.be.within(1, drainsSoonInRowMax + 1);
    } finally {
      await kernel.shutdown();
    }
  });
});
