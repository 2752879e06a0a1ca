import { expect } from 'chai';
import { AskTimeoutError, fromReceive, Kernel, type Ask } from '../../../boot/index.js';
import { shutdown } from '../../helpers/kernel.js';

type EchoMsg = Ask<{ readonly type: 'echo'; readonly n: number }, number>;
const Echo = fromReceive<EchoMsg>((message, ctx) => ctx.reply(message, message.n), 'Echo');

describe('runtime: pausing an actor (for simulated faults)', () => {
  let kernel: Kernel;
  afterEach(() => shutdown(kernel));

  it('a paused actor takes no mail for the pause, keeps it queued, and then handles it in order', async () => {
    kernel = await Kernel.boot({ mode: 'simulated' });
    const echo = kernel.spawn(Echo);
    await kernel.settle();
    kernel.core.pause(echo.cell, 50);
    const startMs = kernel.clock.now();
    const answers = [1, 2, 3].map((n) => echo.ask({ type: 'echo', n }, { deadlineMs: 100 }));
    await kernel.settle();
    expect(echo.cell.mailbox?.count).to.equal(3);
    expect(await kernel.runUntil(Promise.all(answers))).to.deep.equal([1, 2, 3]);
    expect(kernel.clock.now() - startMs).to.equal(50);
  });

  it('an ask shorter than the pause times out, and a pause of a stopped actor does nothing', async () => {
    kernel = await Kernel.boot({ mode: 'simulated' });
    const echo = kernel.spawn(Echo);
    await kernel.settle();
    kernel.core.pause(echo.cell, 50);
    const error = await kernel.runUntil(echo.ask({ type: 'echo', n: 1 }, { deadlineMs: 20 })).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(AskTimeoutError);
    kernel.stop(echo);
    // The first pause ends on its own, stopped or not.
    await kernel.runUntilIdle();
    expect(echo.cell.held).to.equal(0);
    kernel.core.pause(echo.cell, 50);
    expect(echo.cell.held).to.equal(0);
  });
});
