/**
 * Shutdown: reverse start order across the tree, shutdown timeouts (a hung `stopped` hook is killed
 * when its time is up), `brutal-kill` (no hook at all), and async hooks that finish in time.
 */
import { expect } from 'chai';
import { KernelStoppedError } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { boot, collectEvents, Log, probeRef, settle, shutdown } from './helpers.js';

/** Starts `kernel.shutdown()` and reports when it has finished. */
function startShutdown(kernel: Awaited<ReturnType<typeof boot>>): { readonly done: Promise<void>; readonly finished: () => boolean } {
  let finished = false;
  const done = kernel.shutdown().then(() => {
    finished = true;
  });
  return { done, finished: () => finished };
}

describe('supervisors: shutdown', () => {
  it('kernel.shutdown() stops every actor in reverse start order across a nested tree', async () => {
    const kernel = await boot();
    const log = new Log();
    const inner = supervisor({ children: [log.spec('x'), log.spec('y')] });
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), { id: 'inner', start: inner as never }, log.spec('b')] }), { name: 'sup1' });
    kernel.spawn(log.probe('plain'));
    kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'rest-for-one', children: [log.spec('c'), log.spec('d')] }), { name: 'sup2' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['start:a', 'start:x', 'start:y', 'start:b', 'start:plain', 'start:c', 'start:d']);
    log.clear();

    await shutdown(kernel);
    expect(log.entries).to.deep.equal([
      'stop:d:shutdown',
      'stop:c:shutdown',
      'stop:plain:shutdown',
      'stop:b:shutdown',
      'stop:y:shutdown',
      'stop:x:shutdown',
      'stop:a:shutdown',
    ]);
    expect(kernel.isStopped).to.equal(true);
    for (const name of ['sup1', 'sup2', 'a', 'x', 'kernel.root', 'kernel.user']) expect(kernel.lookup(name), name).to.equal(undefined);
    expect(() => kernel.spawn(log.probe('late'))).to.throw(KernelStoppedError);
  });

  it('kills a child whose stopped hook never settles when its shutdown timeout is up, then goes on', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(
      supervisor({ children: [log.spec('early'), log.spec('hung', { shutdown: 1_000 }, { stopping: { kind: 'hang' } }), log.spec('late')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    const hungPid = probeRef(kernel, 'hung').pid;
    await kernel.simulatedClock.advance(50);
    log.clear();

    const run = startShutdown(kernel);
    await kernel.simulatedClock.advance(999);
    expect(log.timed).to.deep.equal([
      { entry: 'stop:late:shutdown', atMs: 50 },
      { entry: 'stopping:hung:shutdown', atMs: 50 },
    ]);
    expect(run.finished()).to.equal(false);

    await kernel.simulatedClock.advance(1);
    await settle(kernel);
    await run.done;
    expect(log.timed.slice(2)).to.deep.equal([{ entry: 'stop:early:shutdown', atMs: 1_050 }]);
    const hungStop = events.find((e) => e.kind === 'stop' && e.pid === hungPid);
    expect(hungStop).to.include({ reason: 'killed', atMs: 1_050 });
  });

  it("'brutal-kill' skips the stopped hook", async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('brutal', { shutdown: 'brutal-kill' }), log.spec('c')] }), { name: 'sup' });
    await settle(kernel);
    const pid = probeRef(kernel, 'brutal').pid;
    log.clear();
    await shutdown(kernel);
    expect(log.entries).to.deep.equal(['stop:c:shutdown', 'stop:a:shutdown']);
    expect(events.find((e) => e.kind === 'stop' && e.pid === pid)).to.include({ reason: 'killed', atMs: 0 });
  });

  it("'brutal-kill' also skips the hook when a strategy restarts the child", async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'one-for-all', children: [log.spec('brutal', { shutdown: 'brutal-kill' }), log.spec('b')] }), {
      name: 'sup',
    });
    await settle(kernel);
    const pid = probeRef(kernel, 'brutal').pid;
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:b:crashed', 'start:brutal', 'start:b']);
    expect(probeRef(kernel, 'brutal').pid).to.equal(pid);
    await shutdown(kernel);
  });

  it('awaits an async stopped hook that finishes within its timeout before stopping earlier siblings', async () => {
    const kernel = await boot();
    const log = new Log();
    const events = collectEvents(kernel);
    kernel.spawn<SupervisorMsg>(
      supervisor({ children: [log.spec('a'), log.spec('slow', { shutdown: 1_000 }, { stopping: { kind: 'delay', delayMs: 300 } }), log.spec('c')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    const pid = probeRef(kernel, 'slow').pid;
    log.clear();
    const run = startShutdown(kernel);
    await kernel.simulatedClock.advance(299);
    expect(log.entries).to.deep.equal(['stop:c:shutdown', 'stopping:slow:shutdown']);
    await kernel.simulatedClock.advance(1);
    await settle(kernel);
    await run.done;
    expect(log.timed).to.deep.equal([
      { entry: 'stop:c:shutdown', atMs: 0 },
      { entry: 'stopping:slow:shutdown', atMs: 0 },
      { entry: 'stop:slow:shutdown', atMs: 300 },
      { entry: 'stop:a:shutdown', atMs: 300 },
    ]);
    expect(events.find((e) => e.kind === 'stop' && e.pid === pid)).to.include({ reason: 'shutdown', atMs: 300 });
  });

  it('a restart waits for the async stop of the old incarnation, and kills a hung one after its timeout', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(
      supervisor({
        strategy: 'one-for-all',
        children: [
          log.spec('hung', { shutdown: 500 }, { stopping: { kind: 'hang' } }),
          log.spec('slow', { shutdown: 1_000 }, { stopping: { kind: 'delay', delayMs: 200 } }),
          log.spec('c'),
        ],
      }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'c').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.timed).to.deep.equal([
      { entry: 'stop:c:crashed', atMs: 0 },
      { entry: 'stopping:slow:shutdown', atMs: 0 },
      { entry: 'stop:slow:shutdown', atMs: 200 },
      { entry: 'stopping:hung:shutdown', atMs: 200 },
      { entry: 'start:hung', atMs: 700 },
      { entry: 'start:slow', atMs: 700 },
      { entry: 'start:c', atMs: 700 },
    ]);
    await shutdown(kernel);
  });

  it('kernel.stop(supervisor) stops its subtree in reverse order; the supervisor is not restarted by the user guardian', async () => {
    const kernel = await boot();
    const log = new Log();
    const inner = supervisor({ children: [log.spec('x'), log.spec('y')] });
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), { id: 'inner', start: inner as never }] }), { name: 'sup' });
    const other = kernel.spawn(log.probe('other'), { name: 'other' });
    await settle(kernel);
    log.clear();
    const stopped = kernel.stop(sup as never);
    await settle(kernel);
    await stopped;
    expect(log.entries).to.deep.equal(['stop:y:shutdown', 'stop:x:shutdown', 'stop:a:shutdown']);
    expect(kernel.lookup('sup')).to.equal(undefined);
    expect(kernel.lookup('other')).to.equal(other);
    await shutdown(kernel);
  });
});

