/**
 * While a CPU switches an address of an actor that came back to it (forwarding.ts), refs to that
 * address lead to a hold that only holds mail. Monitors, links and exit signals made through such a
 * ref in that window reach the actor all the same: they take the hold's old route, and the CPU at
 * its end passes them on to where the actor is.
 */
import { expect } from 'chai';
import { type ActorRef, fromSetup, Kernel } from '../../../boot/index.js';
import { ForwardHold } from '../../../actors/cpu/forward-hold.js';
import type { Ask } from '../../../ground/message.js';
import { answered, settle } from '../../helpers/kernel.js';
import { Counter, Mover } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

type Act = 'monitor' | 'link' | 'exit';

type HoldUserMsg =
  | { readonly type: 'act-when-held'; readonly ref: ActorRef<never> }
  | Ask<{ readonly type: 'report' }, { readonly sawHold: boolean; readonly signals: readonly string[] }>;

/** Monitors, links to or sends an exit to `ref` in a turn in which it leads to a hold: it looks again each turn until it does. */
const HoldUser = fromSetup<HoldUserMsg, { readonly act: Act }>((ctx, { act }) => {
  let sawHold = false;
  let looks = 0;
  const signals: string[] = [];
  ctx.trapExits(true);
  return {
    receive(message) {
      if (message.type === 'report') {
        ctx.reply(message, { sawHold, signals });
      } else if (message.ref.cell instanceof ForwardHold) {
        sawHold = true;
        if (act === 'monitor') ctx.monitor(message.ref);
        else if (act === 'link') ctx.link(message.ref);
        else ctx.exit(message.ref, 'shutdown');
      } else if (++looks < 100_000) {
        ctx.self.tell(message);
      }
    },
    signal(signal) {
      if (signal.type === 'down' || signal.type === 'exit') signals.push(`${signal.type} ${String(signal.reason)}`);
    },
  };
}, 'HoldUser');

/** Moves a Counter from CPU 0 to 1 and back while a HoldUser on CPU 0 does `act` through its first ref; then stops it if it still runs. */
async function actDuringSwitch(act: Act) {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 11, cpus: 2, modules });
  try {
    const migrant = kernel.spawn(Counter);
    const user = kernel.spawn(HoldUser, { args: { act } });
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await settle(kernel);
    expect(await kernel.runUntil(kernel.scheduler.ask({ type: 'sched.migrate', pid: migrant.pid, cpu: 1 }))).to.equal(true);
    await settle(kernel);
    user.tell({ type: 'act-when-held', ref: migrant as never });
    // Back to CPU 0: its address there is switched to lead to it again, through a hold.
    expect(await kernel.runUntil(mover.ask({ type: 'move', pid: migrant.pid, cpu: 0 }))).to.equal(true);
    await settle(kernel);
    const alive = await kernel.runUntil(migrant.ask({ type: 'get' }, { deadlineMs: 1_000 })).then(
      () => true,
      () => false,
    );
    if (alive) await kernel.stop(migrant);
    await settle(kernel);
    return { alive, ...(await answered(kernel, user.ask({ type: 'report' }))) };
  } finally {
    await kernel.shutdown();
  }
}

describe('a route being switched', () => {
  it('a monitor made through a ref that leads to the hold fires when the actor stops', async () => {
    const { sawHold, signals } = await actDuringSwitch('monitor');
    expect(sawHold, 'the monitor was made while the ref led to the hold').to.equal(true);
    expect(signals).to.deep.equal(['down shutdown']);
  });

  it('a link made through it holds: the actor is linked, and its stop reaches the linked actor', async () => {
    const { sawHold, alive, signals } = await actDuringSwitch('link');
    expect(sawHold).to.equal(true);
    expect(alive, 'the link did not end the actor').to.equal(true);
    expect(signals).to.deep.equal(['exit shutdown']);
  });

  it('an exit signal sent through it reaches the actor', async () => {
    const { sawHold, alive } = await actDuringSwitch('exit');
    expect(sawHold).to.equal(true);
    expect(alive, 'the exit signal stopped the actor').to.equal(false);
  });
});
