/**
 * Dynamic children through the supervisor's asks: `start-child`, `terminate-child`,
 * `which-children`, and simple-one-for-one templates.
 */
import { expect } from 'chai';
import { ActorCrashedError, type ActorRef, type Ask, ChildStateError, NoSuchChildError, UnknownRequestError } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { collectDeadLetters } from '../helpers/kernel.js';
import { askSettled, boot, collectFailures, Log, probeRef, settle, shutdown, whichChildren } from './helpers.js';

describe('supervisors: dynamic children', () => {
  it('which-children lists id, ref, restart type and status in start order', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ children: [log.spec('a'), log.spec('b', { restart: 'transient' }), log.spec('c', { restart: 'temporary' })] }),
      { name: 'sup' },
    );
    await settle(kernel);
    const children = await whichChildren(kernel, sup);
    expect(children.map((c) => ({ id: c.id, pid: c.ref?.pid, restart: c.restart, status: c.status }))).to.deep.equal([
      { id: 'a', pid: probeRef(kernel, 'a').pid, restart: 'permanent', status: 'running' },
      { id: 'b', pid: probeRef(kernel, 'b').pid, restart: 'transient', status: 'running' },
      { id: 'c', pid: probeRef(kernel, 'c').pid, restart: 'temporary', status: 'running' },
    ]);
    // The refs are usable.
    expect(await askSettled(kernel, () => (children[1]!.ref as unknown as ReturnType<typeof probeRef>).ask({ type: 'ping' }))).to.include({ id: 'b' });
    await shutdown(kernel);
  });

  it('start-child starts a supervised child after the others and answers its ref', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'rest-for-one', restartsMax: 5, children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const ref = await askSettled(kernel, () => sup.ask({ type: 'start-child', spec: log.spec('d') }));
    expect(ref.pid).to.equal(probeRef(kernel, 'd').pid);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['d', 'running'],
    ]);
    log.clear();
    // It is supervised like a static child: the strategy sees it as started last.
    probeRef(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(log.entries).to.deep.equal(['stop:a:crashed', 'stop:d:shutdown', 'start:a', 'start:d']);
    expect(probeRef(kernel, 'd').pid).to.equal(ref.pid);
    await shutdown(kernel);
  });

  it('terminate-child stops the child (even a permanent one) and keeps its spec, listed with no ref; restart-child starts it again', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('b'), log.spec('c')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    expect(await askSettled(kernel, () => sup.ask({ type: 'terminate-child', id: 'b' }))).to.equal(true);
    expect(log.entries).to.deep.equal(['stop:b:shutdown']);
    expect(kernel.lookup('b')).to.equal(undefined);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status, c.ref?.pid])).to.deep.equal([
      ['a', 'running', probeRef(kernel, 'a').pid],
      ['b', 'stopped', undefined],
      ['c', 'running', probeRef(kernel, 'c').pid],
    ]);
    expect(await askSettled(kernel, () => sup.ask({ type: 'count-children' }))).to.deep.equal({ specs: 3, active: 2, supervisors: 0, workers: 3 });
    // Terminating it again is fine (OTP answers ok); an unknown id is a typed error.
    expect(await askSettled(kernel, () => sup.ask({ type: 'terminate-child', id: 'b' }))).to.equal(true);
    const unknown = await askSettled(kernel, () => sup.ask({ type: 'terminate-child', id: 'nope' })).catch((error: unknown) => error);
    expect(unknown).to.be.instanceOf(NoSuchChildError);
    log.clear();
    const b = await askSettled(kernel, () => sup.ask({ type: 'restart-child', id: 'b' }));
    expect(log.entries).to.deep.equal(['start:b']);
    expect(kernel.lookup('b')).to.equal(b);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['b', 'running'],
      ['c', 'running'],
    ]);
    expect(failures).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('restart-child and delete-child refuse a running child with a typed error; delete-child forgets a stopped one', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a'), log.spec('b')] }), { name: 'sup' });
    await settle(kernel);
    const errorOf = (request: SupervisorMsg) => askSettled(kernel, () => sup.ask(request as never)).catch((error: unknown) => error);
    expect(await errorOf({ type: 'restart-child', id: 'a' })).to.be.instanceOf(ChildStateError);
    expect(await errorOf({ type: 'delete-child', id: 'a' })).to.be.instanceOf(ChildStateError);
    expect(await errorOf({ type: 'delete-child', id: 'zz' })).to.be.instanceOf(NoSuchChildError);
    await askSettled(kernel, () => sup.ask({ type: 'terminate-child', id: 'a' }));
    expect(await askSettled(kernel, () => sup.ask({ type: 'delete-child', id: 'a' }))).to.equal(true);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['b']);
    expect(await errorOf({ type: 'restart-child', id: 'a' })).to.be.instanceOf(NoSuchChildError);
    // The id is free again.
    await askSettled(kernel, () => sup.ask({ type: 'start-child', spec: log.spec('a') }));
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['b', 'a']);
    await shutdown(kernel);
  });

  it('get-child-spec answers the spec with its defaults; count-children counts supervisors and workers', async () => {
    const kernel = await boot();
    const log = new Log();
    const inner = supervisor({ children: [log.spec('x')] });
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a', { restart: 'transient' }), { id: 'inner', start: inner as never }] }), {
      name: 'sup',
    });
    await settle(kernel);
    const a = await askSettled(kernel, () => sup.ask({ type: 'get-child-spec', id: 'a' }));
    expect({ id: a.id, restart: a.restart, shutdown: a.shutdown, type: a.type, significant: a.significant }).to.deep.equal({
      id: 'a',
      restart: 'transient',
      shutdown: 5_000,
      type: 'worker',
      significant: false,
    });
    const innerSpec = await askSettled(kernel, () => sup.ask({ type: 'get-child-spec', id: 'inner' }));
    expect([innerSpec.type, innerSpec.shutdown], 'a supervisor child waits for its own children (OTP)').to.deep.equal(['supervisor', 'infinity']);
    expect(await askSettled(kernel, () => sup.ask({ type: 'count-children' }))).to.deep.equal({ specs: 2, active: 2, supervisors: 1, workers: 1 });
    await shutdown(kernel);
  });

  it('fails an ask it does not understand at once with UnknownRequestError, and stays up', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    const answer = (sup as unknown as ActorRef<Ask<{ type: 'which-children-please' }, unknown>>).ask({ type: 'which-children-please' });
    answer.catch(() => {});
    // No virtual time passes: the answer is immediate, not a deadline.
    await settle(kernel);
    expect(kernel.clock.now()).to.equal(0);
    const error = await answer.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnknownRequestError);
    expect((error as UnknownRequestError).messageType).to.equal('which-children-please');
    expect(failures).to.deep.equal([]);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['a']);
    await shutdown(kernel);
  });

  it('terminate-child answers only once the child has stopped (its async stop included)', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('slow', { shutdown: 1_000 }, { stopping: { kind: 'delay', delayMs: 250 } })] }), {
      name: 'sup',
    });
    await settle(kernel);
    let answeredAt = -1;
    const answer = sup.ask({ type: 'terminate-child', id: 'slow' }).then((value) => {
      answeredAt = kernel.clock.now();
      return value;
    });
    await settle(kernel);
    expect(await answer).to.equal(true);
    expect(answeredAt).to.equal(250);
    expect(log.timeOf('stop:slow:shutdown')).to.equal(250);
    await shutdown(kernel);
  });

  it('start-child with an id already in use is refused without crashing the supervisor or touching its children', async () => {
    // OTP answers {error, already_present}; a client's bad request must not take the supervisor
    // (and, through its restart, every child) down.
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    const answer = sup.ask({ type: 'start-child', spec: log.spec('a') });
    answer.catch(() => {});
    await settle(kernel);
    let error: unknown;
    try {
      await answer;
    } catch (e) {
      error = e;
    }
    expect(error, 'the ask is rejected').to.be.instanceOf(Error);
    expect(error).to.not.be.instanceOf(ActorCrashedError);
    expect(
      failures.map((f) => String(f.error)),
      'no failure',
    ).to.deep.equal([]);
    expect(kernel.lookup('sup')).to.equal(sup);
    expect(log.entries, 'the existing child is untouched').to.deep.equal([]);
    expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['a']);
    await shutdown(kernel);
  });

  describe('simple-one-for-one', () => {
    it('starts children from the template on demand, with generated ids and per-child options', async () => {
      const kernel = await boot();
      const log = new Log();
      const sup = kernel.spawn<SupervisorMsg>(
        supervisor({ strategy: 'simple-one-for-one', children: [{ id: 'worker', start: log.probe('w') as never, restart: 'transient' }] }),
        { name: 'pool' },
      );
      await settle(kernel);
      expect(await whichChildren(kernel, sup)).to.deep.equal([]);
      const w1 = await askSettled(kernel, () => sup.ask({ type: 'start-child', options: { name: 'w1' } }));
      const w2 = await askSettled(kernel, () => sup.ask({ type: 'start-child', options: { name: 'w2' } }));
      const w3 = await askSettled(kernel, () => sup.ask({ type: 'start-child' }));
      expect(kernel.lookup('w1')).to.equal(w1);
      expect(kernel.lookup('w2')).to.equal(w2);
      const children = await whichChildren(kernel, sup);
      expect(children.map((c) => [c.id, c.ref?.pid, c.restart, c.status])).to.deep.equal([
        ['worker-1', w1.pid, 'transient', 'running'],
        ['worker-2', w2.pid, 'transient', 'running'],
        ['worker-3', w3.pid, 'transient', 'running'],
      ]);
      expect(log.entries).to.deep.equal(['start:w', 'start:w', 'start:w']);
      await shutdown(kernel);
    });

    it('restarts each template child individually, in place', async () => {
      const kernel = await boot();
      const log = new Log();
      const sup = kernel.spawn<SupervisorMsg>(
        supervisor({ strategy: 'simple-one-for-one', restartsMax: 10, children: [{ id: 'w', start: log.probe('w') as never }] }),
        { name: 'pool' },
      );
      await settle(kernel);
      const refs = [];
      for (const name of ['w1', 'w2', 'w3']) refs.push(await askSettled(kernel, () => sup.ask({ type: 'start-child', options: { name } })));
      for (const name of ['w3', 'w1']) {
        log.clear();
        probeRef(kernel, name).tell({ type: 'crash' });
        await settle(kernel);
        expect(log.entries, `crash of ${name}`).to.deep.equal(['stop:w:crashed', 'start:w']);
      }
      expect((await whichChildren(kernel, sup)).map((c) => c.ref?.pid)).to.deep.equal(refs.map((r) => r.pid));
      // Restarts in place: the same pids answer; only w1 and w3 were restarted.
      const answers = [];
      for (const name of ['w1', 'w2', 'w3']) answers.push(await askSettled(kernel, () => probeRef(kernel, name).ask({ type: 'ping' })));
      expect(answers.map((i) => i.pid)).to.deep.equal(refs.map((r) => r.pid));
      expect(
        kernel
          .status()
          .tree.children.find((n) => n.name === 'kernel.apps')!
          .children[0]!.children[0]!.children.map((n) => [n.name, n.restarts]),
      ).to.deep.equal([
        ['w1', 1],
        ['w2', 0],
        ['w3', 1],
      ]);
      await shutdown(kernel);
    });

    it('terminate-child stops one template child by its generated id', async () => {
      const kernel = await boot();
      const log = new Log();
      const sup = kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'simple-one-for-one', children: [{ id: 'w', start: log.probe('w') as never }] }), {
        name: 'pool',
      });
      await settle(kernel);
      for (const name of ['w1', 'w2']) await askSettled(kernel, () => sup.ask({ type: 'start-child', options: { name } }));
      expect(await askSettled(kernel, () => sup.ask({ type: 'terminate-child', id: 'w-1' }))).to.equal(true);
      expect(kernel.lookup('w1')).to.equal(undefined);
      expect((await whichChildren(kernel, sup)).map((c) => c.id)).to.deep.equal(['w-2']);
      await shutdown(kernel);
    });

    it('needs exactly one child spec', () => {
      const log = new Log();
      expect(() => supervisor({ strategy: 'simple-one-for-one', children: [] })).to.throw(TypeError);
      expect(() => supervisor({ strategy: 'simple-one-for-one', children: [log.spec('a'), log.spec('b')] })).to.throw(TypeError);
    });
  });

  it('validates static child specs', () => {
    const log = new Log();
    expect(() => supervisor({ children: [log.spec('a'), log.spec('a')] })).to.throw(TypeError);
    expect(() => supervisor({ children: [{ ...log.spec('a'), id: '' }] })).to.throw(TypeError);
    expect(() => supervisor({ children: [log.spec('a', { shutdown: -1 })] })).to.throw(RangeError);
  });

  it('terminate-child asked during a restart waits for it, and the child stays stopped', async () => {
    const kernel = await boot();
    const log = new Log();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ strategy: 'one-for-all', restartsMax: 5, children: [log.spec('a', {}, { stopping: { kind: 'delay', delayMs: 100 } }), log.spec('b')] }),
      { name: 'sup' },
    );
    await settle(kernel);
    probeRef(kernel, 'b').tell({ type: 'crash' });
    await kernel.advance(10); // the group is stopping: a's stop takes 100 ms
    expect(await kernel.runUntil(sup.ask({ type: 'terminate-child', id: 'b' }))).to.equal(true);
    await settle(kernel);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'running'],
      ['b', 'stopped'],
    ]);
    await shutdown(kernel);
  });

  it('a request told without an ask that cannot be carried out is a dead letter, and the supervisor stays up', async () => {
    const kernel = await boot();
    const log = new Log();
    const failures = collectFailures(kernel);
    const letters = collectDeadLetters(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ children: [log.spec('a')] }), { name: 'sup' });
    await settle(kernel);
    log.clear();
    (sup as unknown as ActorRef<{ readonly type: 'delete-child'; readonly id: string }>).tell({ type: 'delete-child', id: 'nope' });
    await settle(kernel);
    expect(letters.map((l) => [l.reason, (l.message as { type: string }).type])).to.deep.equal([['not-understood', 'delete-child']]);
    expect(failures).to.deep.equal([]);
    expect(log.entries).to.deep.equal([]);
    await shutdown(kernel);
  });
});
