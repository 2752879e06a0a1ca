/**
 * Significant children and auto-shutdown (OTP 24's auto_shutdown): the exit of significant
 * children shuts the supervisor down normally — its other children stop in reverse order.
 */
import { expect } from 'chai';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { boot, collectEvents, collectFailures, Log, probeRef, settle, shutdown, whichChildren } from './helpers.js';

describe('supervisors: significant children and autoShutdown', () => {
  it("'any-significant': the normal exit of one significant child stops the others in reverse order, then the supervisor (reason shutdown)", async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const events = collectEvents(kernel);
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ autoShutdown: 'any-significant', children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true }), log.spec('b')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s:normal', 'stop:b:shutdown', 'stop:a:shutdown']);
    expect(kernel.lookup('sup')).to.equal(undefined);
    expect(events.find((e) => e.kind === 'stop' && e.pid === sup.pid)).to.include({ reason: 'shutdown' });
    expect(failures, 'an auto-shutdown is not a failure').to.deep.equal([]);
    await shutdown(kernel);
  });

  it("'all-significant': the supervisor shuts down only when the last significant child has exited", async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({
        autoShutdown: 'all-significant',
        children: [log.spec('s1', { restart: 'transient', significant: true }), log.spec('a'), log.spec('s2', { restart: 'temporary', significant: true })],
      }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's1').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s1:normal']);
    expect(kernel.lookup('sup')).to.equal(sup);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['s1', 'stopped'],
      ['a', 'running'],
      ['s2', 'running'],
    ]);
    probeRef(kernel, 's2').tell({ type: 'crash' }); // a temporary child's exit counts whatever its reason
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s1:normal', 'stop:s2:crashed', 'stop:a:shutdown']);
    expect(kernel.lookup('sup')).to.equal(undefined);
    await shutdown(kernel);
  });

  it("'any-significant': a temporary significant child's crash shuts the supervisor down too", async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(
      supervisor({ autoShutdown: 'any-significant', children: [log.spec('a'), log.spec('s', { restart: 'temporary', significant: true })] }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s:crashed', 'stop:a:shutdown']);
    expect(kernel.lookup('sup')).to.equal(undefined);
    await shutdown(kernel);
  });

  it('a transient significant child that crashes is restarted, and nothing shuts down', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ autoShutdown: 'any-significant', children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true })] }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s:crashed', 'start:s']);
    expect(kernel.lookup('sup')).to.equal(sup);
    await shutdown(kernel);
  });

  it("with autoShutdown 'never' (the default) significant exits shut nothing down", async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true })] }), {
      name: 'sup',
    });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s:normal']);
    expect(kernel.lookup('sup')).to.equal(sup);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['s', 'stopped'],
    ]);
    await shutdown(kernel);
  });

  it('terminate-child of a significant child does not shut the supervisor down (only exits do)', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ autoShutdown: 'any-significant', children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true })] }),
      { name: 'sup' },
    );
    await settle(kernel);
    const answer = sup.ask({ type: 'terminate-child', id: 's' });
    await settle(kernel);
    expect(await answer).to.equal(true);
    expect(kernel.lookup('sup')).to.equal(sup);
    await shutdown(kernel);
  });

  it('a supervisor that auto-shuts down as a transient child is not restarted by its parent supervisor', async () => {
    const kernel = await boot();
    const log = new Log();
    const sub = supervisor({ autoShutdown: 'any-significant', children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true })] });
    const top = kernel.spawn<SupervisorMsg>(
      supervisor({ children: [log.spec('t1'), { id: 'sub', start: sub as never, restart: 'transient', options: { name: 'sub' } }] }),
      { name: 'top' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 's').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:s:normal', 'stop:a:shutdown']);
    expect(kernel.lookup('sub')).to.equal(undefined);
    expect((await whichChildren(kernel, top)).map((c) => [c.id, c.status])).to.deep.equal([
      ['t1', 'running'],
      ['sub', 'stopped'],
    ]);
    await shutdown(kernel);
  });

  it('a significant exit during another child’s backoff still shuts the supervisor down', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(
      supervisor({
        autoShutdown: 'any-significant',
        backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0 },
        children: [log.spec('a'), log.spec('s', { restart: 'transient', significant: true })],
      }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'a').tell({ type: 'crash' }); // a waits 100 ms for its restart
    await kernel.simulatedClock.advance(10);
    probeRef(kernel, 's').tell({ type: 'stop' }); // the significant child exits meanwhile
    await settle(kernel);
    expect(kernel.lookup('sup'), 'the supervisor has shut down').to.equal(undefined);
    expect(
      log.entries.filter((e) => e.startsWith('start:')),
      'a is not restarted',
    ).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('refuses a significant permanent child', () => {
    const log = new Log();
    expect(() => supervisor({ autoShutdown: 'any-significant', children: [log.spec('p', { significant: true })] })).to.throw(TypeError);
  });
});