describe('a child that fails while its supervisor stops', () => {
  it('is not restarted, though no child had failed before (the supervisor had not needed its machine yet)', async () => {
    const kernel = await boot();
    const log = new Log();
    // Children stop in reverse order: `slow` takes 100 ms, and `a` crashes meanwhile.
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('slow', {}, { stopping: { kind: 'delay', delayMs: 100 } })] }));
    await settle(kernel);
    log.clear();
    const stopped = kernel.stop(sup as never);
    await kernel.simulatedClock.advance(10);
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await kernel.simulatedClock.runUntilIdle();
    await stopped;
    expect(log.entries.filter((entry) => entry.startsWith('start:'))).to.deep.equal([]);
    await shutdown(kernel);
  });
});

describe('stop during a restart', () => {
  it('runs the stopped hook of the ending incarnation once', async () => {
    const { Kernel, Actor, supervisor } = await import('../../boot/index.js');
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    let stoppedCalls = 0;
    class Slow extends Actor<{ readonly type: 'crash' }> {
      receive(): void {
        throw new Error('crash');
      }
      stopped(): Promise<void> {
        stoppedCalls++;
        return new Promise((resolve) => kernel.clock.setTimer(100, resolve));
      }
    }
    const sup = kernel.spawn(supervisor({ restartsMax: 5, children: [{ id: 'slow', start: Slow, options: { name: 'slow' } }] }));
    kernel.lookup<{ readonly type: 'crash' }>('slow')!.tell({ type: 'crash' });
    await kernel.simulatedClock.advance(50); // the restart is waiting for the stopped hook
    const stopping = kernel.stop(sup);
    await kernel.simulatedClock.runUntilIdle();
    await stopping;
    expect(stoppedCalls).to.equal(1);
    const done = kernel.shutdown();
    await kernel.simulatedClock.runUntilIdle();
    await done;
  });
});
