/**
 * Restart types against the way a child ends: a crash (abnormal), `ctx.stop()` (normal) or a stop
 * from outside (`shutdown`, also normal). And what a restart in place keeps: pid, ref, name, mailbox.
 */
import { expect } from 'chai';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { askSettled, boot, collectFailures, Log, probeRef, settle, shutdown, whichChildren } from './helpers.js';

describe('supervisors: restart types', () => {
  it('a transient child that exits normally (ctx.stop()) is not restarted', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('t', { restart: 'transient' })] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 't').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:t:normal']);
    expect(kernel.lookup('t')).to.equal(undefined);
    // Its spec stays, listed with no ref (OTP); restart-child could start it again.
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status, c.ref])).to.deep.equal([
      ['a', 'running', probeRef(kernel, 'a')],
      ['t', 'stopped', undefined],
    ]);
    expect(failures, 'a normal exit is not a failure').to.deep.equal([]);
    await shutdown(kernel);
  });

  it('a permanent child that exits normally is restarted, as a new actor with a new pid under the same name', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('p')] }), { name: 'sup' });
    await settle(kernel);
    const old = probeRef(kernel, 'p');
    log.clear();
    old.tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:p:normal', 'start:p']);
    const fresh = probeRef(kernel, 'p');
    expect(fresh.pid).to.not.equal(old.pid);
    const info = await askSettled(kernel, () => fresh.ask({ type: 'ping' }));
    expect(info).to.include({ id: 'p', incarnation: 2, pid: fresh.pid });
    const [child] = await whichChildren(kernel, sup);
    expect(child!.ref?.pid, 'which-children reports the new actor').to.equal(fresh.pid);
    expect(child!.status).to.equal('running');
    // The old ref now points at a stopped actor.
    expect(old.tell({ type: 'note', n: 1 })).to.equal(false);
    await shutdown(kernel);
  });

  it('a transient child that crashes is restarted in place', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('t', { restart: 'transient' })] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 't');
    log.clear();
    ref.tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:t:crashed', 'start:t']);
    expect(probeRef(kernel, 't')).to.equal(ref);
    expect(await askSettled(kernel, () => ref.ask({ type: 'ping' }))).to.include({ incarnation: 2, pid: ref.pid });
    await shutdown(kernel);
  });

  it('a temporary child is never restarted, whether it exits normally or crashes', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('x', { restart: 'temporary' }), log.spec('y', { restart: 'temporary' })] }), {
      name: 'sup',
    });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'x').tell({ type: 'stop' });
    probeRef(kernel, 'y').tell({ type: 'crash' });
    await settle(kernel);
    expect([...log.entries].sort()).to.deep.equal(['stop:x:normal', 'stop:y:crashed']);
    expect(await whichChildren(kernel, sup)).to.deep.equal([]);
    expect(kernel.lookup('sup'), 'the supervisor itself is unaffected').to.equal(sup);
    await shutdown(kernel);
  });

  it('a child stopped from outside (reason shutdown) is restarted if permanent, not if transient', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('p'), log.spec('t', { restart: 'transient' })] }), { name: 'sup' });
    await settle(kernel);
    const oldP = probeRef(kernel, 'p');
    log.clear();
    const stopped = Promise.all([kernel.stop(oldP as never), kernel.stop(probeRef(kernel, 't') as never)]);
    await settle(kernel);
    await stopped;
    expect(log.entries).to.deep.equal(['stop:p:shutdown', 'stop:t:shutdown', 'start:p']);
    expect(probeRef(kernel, 'p').pid).to.not.equal(oldP.pid);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['p', 'running'],
      ['t', 'stopped'],
    ]);
    await shutdown(kernel);
  });

  it('the message being handled at the crash is not retried; the mailbox survives the restart, in order', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    log.clear();
    ref.tell({ type: 'note', n: 1 });
    ref.tell({ type: 'crash' });
    ref.tell({ type: 'note', n: 2 });
    ref.tell({ type: 'note', n: 3 });
    const ping = ref.ask({ type: 'ping' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['msg:a:1', 'stop:a:crashed', 'start:a', 'msg:a:2', 'msg:a:3']);
    expect(await ping, 'an ask queued behind the crash is answered by the new incarnation').to.include({ incarnation: 2, pid: ref.pid });
    await shutdown(kernel);
  });

  it('a restart re-creates the class instance and runs started again (state starts over)', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    for (let i = 0; i < 3; i++) {
      ref.tell({ type: 'crash' });
      await settle(kernel);
    }
    expect(log.entries.filter((e) => e === 'start:a')).to.have.length(4);
    expect(await askSettled(kernel, () => ref.ask({ type: 'ping' }))).to.include({ incarnation: 4, pid: ref.pid });
    expect(kernel.status().tree.children.find((n) => n.name === 'kernel.apps')!.children[0]!.children[0]!.children[0]).to.include({
      name: 'a',
      restarts: 3,
      status: 'running',
    });
    await shutdown(kernel);
  });
});

describe('a restart that cannot complete', () => {
  it('fails the supervisor (to its parent) instead of an unhandled rejection', async () => {
    const { Kernel, Actor, supervisor } = await import('../../boot/index.js');
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    const failures: string[] = [];
    kernel.failures.subscribe((f) => failures.push((f.error as Error).name));
    class Quitter extends Actor<{ readonly type: 'quit' }> {
      receive(_msg: unknown, ctx: { stop(): void }): void {
        ctx.stop();
      }
    }
    // The permanent child stops normally; during the backoff its free name is taken by another actor.
    const backoff = { minDelayMs: 100, maxDelayMs: 100, jitter: 0 };
    kernel.spawn(supervisor({ restartsMax: 5, backoff, children: [{ id: 'q', start: Quitter, options: { name: 'quitter' } }] }), { name: 'sup' });
    kernel.lookup<{ readonly type: 'quit' }>('quitter')!.tell({ type: 'quit' });
    await kernel.simulatedClock.advance(50);
    expect(kernel.lookup('quitter')).to.equal(undefined);
    kernel.spawn(Quitter, { name: 'quitter' });
    await kernel.simulatedClock.advance(100);
    expect(failures).to.include('NameTakenError');
    const done = kernel.shutdown();
    await kernel.simulatedClock.runUntilIdle();
    await done;
  });
});
