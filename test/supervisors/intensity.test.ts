/**
 * Restart intensity (OTP's MaxR in MaxT): more restarts than allowed within the window make the
 * supervisor stop its children (reverse start order) and exit with reason `shutdown`, as OTP's does;
 * its parent decides by its restart type (a permanent one is restarted, a transient one is not).
 */
import { expect } from 'chai';
import { type ActorRef, RestartIntensityError } from '../../boot/index.js';
import { type ChildSpec, supervisor, type SupervisorMsg, type SupervisorOptions } from '../../supervisors/index.js';
import { askSettled, boot, collectFailures, Log, probeRef, settle, shutdown, whichChildren } from './helpers.js';

const idOf = (entry: string): string => entry.split(':')[1]!;
/** `stop:a:shutdown` → `stop:a` */
const step = (entry: string): string => entry.split(':').slice(0, 2).join(':');

function supSpec(id: string, options: SupervisorOptions, extra: Partial<ChildSpec<never>> = {}): ChildSpec<never> {
  return { id, start: supervisor(options) as never, options: { name: id }, ...extra };
}

describe('supervisors: restart intensity', () => {
  it('defaults to 1 restart in 5 s: a second crash within the window stops every child in reverse order and the supervisor exits', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('b'), log.spec('c')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();

    probeRef(kernel, 'b').tell({ type: 'crash' });
    await kernel.simulatedClock.advance(4_000);
    expect(log.entries).to.deep.equal(['stop:b:crashed', 'start:b']);
    log.clear();

    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    // b's own hook ran at its crash; then the others stop, last started first, and none starts again.
    expect(log.entries.map(idOf)).to.deep.equal(['b', 'c', 'a']);
    expect(log.entries.every((e) => e.startsWith('stop:'))).to.equal(true);

    // The supervisor exits with reason shutdown, and the RestartIntensityError is published.
    expect(failures).to.have.length(3);
    const last = failures[2]!;
    expect(last.child).to.equal(sup);
    expect(last.parent).to.equal(kernel.lookup('kernel.user'));
    expect(last.reason).to.equal('shutdown');
    expect(last.error).to.be.instanceOf(RestartIntensityError);
    expect(last.error).to.include({ code: 'restart-intensity', restartsMax: 1, restartWindowMs: 5_000 });
    expect(last.message).to.equal(undefined);
    expect(last.atMs).to.equal(4_000);
    // Under the user guardian (not a supervisor) a supervisor that gave up is stopped for good.
    expect(kernel.lookup('sup')).to.equal(undefined);
    for (const id of ['a', 'b', 'c']) expect(kernel.lookup(id)).to.equal(undefined);
    await shutdown(kernel);
  });

  it('the child whose crash exceeds the intensity ends with reason crashed, its siblings with shutdown', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('b'), log.spec('c')] }), { name: 'sup' });
    await settle(kernel);
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:b:crashed', 'stop:c:shutdown', 'stop:a:shutdown']);
    await shutdown(kernel);
  });

  it('restarts every crash spaced further apart than the window', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    for (let i = 0; i < 5; i++) {
      ref.tell({ type: 'crash' });
      await kernel.simulatedClock.advance(5_001);
    }
    expect(failures).to.have.length(5);
    expect(failures.every((f) => !(f.error instanceof RestartIntensityError))).to.equal(true);
    expect(kernel.lookup('sup')).to.equal(sup);
    expect(await askSettled(kernel, () => ref.ask({ type: 'ping' }))).to.include({ incarnation: 6, pid: ref.pid });
    await shutdown(kernel);
  });

  it('counts restarts in a sliding window: restartsMax 3 allows 3 within the window, the 4th escalates', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 3, restartWindowMs: 1_000, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = probeRef(kernel, 'a');
    // Crashes at 0, 400, 800 are restarted; at 1 200 the one at 0 has left the window (restarts at 400, 800, 1 200).
    for (const gap of [400, 400, 400, 0]) {
      ref.tell({ type: 'crash' });
      await kernel.simulatedClock.advance(gap);
    }
    await settle(kernel);
    expect(kernel.lookup('sup'), 'four restarts, never more than three within 1 s').to.not.equal(undefined);
    // A fifth crash at 1 200: restarts at 400, 800, 1 200 are within the window → escalation.
    ref.tell({ type: 'crash' });
    await settle(kernel);
    expect(kernel.lookup('sup')).to.equal(undefined);
    expect(failures.map((f) => f.error instanceof RestartIntensityError)).to.deep.equal([false, false, false, false, false, true]);
    await shutdown(kernel);
  });

  it('restartsMax 0 escalates at the first crash', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 0, children: [log.spec('a'), log.spec('b')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries.map(idOf)).to.deep.equal(['a', 'b']);
    expect(failures.map((f) => f.error instanceof RestartIntensityError)).to.deep.equal([false, true]);
    await shutdown(kernel);
  });

  it('rejects invalid intensity options', () => {
    expect(() => supervisor({ restartsMax: -1 })).to.throw(RangeError);
    expect(() => supervisor({ restartsMax: 1.5 })).to.throw(RangeError);
    expect(() => supervisor({ restartWindowMs: 0 })).to.throw(RangeError);
  });

  it('a parent supervisor restarts an escalating supervisor in place, which starts its children again from their specs', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const top = kernel.spawn<SupervisorMsg>(
      supervisor({ restartsMax: 5, children: [log.spec('t1'), supSpec('inner', { children: [log.spec('a'), log.spec('b'), log.spec('c')] })] }),
      { name: 'top' },
    );
    await settle(kernel);
    const inner = kernel.lookup<SupervisorMsg>('inner')!;
    const oldPids = ['a', 'b', 'c'].map((id) => probeRef(kernel, id).pid);
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);

    // (The reason b's hook gets is checked in its own test above.)
    expect(log.entries.map(step)).to.deep.equal(['stop:b', 'stop:c', 'stop:a', 'start:a', 'start:b', 'start:c']);
    const intensity = failures.find((f) => f.error instanceof RestartIntensityError)!;
    expect(intensity.child).to.equal(inner);
    expect(intensity.parent).to.equal(top);
    // In place: same pid and ref for the supervisor; its children are new actors (fresh incarnation 1).
    expect(kernel.lookup('inner')).to.equal(inner);
    const children = await whichChildren(kernel, inner);
    expect(children.map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'running'],
    ]);
    expect(children.map((c) => c.ref?.pid)).to.not.have.members(oldPids);
    expect(log.incarnations.get('b')).to.equal(3);
    const topChildren = await whichChildren(kernel, top);
    expect(topChildren.map((c) => [c.id, c.ref?.pid, c.status])).to.deep.equal([
      ['t1', probeRef(kernel, 't1').pid, 'running'],
      ['inner', inner.pid, 'running'],
    ]);
    await shutdown(kernel);
  });

  it('escalates up two levels: inner → mid → top restarts mid in place', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const innerOptions: SupervisorOptions = { children: [log.spec('x'), log.spec('y')] };
    const midOptions: SupervisorOptions = { children: [log.spec('m1'), supSpec('inner', innerOptions)] };
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 5, children: [log.spec('t1'), supSpec('mid', midOptions)] }), { name: 'top' });
    await settle(kernel);
    const mid = kernel.lookup<SupervisorMsg>('mid')!;
    const firstInner = kernel.lookup<SupervisorMsg>('inner')!;
    const crashXTwice = async (): Promise<void> => {
      for (let i = 0; i < 2; i++) {
        probeRef(kernel, 'x').tell({ type: 'crash' });
        await settle(kernel);
      }
    };

    await crashXTwice(); // inner exceeds its intensity; mid restarts it (mid's first restart)
    expect(kernel.lookup('inner')).to.equal(firstInner);
    log.clear();
    await crashXTwice(); // inner again; mid's second restart within 5 s exceeds mid's intensity
    expect(log.entries.map(step)).to.deep.equal([
      'stop:x',
      'start:x', // inner restarts x once
      'stop:x', // x's hook at its crash; inner escalates: its other children stop
      'stop:y',
      'stop:m1', // mid escalates (inner has already stopped its own children)
      'start:m1',
      'start:x',
      'start:y', // top restarts mid in place; mid starts its specs again
    ]);
    const escalations = failures
      .filter((f) => f.error instanceof RestartIntensityError)
      .map((f) => (f.error as RestartIntensityError).supervisor.split(' ')[0]);
    expect(escalations).to.deep.equal(["'inner'", "'inner'", "'mid'"]);
    expect(kernel.lookup('mid'), 'mid is restarted in place').to.equal(mid);
    expect(kernel.lookup('inner'), 'mid’s new incarnation starts a new inner').to.not.equal(firstInner);
    expect((await whichChildren(kernel, mid)).map((c) => c.id)).to.deep.equal(['m1', 'inner']);
    expect(kernel.lookup('top')).to.not.equal(undefined);
    expect((failures.at(-1)!.parent as ActorRef<never>).toString()).to.contain('top');
    await shutdown(kernel);
  });

  it('counts a restart exactly restartWindowMs old (the window is inclusive, as in OTP)', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 1, restartWindowMs: 1_000, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await kernel.simulatedClock.advance(1_000);
    // The first restart was at 0; at 1 000 it is exactly restartWindowMs old: it still counts.
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(kernel.lookup('sup')).to.equal(undefined);
    expect(failures.map((f) => f.error instanceof RestartIntensityError)).to.deep.equal([false, false, true]);
    await shutdown(kernel);
  });

  it('a transient supervisor child that gives up exits with shutdown and is not restarted; its spec stays', async () => {
    const kernel = await boot();
    const log = new Log();
    const top = kernel.spawn<SupervisorMsg>(
      supervisor({ restartsMax: 5, children: [log.spec('t1'), supSpec('inner', { children: [log.spec('a')] }, { restart: 'transient' })] }),
      { name: 'top' },
    );
    await settle(kernel);
    for (let i = 0; i < 2; i++) {
      probeRef(kernel, 'a').tell({ type: 'crash' });
      await settle(kernel);
    }
    expect(kernel.lookup('inner')).to.equal(undefined);
    expect((await whichChildren(kernel, top)).map((c) => [c.id, c.status])).to.deep.equal([
      ['t1', 'running'],
      ['inner', 'stopped'],
    ]);
    await shutdown(kernel);
  });
});
