/**
 * What an observer sees of a failure: `kernel.failures` carries the cause and the message being
 * handled (restarted or not), the crashed ask fails with ActorCrashedError, and `kernel.events`
 * tells the restart (in place) or the stop and spawn (a new actor).
 */
import { expect } from 'chai';
import { ActorCrashedError, type KernelEvent } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { askSettled, boot, collectEvents, collectFailures, Log, probeRef, settle, shutdown } from './helpers.js';

describe('supervisors: child failures as seen from outside', () => {
  it('kernel.failures reports every crash with its cause and message, also when the child is restarted', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 5, children: [log.spec('a'), log.spec('tmp', { restart: 'temporary' })] }), {
      name: 'sup',
    });
    await settle(kernel);
    const a = probeRef(kernel, 'a');
    await kernel.simulatedClock.advance(20);
    const crash = { type: 'crash' } as const;
    a.tell(crash);
    await settle(kernel);
    await kernel.simulatedClock.advance(30);
    a.tell({ type: 'crash' });
    await settle(kernel);
    probeRef(kernel, 'tmp').tell({ type: 'crash' });
    await settle(kernel);

    expect(failures).to.have.length(3);
    const [first, second, third] = failures;
    expect(first!.child).to.equal(a);
    expect(first!.parent).to.equal(sup);
    expect(first!.error).to.be.instanceOf(Error);
    expect((first!.error as Error).message).to.equal('boom:a');
    expect(first!.message, 'the very message being handled').to.equal(crash);
    expect(first!.atMs).to.equal(20);
    expect(second!.child, 'the same ref after a restart in place').to.equal(a);
    expect(second!.atMs).to.equal(50);
    expect((third!.error as Error).message).to.equal('boom:tmp');
    expect(third!.message).to.deep.equal({ type: 'crash' });
    expect(log.entries.filter((e) => e === 'start:a')).to.have.length(3);
    await shutdown(kernel);
  });

  it('the ask being handled at the crash fails with ActorCrashedError carrying the cause; the restarted child answers the next ask', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const a = probeRef(kernel, 'a');
    let error: unknown;
    try {
      await askSettled(kernel, () => a.ask({ type: 'crash-ask' }));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ActorCrashedError);
    const crashed = error as ActorCrashedError;
    expect(crashed.code).to.equal('actor-crashed');
    expect(crashed.messageType).to.equal('crash-ask');
    expect(crashed.target).to.contain("'a'");
    expect(crashed.cause, 'the cause is what the child threw').to.equal(failures[0]!.error);
    expect(failures[0]!.message).to.deep.equal({ type: 'crash-ask' });
    expect(await askSettled(kernel, () => a.ask({ type: 'ping' }))).to.include({ incarnation: 2, pid: a.pid });
    await shutdown(kernel);
  });

  it('kernel.events: a restart in place is a restart event (no stop, no spawn); a restart after a normal exit is a stop and a spawn', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 5, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const a = probeRef(kernel, 'a');
    const of = (pid: number): KernelEvent[] =>
      events.filter((e) => (e.kind === 'restart' || e.kind === 'stop' || e.kind === 'spawn' || e.kind === 'fault') && e.pid === pid);

    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(of(a.pid).map((e) => e.kind)).to.deep.equal(['spawn', 'fault', 'restart']);
    expect(of(a.pid)[2]).to.include({ attempt: 1 });

    a.tell({ type: 'stop' });
    await settle(kernel);
    const fresh = probeRef(kernel, 'a');
    expect(of(a.pid).map((e) => e.kind)).to.deep.equal(['spawn', 'fault', 'restart', 'stop']);
    expect(of(a.pid)[3]).to.include({ reason: 'normal' });
    expect(of(fresh.pid)).to.have.length(1);
    expect(of(fresh.pid)[0]).to.include({ kind: 'spawn', parent: sup.pid, name: 'a', label: 'probe:a' });
    await shutdown(kernel);
  });

  it('kernel.events: the restart is caused by the fault before it', async () => {
    // events.ts: "a `restart` [is caused] by the `fault` before it".
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const a = probeRef(kernel, 'a');
    a.tell({ type: 'crash' });
    await settle(kernel);
    const fault = events.find((e) => e.kind === 'fault' && e.pid === a.pid)!;
    const restart = events.find((e) => e.kind === 'restart' && e.pid === a.pid)!;
    expect(fault).to.include({ messageType: 'crash' });
    expect(restart.cause).to.equal(fault.id);
    await shutdown(kernel);
  });

  it('kernel.events: after a backoff, every restart of a one-for-all group is caused by the fault', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(
      supervisor({ strategy: 'one-for-all', backoff: { minDelayMs: 100, maxDelayMs: 100, jitter: 0 }, children: [log.spec('a'), log.spec('b')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    const pids = [probeRef(kernel, 'a').pid, probeRef(kernel, 'b').pid];
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    const fault = events.find((e) => e.kind === 'fault')!;
    const restarts = events.filter((e) => e.kind === 'restart');
    expect(restarts.map((e) => [e.kind === 'restart' && e.pid, e.atMs, e.cause])).to.deep.equal(pids.map((pid) => [pid, 100, fault.id]));
    await shutdown(kernel);
  });
});
