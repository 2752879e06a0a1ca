/**
 * A fair turn of one message runs through `runFirstQueued` (the mailbox's shift and `runOne`); it must
 * be indistinguishable from `runMessages(cell, 1, ∞)`. Two simulated kernels run the same program,
 * one with `runFirstQueued` put back to `runMessages`: every receive (its virtual time, the kernel's
 * `current` and origin, the messages handled so far), every answer, and the scheduler's stats and
 * runtimes must agree.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { fromReceive } from '../../../actors/runtime/behavior.js';
import type { Cell } from '../../../actors/runtime/cell.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import type { FairDispatcher } from '../../../actors/sched/fair-dispatcher.js';
import type { SchedCell } from '../../../actors/sched/sched-cell.js';
import { Kernel } from '../../../boot/kernel.js';
import { shutdown } from '../../helpers/kernel.js';

type Kind = 'echo' | 'crash' | 'crash-ask' | 'async' | 'async-reject' | 'tell-self' | 'tell-other' | 'ask-other' | 'stop' | 'burst' | 'reply';
interface Msg {
  readonly type: Kind;
  readonly n: number;
  readonly cost: number;
}
const kinds: Kind[] = ['echo', 'crash', 'crash-ask', 'async', 'async-reject', 'tell-self', 'tell-other', 'ask-other', 'stop', 'burst', 'reply'];

async function story(
  program: readonly { target: number; type: Kind; cost: number; advanceMs: number }[],
  reference: boolean,
  batchMessagesMax: number | undefined,
): Promise<string[]> {
  const kernel = await Kernel.boot({
    mode: 'simulated',
    seed: 1,
    simulatedCostMs: (m) => (m as Msg).cost ?? 0.01,
    ...(batchMessagesMax === undefined ? {} : { batchMessagesMax }),
  });
  const dispatcher = kernel.core.dispatcher as FairDispatcher;
  if (reference) {
    const d = dispatcher as unknown as { runFirstQueued(cell: Cell): number; runMessages(cell: Cell, batch: number, deadlineMs: number): number };
    d.runFirstQueued = function (cell) {
      return this.runMessages(cell, 1, Number.POSITIVE_INFINITY);
    };
  }
  const log: string[] = [];
  const refs: ActorRef<Msg>[] = [];
  const behavior = (name: string) =>
    fromReceive<Msg>((msg, ctx) => {
      const core = kernel.core;
      log.push(
        `${kernel.clock.now()} ${name} ${msg.type}:${msg.n} current=${core.current === ctx.self.cell} origin=${Math.sign(core.currentOrigin)} handled=${dispatcher.messagesHandled}`,
      );
      const next = refs[(refs.indexOf(ctx.self) + 1) % refs.length]!;
      switch (msg.type) {
        case 'crash':
        case 'crash-ask':
          throw new Error(`crash ${msg.n}`);
        case 'async':
          return Promise.resolve().then(() => void log.push(`${name} async-done ${msg.n}`));
        case 'async-reject':
          return Promise.reject(new Error('rejected'));
        case 'tell-self':
          if (msg.n % 3 !== 0) ctx.self.tell({ ...msg, n: msg.n - 1 });
          return;
        case 'tell-other':
          next.tell({ type: 'echo', n: msg.n, cost: msg.cost });
          return;
        case 'ask-other':
          next.ask({ type: 'reply', n: msg.n, cost: msg.cost } as never).then(
            (v) => void log.push(`${name} got ${String(v)}`),
            (e: Error) => void log.push(`${name} ask failed ${e.name}`),
          );
          return;
        case 'reply':
          ctx.reply(msg as never, (msg.n * 2) as never);
          return;
        case 'stop':
          ctx.stop();
          return;
        case 'burst':
          for (let i = 0; i < 3; i++) ctx.self.tell({ type: 'echo', n: 1000 + i, cost: msg.cost });
          return;
      }
    });
  for (const name of ['a', 'b', 'c']) refs.push(kernel.spawn(behavior(name)));
  for (const [n, { target, type, cost, advanceMs }] of program.entries()) {
    const ref = refs[target]!;
    if (type === 'reply' || type === 'crash-ask')
      ref.ask({ type, n, cost } as never).then(
        (v) => void log.push(`out got ${String(v)}`),
        (e: Error) => void log.push(`out failed ${e.name}`),
      );
    else ref.tell({ type, n, cost });
    if (advanceMs > 0) await kernel.simulatedClock.advance(advanceMs);
  }
  await kernel.simulatedClock.advance(1000);
  const scheduler = dispatcher.scheduler;
  log.push(`handled=${dispatcher.messagesHandled} stats=${JSON.stringify(scheduler.stats)} wakes=${dispatcher.wakeLatency.count}`);
  log.push(`runtimes=${refs.map((ref) => (ref.cell as SchedCell).runtime).join(',')} now=${kernel.clock.now()}`);
  await shutdown(kernel);
  return log;
}

describe('a fair turn of one message (runFirstQueued)', () => {
  it('runs as runMessages(cell, 1, ∞) does: the same receives, answers, crashes, charges and stats', async () => {
    const program = fc.array(
      fc.record({
        target: fc.integer({ min: 0, max: 2 }),
        type: fc.constantFrom(...kinds),
        cost: fc.constantFrom(0.01, 3),
        advanceMs: fc.constantFrom(0, 0, 0.5, 4),
      }),
      { minLength: 1, maxLength: 40 },
    );
    await fc.assert(
      fc.asyncProperty(program, fc.constantFrom(undefined, 1, 2), async (steps, batch) => {
        expect(await story(steps, false, batch)).to.deep.equal(await story(steps, true, batch));
      }),
      { numRuns: 60 },
    );
  });
});
