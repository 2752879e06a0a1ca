/**
 * Monitors, as OTP's `monitor/2` and `demonitor/1`: each call makes a monitor reference, a watcher
 * may hold several on one actor, a `down` names the monitor that fired, and a monitor watches one
 * incarnation: a crash fires it even when a supervisor restarts the actor in place.
 */
import { expect } from 'chai';
import { type ActorContext, type ActorRef, type DownSignal, fromSetup, Kernel, type MonitorRef } from '../../boot/index.js';
import { supervisor } from '../../supervisors/index.js';
import { CounterSupervisor, type CounterMsg } from '../actors/cpu/fixtures/behaviors.js';
import { answered, settle as settleAll } from '../helpers/kernel.js';
import { boot, Log, probeRef, settle, shutdown } from './helpers.js';

type WatcherMsg = { readonly type: 'watch'; readonly ref: ActorRef<never> } | { readonly type: 'unwatch'; readonly index: number };

/** Monitors what it is told to, keeps each monitor in order, and records every `down`. */
function watcher(downs: DownSignal[], monitors: MonitorRef[]) {
  return fromSetup<WatcherMsg>(() => ({
    receive(message, ctx: ActorContext<WatcherMsg>) {
      if (message.type === 'watch') monitors.push(ctx.monitor(message.ref));
      else ctx.demonitor(monitors[message.index]!);
    },
    signal: (signal) => void (signal.type === 'down' && downs.push(signal)),
  }));
}

describe('supervision conformance: monitors', () => {
  it('each monitor call makes its own monitor; a down names the monitor that fired; demonitor ends one', async () => {
    const kernel = await boot();
    const log = new Log();
    const downs: DownSignal[] = [];
    const monitors: MonitorRef[] = [];
    const target = kernel.spawn(log.probe('t'), { name: 't' });
    const w = kernel.spawn(watcher(downs, monitors));
    for (let i = 0; i < 3; i++) w.tell({ type: 'watch', ref: target as never });
    w.tell({ type: 'unwatch', index: 1 });
    await settle(kernel);
    expect(monitors).to.have.length(3);
    expect(new Set(monitors).size).to.equal(3);
    expect(monitors.every((m) => m.ref === (target as unknown))).to.equal(true);
    target.tell({ type: 'stop' });
    await settle(kernel);
    expect(downs.map((d) => d.monitor)).to.deep.equal([monitors[0], monitors[2]]);
    expect(downs.every((d) => d.reason === 'normal' && d.ref === (target as unknown))).to.equal(true);
    await shutdown(kernel);
  });

  it('a crash fires the monitor even when the supervisor restarts the actor in place; the ref reaches the new incarnation', async () => {
    const kernel = await boot();
    const log = new Log();
    const downs: DownSignal[] = [];
    const monitors: MonitorRef[] = [];
    kernel.spawn(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const a = probeRef(kernel, 'a');
    const w = kernel.spawn(watcher(downs, monitors));
    w.tell({ type: 'watch', ref: a as never });
    await settle(kernel);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(downs.map((d) => [d.reason, (d.error as Error).message])).to.deep.equal([['crashed', 'boom:a']]);
    expect(downs[0]!.monitor).to.equal(monitors[0]);
    // The monitor is spent: the next crash is not reported unless the watcher monitors again.
    expect(probeRef(kernel, 'a')).to.equal(a);
    expect((await answered(kernel, a.ask({ type: 'ping' }))).incarnation).to.equal(2);
    await kernel.simulatedClock.advance(6_000);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(downs).to.have.length(1);
    w.tell({ type: 'watch', ref: a as never });
    await settle(kernel);
    await kernel.simulatedClock.advance(6_000);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(downs.map((d) => d.monitor)).to.deep.equal([monitors[0], monitors[1]]);
    await shutdown(kernel);
  });

  it('monitors held by a crashed incarnation end with it', async () => {
    const kernel = await boot();
    const log = new Log();
    const downs: DownSignal[] = [];
    const monitors: MonitorRef[] = [];
    const target = kernel.spawn(log.probe('t'), { name: 't' });
    type Msg = WatcherMsg | { readonly type: 'crash' };
    kernel.spawn(
      supervisor({
        children: [
          {
            id: 'w',
            options: { name: 'w' },
            start: fromSetup<Msg>(() => ({
              receive(message, ctx: ActorContext<Msg>) {
                if (message.type === 'crash') throw new Error('watcher crashed');
                if (message.type === 'watch') monitors.push(ctx.monitor(message.ref));
              },
              signal: (signal) => void (signal.type === 'down' && downs.push(signal)),
            })) as never,
          },
        ],
      }),
    );
    await settle(kernel);
    const w = kernel.lookup<Msg>('w')!;
    w.tell({ type: 'watch', ref: target as never });
    w.tell({ type: 'crash' });
    await settle(kernel);
    target.tell({ type: 'stop' });
    await settle(kernel);
    expect(downs, 'the restarted watcher does not inherit the monitor').to.deep.equal([]);
    await shutdown(kernel);
  });

  it('across CPUs: a crash restarted in place on CPU 1 fires the monitor on CPU 0 and leaves the ref working', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules: [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)] });
    kernel.spawn(CounterSupervisor, { cpu: 1 });
    await settleAll(kernel);
    const counter = kernel.lookup<CounterMsg>('far-counter')!;
    expect(counter, 'the name is announced to CPU 0').to.not.equal(undefined);
    const downs: DownSignal[] = [];
    const monitors: MonitorRef[] = [];
    const w = kernel.spawn(watcher(downs, monitors));
    w.tell({ type: 'watch', ref: counter as never });
    await settleAll(kernel);
    counter.tell({ type: 'crash' } as never);
    for (let i = 0; i < 50 && downs.length === 0; i++) await kernel.simulatedClock.advance(1);
    expect(downs.map((d) => d.reason)).to.deep.equal(['crashed']);
    expect(counter.tell({ type: 'add', n: 1 } as never), 'the far ref still sends').to.equal(true);
    await settleAll(kernel);
    expect(kernel.lookup('far-counter')).to.equal(counter);
    await kernel.shutdown();
  });

  it('across CPUs: after a crash, the stop for good is reported too, and the stand-in lets go', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules: [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)] });
    const sup = kernel.spawn(CounterSupervisor, { cpu: 1 });
    await kernel.runUntilIdle();
    const counter = kernel.lookup<CounterMsg>('far-counter')!;
    const downs: DownSignal[] = [];
    const monitors: MonitorRef[] = [];
    const w = kernel.spawn(watcher(downs, monitors));
    w.tell({ type: 'watch', ref: counter as never });
    await kernel.runUntilIdle();
    counter.tell({ type: 'crash' } as never);
    await kernel.runUntilIdle();
    w.tell({ type: 'watch', ref: counter as never });
    await kernel.runUntilIdle();
    kernel.stop(sup);
    await kernel.runUntilIdle();
    expect(downs.map((d) => d.reason)).to.deep.equal(['crashed', 'shutdown']);
    expect(counter.tell({ type: 'add', n: 1 } as never), 'the stand-in knows the actor is gone').to.equal(false);
    await kernel.shutdown();
  });
});
