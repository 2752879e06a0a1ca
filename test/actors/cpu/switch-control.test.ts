/**
 * While a CPU switches an address of an actor that came back to it (forwarding.ts), refs to that
 * address lead to a hold that only holds mail. Monitors, links, exit signals and stops made through
 * such a ref in that window reach the actor all the same.
 */
import { expect } from 'chai';
import { type ActorRef, fromSetup, Kernel, type MonitorRef } from '../../../boot/index.js';
import { ForwardHold } from '../../../actors/cpu/forward-hold.js';
import type { Ask } from '../../../ground/message.js';
import { answered, settle } from '../../helpers/kernel.js';
import { Counter, Mover } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

type HoldWatcherMsg =
  | { readonly type: 'watch-when-held'; readonly ref: ActorRef<never> }
  | Ask<{ readonly type: 'report' }, { readonly sawHold: boolean; readonly downs: readonly (readonly [number, string])[] }>;

/** Monitors `ref` in a turn in which it leads to a hold: it looks again each turn until it does. */
const HoldWatcher = fromSetup<HoldWatcherMsg>((ctx) => {
  let sawHold = false;
  let looks = 0;
  const downs: (readonly [number, string])[] = [];
  const monitors: MonitorRef[] = [];
  return {
    receive(message) {
      if (message.type === 'report') {
        ctx.reply(message, { sawHold, downs });
      } else if (message.ref.cell instanceof ForwardHold) {
        sawHold = true;
        monitors.push(ctx.monitor(message.ref));
      } else if (++looks < 100_000) {
        ctx.self.tell(message);
      }
    },
    signal(signal) {
      if (signal.type === 'down') downs.push([signal.ref.pid, String(signal.reason)]);
    },
  };
}, 'HoldWatcher');

describe('a route being switched', () => {
  it('a monitor made through a ref that leads to the hold fires when the actor stops', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 11, cpus: 2, modules });
    const migrant = kernel.spawn(Counter);
    const watcher = kernel.spawn(HoldWatcher);
    const mover = kernel.spawn(Mover, { cpu: 1 });
    await settle(kernel);
    const firstPid = migrant.pid;
    expect(await kernel.runUntil(kernel.scheduler.ask({ type: 'sched.migrate', pid: firstPid, cpu: 1 }))).to.equal(true);
    await settle(kernel);
    const pids = [firstPid, migrant.pid];
    watcher.tell({ type: 'watch-when-held', ref: migrant as never });
    // Back to CPU 0: its address there is switched to lead to it again, through a hold.
    expect(await kernel.runUntil(mover.ask({ type: 'move', pid: migrant.pid, cpu: 0 }))).to.equal(true);
    await settle(kernel);
    pids.push(migrant.pid);
    await kernel.stop(migrant);
    await settle(kernel);
    const report = await answered(kernel, watcher.ask({ type: 'report' }));
    expect(report.sawHold, 'the monitor was made while the ref led to the hold').to.equal(true);
    // One down, naming the actor by one of the pids it has had (the one of the route the monitor took).
    expect(report.downs.map(([, reason]) => reason)).to.deep.equal(['shutdown']);
    expect(pids).to.include(report.downs[0]![0]);
    await kernel.shutdown();
  });
});
