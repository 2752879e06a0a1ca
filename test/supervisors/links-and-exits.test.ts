/**
 * Links and exit reasons, as OTP's `link/1`, `exit/2` and `process_flag(trap_exit)`: a link lasts
 * as long as both incarnations, `normal` is ignored by a linked actor that does not trap exits,
 * `shutdown` and every other reason end it, `kill` cannot be trapped, and a supervisor decides by
 * the restart type and the reason.
 */
import { expect } from 'chai';
import {
  ActorExitedError,
  type ActorContext,
  type ActorRef,
  type Ask,
  type ExitReason,
  type ExitSignal,
  fromSetup,
  Kernel,
  LinkedCrashError,
  SystemLaneOverflowError,
} from '../../boot/index.js';
import { type ChildSpec, supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { Linker } from '../actors/cpu/fixtures/behaviors.js';
import { answered, settle as settleAll } from '../helpers/kernel.js';
import { boot, collectFailures, settle, shutdown, whichChildren } from './helpers.js';

/** What a linker does: link to a named actor, trap exits, crash, stop, or exit another actor. */
type LinkerMsg =
  | { readonly type: 'link'; readonly to: string }
  | { readonly type: 'trap' }
  | { readonly type: 'crash' }
  | { readonly type: 'stop' }
  | { readonly type: 'exit'; readonly to: string; readonly reason: ExitReason | 'kill' }
  | { readonly type: 'ping' };

/** Logs `start:<id>`, `stop:<id>:<reason>` and trapped exits `exit:<id>:<from>:<reason>` into `entries`. */
function linker(id: string, entries: string[]) {
  return fromSetup<LinkerMsg>(
    () => ({
      started: () => void entries.push(`start:${id}`),
      receive(message, ctx: ActorContext<LinkerMsg>) {
        switch (message.type) {
          case 'link':
            ctx.link(ctx.lookup(message.to)!);
            return;
          case 'trap':
            ctx.trapExits(true);
            return;
          case 'crash':
            throw new Error(`boom:${id}`);
          case 'stop':
            ctx.stop();
            return;
          case 'exit':
            ctx.exit(ctx.lookup(message.to)!, message.reason);
            return;
          case 'ping':
            entries.push(`ping:${id}`);
            return;
        }
      },
      stopped: (_ctx, reason) => void entries.push(`stop:${id}:${JSON.stringify(reason)}`),
      signal(signal) {
        if (signal.type === 'exit') entries.push(`exit:${id}:${signal.from?.toString() ?? 'outside'}:${JSON.stringify(signal.reason)}`);
      },
    }),
    `linker:${id}`,
  );
}

function spec(id: string, entries: string[], extra: Partial<ChildSpec<never>> = {}): ChildSpec<never> {
  return { id, start: linker(id, entries) as never, options: { name: id }, ...extra };
}

function ref(kernel: Kernel, name: string): ActorRef<LinkerMsg> {
  const found = kernel.lookup<LinkerMsg>(name);
  if (found === undefined) throw new Error(`no live actor named '${name}'`);
  return found;
}

describe('supervision conformance: links and exit reasons', () => {
  it('two linked supervised actors: one crash gives one exit signal per link and one restart each, then quiet (no livelock)', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    kernel.spawn(supervisor({ restartsMax: 10, children: [spec('a', entries)] }), { name: 'sup-a' });
    kernel.spawn(supervisor({ restartsMax: 10, children: [spec('b', entries)] }), { name: 'sup-b' });
    await settle(kernel);
    ref(kernel, 'b').tell({ type: 'link', to: 'a' });
    await settle(kernel);
    entries.length = 0;

    ref(kernel, 'a').tell({ type: 'crash' });
    // Before the fix both failed each other at the same instant forever: this never went idle.
    await settle(kernel);

    expect(kernel.clock.now(), 'no virtual time was needed').to.equal(0);
    expect(failures.map((f) => f.error instanceof LinkedCrashError)).to.deep.equal([false, true]);
    expect(entries.filter((e) => e.startsWith('start:')).sort()).to.deep.equal(['start:a', 'start:b']);
    // The restarted incarnations are not linked: a second crash of a leaves b alone.
    entries.length = 0;
    ref(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(entries).to.deep.equal(['stop:a:"crashed"', 'start:a']);
    await shutdown(kernel);
  });

  it('linked actors under one one-for-one supervisor: one crash restarts each once', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    kernel.spawn(supervisor({ restartsMax: 10, children: [spec('a', entries), spec('b', entries)] }), { name: 'sup' });
    await settle(kernel);
    ref(kernel, 'b').tell({ type: 'link', to: 'a' });
    await settle(kernel);
    ref(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    expect(failures).to.have.length(2);
    expect(kernel.lookup('sup')).to.not.equal(undefined);
    await shutdown(kernel);
  });

  it('a normal exit does not end a linked actor that does not trap exits; a trapping one is told', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const a = kernel.spawn(linker('a', entries), { name: 'a' });
    kernel.spawn(linker('b', entries), { name: 'b' });
    kernel.spawn(linker('c', entries), { name: 'c' });
    ref(kernel, 'c').tell({ type: 'trap' });
    ref(kernel, 'b').tell({ type: 'link', to: 'a' });
    ref(kernel, 'c').tell({ type: 'link', to: 'a' });
    await settle(kernel);
    a.tell({ type: 'stop' });
    await settle(kernel);
    expect(entries.filter((e) => !e.startsWith('start:'))).to.deep.equal(['stop:a:"normal"', `exit:c:${a.toString()}:"normal"`]);
    expect(kernel.lookup('b')).to.not.equal(undefined);
    await shutdown(kernel);
  });

  it('shutdown from a link ends a non-trapping actor with reason shutdown (OTP), and a transient one is not restarted', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ children: [spec('a', entries, { restart: 'transient' }), spec('b', entries, { restart: 'transient' })] }),
      {
        name: 'sup',
      },
    );
    await settle(kernel);
    ref(kernel, 'b').tell({ type: 'link', to: 'a' });
    await settle(kernel);
    entries.length = 0;
    kernel.exit(ref(kernel, 'a'), 'shutdown');
    await settle(kernel);
    expect(entries).to.deep.equal(['stop:a:"shutdown"', 'stop:b:"shutdown"']);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['a', 'stopped'],
      ['b', 'stopped'],
    ]);
    expect(failures, 'a shutdown is not a failure').to.deep.equal([]);
    await shutdown(kernel);
  });

  it('{ shutdown: why } is a clean exit too; a custom reason is abnormal: a transient child is restarted and the failure names it', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ restartsMax: 5, children: [spec('t1', entries, { restart: 'transient' }), spec('t2', entries, { restart: 'transient' })] }),
      { name: 'sup' },
    );
    await settle(kernel);
    entries.length = 0;
    kernel.exit(ref(kernel, 't1'), { shutdown: 'maintenance' });
    kernel.exit(ref(kernel, 't2'), { code: 42 });
    await settle(kernel);
    expect(entries).to.deep.equal(['stop:t1:{"shutdown":"maintenance"}', 'stop:t2:{"code":42}', 'start:t2']);
    expect((await whichChildren(kernel, sup)).map((c) => [c.id, c.status])).to.deep.equal([
      ['t1', 'stopped'],
      ['t2', 'running'],
    ]);
    expect(failures.map((f) => f.reason)).to.deep.equal([{ code: 42 }]);
    await shutdown(kernel);
  });

  it('a trapping actor gets exit(ref, reason) as an exit signal naming the sender (undefined from outside any actor)', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const target = kernel.spawn(linker('t', entries), { name: 't' });
    const sender = kernel.spawn(linker('s', entries), { name: 's' });
    target.tell({ type: 'trap' });
    await settle(kernel);
    kernel.exit(target, 'shutdown');
    sender.tell({ type: 'exit', to: 't', reason: ['custom', 1] });
    await settle(kernel);
    expect(entries.filter((e) => e.startsWith('exit:'))).to.deep.equal(['exit:t:outside:"shutdown"', `exit:t:${sender.toString()}:["custom",1]`]);
    expect(kernel.lookup('t')).to.equal(target);
    await shutdown(kernel);
  });

  it('kill cannot be trapped: the actor ends with reason killed, without its stopped hook, and its supervisor restarts it', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    kernel.spawn(supervisor({ children: [spec('k', entries)] }), { name: 'sup' });
    kernel.spawn(linker('watcher', entries), { name: 'watcher' });
    await settle(kernel);
    const k = ref(kernel, 'k');
    k.tell({ type: 'trap' });
    ref(kernel, 'watcher').tell({ type: 'trap' });
    ref(kernel, 'watcher').tell({ type: 'link', to: 'k' });
    await settle(kernel);
    entries.length = 0;
    kernel.exit(k, 'kill');
    await settle(kernel);
    // No stop:k entry: a killed actor runs no hook. Its trapping link hears `killed`.
    expect(entries).to.deep.equal([`exit:watcher:${k.toString()}:"killed"`, 'start:k']);
    expect(failures.map((f) => f.reason)).to.deep.equal(['killed']);
    expect(kernel.lookup('k')).to.equal(k);
    await shutdown(kernel);
  });

  it('trapExits and links end with the incarnation: a restarted actor neither traps nor stays linked', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    kernel.spawn(supervisor({ restartsMax: 5, children: [spec('a', entries), spec('b', entries)] }), { name: 'sup' });
    await settle(kernel);
    ref(kernel, 'a').tell({ type: 'trap' });
    ref(kernel, 'a').tell({ type: 'crash' });
    await settle(kernel);
    entries.length = 0;
    kernel.exit(ref(kernel, 'a'), 'stopping-now');
    await settle(kernel);
    expect(entries, 'the new incarnation does not trap: the exit ends it').to.deep.equal(['stop:a:"stopping-now"', 'start:a']);
    await shutdown(kernel);
  });

  it('a crash in a linked actor reaches a trapping actor as an exit signal with reason crashed and the error', async () => {
    const kernel = await boot();
    const signals: ExitSignal[] = [];
    const a = kernel.spawn(linker('a', []), { name: 'a' });
    kernel.spawn(
      fromSetup<{ readonly type: 'go' }>((ctx) => {
        ctx.trapExits(true);
        ctx.link(a as never);
        return { receive: () => {}, signal: (signal) => void (signal.type === 'exit' && signals.push(signal)) };
      }),
    );
    await settle(kernel);
    a.tell({ type: 'crash' });
    await settle(kernel);
    expect(signals.map((s) => [s.from, s.reason, (s.error as Error).message])).to.deep.equal([[a, 'crashed', 'boom:a']]);
    await shutdown(kernel);
  });

  it('a system lane that overflows crashes the receiving actor; the sender is not thrown at', async () => {
    const kernel = await boot();
    const failures = collectFailures(kernel);
    const entries: string[] = [];
    const flooded = kernel.spawn(linker('f', entries), { name: 'f' });
    await settle(kernel);
    // 65 536 signals fit; the next one overflows. `normal` exits are ignored once handled, but queue first.
    expect(() => {
      for (let i = 0; i <= 65_536; i++) kernel.exit(flooded, 'normal');
    }).to.not.throw();
    await settle(kernel);
    expect(failures.map((f) => f.error)).to.have.length(1);
    expect(failures[0]!.error).to.be.instanceOf(SystemLaneOverflowError);
    expect(failures[0]!.child).to.equal(flooded);
    await shutdown(kernel);
  });

  it('exit(ref, reason) crosses CPUs with its reason as plain data', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 3, cpus: 2, modules: [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)] });
    const far = kernel.spawn(Linker, { cpu: 1 });
    far.tell({ type: 'trap' });
    await settleAll(kernel);
    kernel.exit(far as never, { why: ['plain', 'data'] });
    await settleAll(kernel);
    expect(await answered(kernel, far.ask({ type: 'exits' }))).to.deep.equal([[0, '{"why":["plain","data"]}']]);
    await shutdown(kernel);
  });

  it('an exit queued for an ended incarnation does not reach the next one: one crash, one group restart', async () => {
    const kernel = await boot();
    const entries: string[] = [];
    const failures = collectFailures(kernel);
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ strategy: 'one-for-all', children: [spec('b', entries), spec('c', entries), spec('x', entries)] }), {
      name: 'sup',
    });
    await settle(kernel);
    ref(kernel, 'c').tell({ type: 'link', to: 'b' });
    await settle(kernel);
    entries.length = 0;
    // c's incarnation ends with the group's restart and tells b `shutdown`; b is restarted before it
    // handles that signal, and its new incarnation never had the link.
    ref(kernel, 'x').tell({ type: 'crash' });
    await settle(kernel);
    expect(entries.filter((e) => e.startsWith('start:'))).to.deep.equal(['start:b', 'start:c', 'start:x']);
    expect(failures).to.have.length(1);
    expect((await whichChildren(kernel, sup)).map((c) => c.status)).to.deep.equal(['running', 'running', 'running']);
    await shutdown(kernel);
  });

  it('kill cuts short a stop that hangs under an infinity shutdown', async () => {
    const kernel = await boot();
    const hung = kernel.spawn(
      fromSetup<{ readonly type: 'noop' }>(() => ({ receive() {}, stopped: () => new Promise<void>(() => {}) })),
      { shutdown: 'infinity' },
    );
    await settle(kernel);
    const stopped = kernel.stop(hung as never);
    await kernel.advance(60_000);
    kernel.exit(hung as never, 'kill');
    await kernel.runUntil(stopped);
    expect(hung.tell({ type: 'noop' })).to.equal(false);
    await shutdown(kernel);
  });

  it('an ask an async handler is working on fails at once when an exit signal ends the incarnation', async () => {
    const kernel = await boot();
    const slow = kernel.spawn(fromSetup<Ask<{ readonly type: 'work' }, number>>(() => ({ receive: () => new Promise<void>(() => {}) })));
    const answer = slow.ask({ type: 'work' }, { deadlineMs: 60_000 });
    answer.catch(() => {});
    await kernel.settle(); // the handler is working on it (settle, not run until idle: that would reach the deadline)
    kernel.exit(slow as never, 'kill');
    const error = await kernel.runUntil(answer).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ActorExitedError);
    expect(kernel.clock.now(), 'not at the deadline').to.equal(0);
    await shutdown(kernel);
  });

  it('exit(ref, reason) to an actor on another CPU whose spawn is not answered yet waits for the pid, like a tell', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules: [new URL('../actors/cpu/fixtures/behaviors.js', import.meta.url)] });
    const far = kernel.spawn(Linker, { cpu: 1 });
    expect(far.pid, 'its CPU has not answered').to.equal(0);
    kernel.exit(far as never, 'kill');
    await settleAll(kernel);
    await kernel.runUntilIdle();
    expect(far.tell({ type: 'trap' }), 'it was killed (its plain parent stops it)').to.equal(false);
    await kernel.shutdown();
  });
});
