/**
 * OTP strategies × restart types: which children a crash restarts, which stop for good, and the
 * exact order of stops (reverse start order) and starts (start order).
 */
import { expect } from 'chai';
import type { ActorRef } from '../../boot/index.js';
import { type RestartType, type Strategy, supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { askSettled, boot, collectFailures, Log, probeRef, settle, shutdown, whichChildren } from './helpers.js';

type StaticStrategy = Exclude<Strategy, 'simple-one-for-one'>;

/**
 * What crashing `b` (of a, b, c — a and c permanent) logs, per strategy and b's restart type. The
 * crashed child's `stopped` hook runs at the crash (in OTP the process is dead by then), before its
 * siblings stop.
 */
const expectedAfterCrashOfB: Record<StaticStrategy, Record<RestartType, string[]>> = {
  'one-for-one': {
    permanent: ['stop:b:crashed', 'start:b'],
    transient: ['stop:b:crashed', 'start:b'],
    temporary: ['stop:b:crashed'],
  },
  'one-for-all': {
    permanent: ['stop:b:crashed', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c'],
    transient: ['stop:b:crashed', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c'],
    // OTP: a temporary child is never restarted, and its exit restarts nobody else either.
    temporary: ['stop:b:crashed'],
  },
  'rest-for-one': {
    permanent: ['stop:b:crashed', 'stop:c:shutdown', 'start:b', 'start:c'],
    transient: ['stop:b:crashed', 'stop:c:shutdown', 'start:b', 'start:c'],
    temporary: ['stop:b:crashed'],
  },
};

describe('supervisors: strategies × restart types', () => {
  for (const strategy of ['one-for-one', 'one-for-all', 'rest-for-one'] as const) {
    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      it(`${strategy}: a crashing ${restart} child`, async () => {
        const kernel = await boot();
        const log = new Log();
        const sup = kernel.spawn<SupervisorMsg>(
          supervisor({ strategy, restartsMax: 5, children: [log.spec('a'), log.spec('b', { restart }), log.spec('c')] }),
          { name: 'sup' },
        );
        await settle(kernel);
        expect(log.entries).to.deep.equal(['start:a', 'start:b', 'start:c']);
        const pids = { a: probeRef(kernel, 'a').pid, b: probeRef(kernel, 'b').pid, c: probeRef(kernel, 'c').pid };
        log.clear();

        probeRef(kernel, 'b').tell({ type: 'crash' });
        await settle(kernel);

        const expected = expectedAfterCrashOfB[strategy][restart];
        expect(log.entries).to.deep.equal(expected);
        // Restarts are in place: every child still alive keeps its pid; only restarted ones have a new incarnation.
        const restarted = new Set(expected.filter((e) => e.startsWith('start:')).map((e) => e.slice('start:'.length)));
        for (const id of ['a', 'b', 'c'] as const) {
          if (restart === 'temporary' && id === 'b') continue;
          const info = await askSettled(kernel, () => probeRef(kernel, id).ask({ type: 'ping' }));
          expect(info.pid, `pid of ${id}`).to.equal(pids[id]);
          expect(info.incarnation, `incarnation of ${id}`).to.equal(restarted.has(id) ? 2 : 1);
        }
        const children = await whichChildren(kernel, sup);
        if (restart === 'temporary') {
          expect(kernel.lookup('b')).to.equal(undefined);
          expect(children.map((c) => c.id)).to.deep.equal(['a', 'c']);
        } else {
          expect(children.map((c) => [c.id, c.restart, c.status])).to.deep.equal([
            ['a', 'permanent', 'running'],
            ['b', restart, 'running'],
            ['c', 'permanent', 'running'],
          ]);
          expect(children.map((c) => c.ref?.pid)).to.deep.equal([pids.a, pids.b, pids.c]);
        }
        await shutdown(kernel);
      });
    }
  }

  it('one-for-all: temporary siblings are terminated and not restarted; transient siblings are restarted', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({
        strategy: 'one-for-all',
        children: [log.spec('a', { restart: 'temporary' }), log.spec('b'), log.spec('c', { restart: 'transient' }), log.spec('d', { restart: 'temporary' })],
      }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:b:crashed', 'stop:d:shutdown', 'stop:c:shutdown', 'stop:a:shutdown', 'start:b', 'start:c']);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['b', 'c']);
    expect(kernel.lookup('a')).to.equal(undefined);
    expect(kernel.lookup('d')).to.equal(undefined);
    await shutdown(kernel);
  });

  it('rest-for-one: only the crashed child and later siblings restart; later temporary siblings are terminated', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({
        strategy: 'rest-for-one',
        children: [log.spec('a', { restart: 'temporary' }), log.spec('b'), log.spec('c', { restart: 'temporary' }), log.spec('d')],
      }),
      { name: 'sup' },
    );
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:b:crashed', 'stop:d:shutdown', 'stop:c:shutdown', 'start:b', 'start:d']);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['a', 'b', 'd']);
    log.clear();
    // The last child crashing restarts only itself (outside the restart window of the first restart).
    await kernel.simulatedClock.advance(6_000);
    probeRef(kernel, 'd').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:d:crashed', 'start:d']);
    await shutdown(kernel);
  });

  it('one-for-all: a permanent child that exits normally restarts the whole group, itself with a new pid', async () => {
    const kernel = await boot();
    const log = new Log();
    kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'one-for-all', children: [log.spec('a'), log.spec('b'), log.spec('c')] }), { name: 'sup' });
    await settle(kernel);
    const oldB = probeRef(kernel, 'b').pid;
    const oldA = probeRef(kernel, 'a').pid;
    log.clear();
    probeRef(kernel, 'b').tell({ type: 'stop' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:b:normal', 'stop:c:shutdown', 'stop:a:shutdown', 'start:a', 'start:b', 'start:c']);
    expect(probeRef(kernel, 'b').pid).to.not.equal(oldB);
    expect(probeRef(kernel, 'a').pid).to.equal(oldA);
    await shutdown(kernel);
  });

  it('one-for-all restarts every child in the list, also one whose spec is kept but which was not running (OTP)', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ strategy: 'one-for-all', restartsMax: 5, children: [log.spec('a'), log.spec('b', { restart: 'transient' }), log.spec('c')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    probeRef(kernel, 'b').tell({ type: 'stop' }); // a transient child's normal exit: its spec stays, not running
    await settle(kernel);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['b', 'stopped'],
      ['c', 'running'],
    ]);
    log.clear();
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:a:crashed', 'stop:c:shutdown', 'start:a', 'start:b', 'start:c']);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'running'],
    ]);
    await shutdown(kernel);
  });

  describe('simple-one-for-one', () => {
    for (const restart of ['permanent', 'transient', 'temporary'] as const) {
      it(`restarts a crashed ${restart} template child alone`, async () => {
        const kernel = await boot();
        const log = new Log();
        const sup = kernel.spawn<SupervisorMsg>(
          supervisor({ strategy: 'simple-one-for-one', restartsMax: 5, children: [{ id: 'w', start: log.probe('w') as never, restart }] }),
          { name: 'sup' },
        );
        await settle(kernel);
        expect(log.entries, 'the template is not started by itself').to.deep.equal([]);
        const refs: ActorRef<never>[] = [];
        for (const name of ['w1', 'w2', 'w3']) refs.push(await askSettled(kernel, () => sup.ask({ type: 'start-child', options: { name } })));
        expect(log.entries).to.deep.equal(['start:w', 'start:w', 'start:w']);
        const pids = refs.map((r) => r.pid);
        log.clear();

        probeRef(kernel, 'w2').tell({ type: 'crash' });
        await settle(kernel);

        const children = await whichChildren(kernel, sup);
        if (restart === 'temporary') {
          expect(log.entries).to.deep.equal(['stop:w:crashed']);
          expect(children.map((c) => c.id)).to.deep.equal(['w-1', 'w-3']);
          expect(kernel.lookup('w2')).to.equal(undefined);
        } else {
          expect(log.entries).to.deep.equal(['stop:w:crashed', 'start:w']);
          expect(children.map((c) => c.id)).to.deep.equal(['w-1', 'w-2', 'w-3']);
          expect(children.map((c) => c.ref?.pid)).to.deep.equal(pids);
          expect(children.every((c) => c.status === 'running' && c.restart === restart)).to.equal(true);
        }
        await shutdown(kernel);
      });
    }
  });

  it('one-for-all: two children crashing in the same turn cost one group restart, not two', async () => {
    // OTP: while restarting the group the supervisor terminates the second crashed child and
    // consumes its EXIT, so one restart is counted and the group restarts once.
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'one-for-all', restartsMax: 1, children: [log.spec('a'), log.spec('b')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    probeRef(kernel, 'a').tell({ type: 'crash' });
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await settle(kernel);
    expect(failures.map((f) => String(f.error))).to.deep.equal(['Error: boom:a', 'Error: boom:b']);
    expect(kernel.lookup('sup'), 'the supervisor stays within its intensity').to.equal(sup);
    expect(log.entries.filter((e) => e.startsWith('start:'))).to.deep.equal(['start:a', 'start:b']);
    await shutdown(kernel);
  });
});
