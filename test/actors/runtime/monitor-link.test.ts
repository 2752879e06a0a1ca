import { expect } from 'chai';
import { Actor, fromReceive, fromSetup, LinkedCrashError, type ActorContext, type ActorRef, type Signal } from '../../../boot/index.js';
import { bootSimulated, settle, shutdown } from './helpers.js';

type Cmd = { readonly type: 'crash' } | { readonly type: 'stop' } | { readonly type: 'noop' };

const target = fromReceive<Cmd>((msg, ctx) => {
  if (msg.type === 'crash') throw new Error('target crashed');
  if (msg.type === 'stop') ctx.stop();
});

type WatchMsg = { readonly type: 'watch'; readonly ref: ActorRef<never> } | { readonly type: 'link'; readonly ref: ActorRef<never> };

function watcher(signals: Signal[], trap = false) {
  return fromSetup<WatchMsg>((ctx) => {
    if (trap) ctx.trapExits(true);
    return {
      receive(msg, c: ActorContext<WatchMsg>) {
        if (msg.type === 'watch') c.monitor(msg.ref);
        else c.link(msg.ref);
      },
      signal: (signal) => void signals.push(signal),
    };
  });
}

describe('monitors', () => {
  it('deliver a down signal with the reason when the watched actor stops', async () => {
    const kernel = await bootSimulated();
    const signals: Signal[] = [];
    const watched = kernel.spawn(target);
    kernel.spawn(watcher(signals)).tell({ type: 'watch', ref: watched as never });
    await settle(kernel);
    watched.tell({ type: 'stop' });
    await settle(kernel);
    expect(signals).to.have.length(1);
    expect(signals[0]).to.include({ type: 'down', reason: 'normal' });
    expect((signals[0] as { ref: unknown }).ref).to.equal(watched);
    await shutdown(kernel);
  });

  it('report a crash of an unsupervised actor as down with reason crashed and the error', async () => {
    const kernel = await bootSimulated();
    const signals: Signal[] = [];
    const watched = kernel.spawn(target);
    kernel.spawn(watcher(signals)).tell({ type: 'watch', ref: watched as never });
    await settle(kernel);
    watched.tell({ type: 'crash' });
    await settle(kernel);
    expect(signals.map((s) => [s.type, (s as { reason: string }).reason])).to.deep.equal([['down', 'crashed']]);
    expect((signals[0] as { error: Error }).error.message).to.equal('target crashed');
    await shutdown(kernel);
  });

  it('send down with reason noproc at once for an actor that is already gone', async () => {
    const kernel = await bootSimulated();
    const signals: Signal[] = [];
    const gone = kernel.spawn(target);
    gone.tell({ type: 'stop' });
    await settle(kernel);
    kernel.spawn(watcher(signals)).tell({ type: 'watch', ref: gone as never });
    await settle(kernel);
    expect(signals.map((s) => (s as { reason: string }).reason)).to.deep.equal(['noproc']);
    await shutdown(kernel);
  });
});

describe('links', () => {
  it('propagate a crash to the linked actor, which crashes with LinkedCrashError', async () => {
    const kernel = await bootSimulated();
    const crashes: unknown[] = [];
    kernel.failures.subscribe((failure) => crashes.push(failure.error));
    const a = kernel.spawn(target);
    const b = kernel.spawn(watcher([]));
    b.tell({ type: 'link', ref: a as never });
    await settle(kernel);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(crashes).to.have.length(2);
    expect(crashes[1]).to.be.instanceOf(LinkedCrashError);
    expect(b.tell({ type: 'watch', ref: a as never })).to.equal(false); // b is gone too
    await shutdown(kernel);
  });

  it('arrive as exit signals when the linked actor traps exits', async () => {
    const kernel = await bootSimulated();
    const signals: Signal[] = [];
    const a = kernel.spawn(target);
    const b = kernel.spawn(watcher(signals, true));
    b.tell({ type: 'link', ref: a as never });
    await settle(kernel);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(signals.map((s) => [s.type, (s as { reason: string }).reason])).to.deep.equal([['exit', 'crashed']]);
    expect(b.tell({ type: 'watch', ref: a as never })).to.equal(true); // b survived
    await shutdown(kernel);
  });

  it('do not propagate a normal exit', async () => {
    const kernel = await bootSimulated();
    const a = kernel.spawn(target);
    const b = kernel.spawn(watcher([]));
    b.tell({ type: 'link', ref: a as never });
    await settle(kernel);
    a.tell({ type: 'stop' });
    await settle(kernel);
    expect(b.tell({ type: 'watch', ref: a as never })).to.equal(true);
    await shutdown(kernel);
  });
});

describe('plain parents', () => {
  it('stop a crashed child and hear about it through a child-failed signal', async () => {
    const kernel = await bootSimulated();
    const signals: Signal[] = [];
    let child: ActorRef<Cmd> | undefined;
    class Parent extends Actor<{ readonly type: 'go' }> {
      started(ctx: ActorContext<{ readonly type: 'go' }>): void {
        child = ctx.spawn(target);
      }
      receive(): void {}
      signal(signal: Signal): void {
        signals.push(signal);
      }
    }
    kernel.spawn(Parent);
    child!.tell({ type: 'crash' });
    await settle(kernel);
    expect(signals.map((s) => s.type)).to.deep.equal(['child-failed']);
    expect((signals[0] as { message: unknown }).message).to.deep.equal({ type: 'crash' });
    expect(child!.tell({ type: 'noop' })).to.equal(false);
    await shutdown(kernel);
  });
});
