/**
 * A machine's xstate children (invoke, spawnChild, spawn in assign) run as kernel actors under the
 * machine actor, and their ends come back as xstate's done and error events.
 */
import { expect } from 'chai';
import { Subject } from 'rxjs';
import {
  type AnyActorRef,
  assign,
  fromCallback,
  fromEventObservable,
  fromObservable,
  fromPromise,
  fromTransition,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stopChild,
} from 'xstate';
import { type ActorStatus, fromMachine, type Kernel } from '../../../boot/index.js';
import { bootSimulated, collectEvents, collectFailures, settle, shutdown } from './helpers.js';

/** A promise the test settles itself, so the order of resolutions is the test's. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The labels of the actors under the actor named `name`, and their states. */
function childrenOf(kernel: Kernel, name: string): { label: string; status: string; state?: unknown }[] {
  const find = (node: ActorStatus): ActorStatus | undefined => (node.name === name ? node : node.children.map(find).find((found) => found !== undefined));
  const node = find(kernel.status().tree);
  if (node === undefined) throw new Error(`no actor named ${name}`);
  return node.children.map((child) => ({ label: child.label, status: child.status, ...(child.state !== undefined ? { state: child.state } : {}) }));
}

/** What a fetcher machine saw: users loaded, errors, aborted loads. */
interface FetcherLog {
  readonly users: string[];
  readonly errors: unknown[];
  readonly aborts: string[];
}

function newLog(): FetcherLog {
  return { users: [], errors: [], aborts: [] };
}

function fetcher(load: (id: number) => Promise<string>, log: FetcherLog = newLog()) {
  return setup({
    types: {} as { context: { user: string; error: unknown }; events: { type: 'fetch' } | { type: 'cancel' } },
    actors: {
      loadUser: fromPromise<string, { id: number }>(({ input, signal }) => {
        signal.addEventListener('abort', () => log.aborts.push(`aborted ${input.id}`));
        return load(input.id);
      }),
    },
  }).createMachine({
    id: 'fetcher',
    context: { user: '', error: undefined },
    initial: 'idle',
    states: {
      idle: { on: { fetch: 'loading' } },
      loading: {
        invoke: {
          id: 'loadUser',
          src: 'loadUser',
          input: () => ({ id: 7 }),
          onDone: { target: 'loaded', actions: assign({ user: ({ event }) => event.output }) },
          onError: { target: 'failed', actions: assign({ error: ({ event }) => event.error }) },
        },
        on: { cancel: 'idle' },
      },
      loaded: { entry: ({ context }) => log.users.push(context.user) },
      failed: { entry: ({ context }) => log.errors.push(context.error) },
    },
  });
}

describe('xstate machine actors: children', () => {
  it('invoke a promise as a kernel actor under the machine; its resolution becomes onDone with the output', async () => {
    const kernel = await bootSimulated();
    const user = deferred<string>();
    const log = newLog();
    const ref = kernel.spawn(fromMachine(fetcher(() => user.promise, log)), { name: 'fetcher' });
    ref.tell({ type: 'fetch' });
    await settle(kernel);
    expect(childrenOf(kernel, 'fetcher')).to.deep.equal([{ label: 'xstate:loadUser', status: 'running' }]);
    user.resolve('ada');
    await settle(kernel);
    expect(log.users).to.deep.equal(['ada']);
    expect(stateOf(kernel, 'fetcher')).to.equal('loaded');
    expect(childrenOf(kernel, 'fetcher')).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('turn a rejected promise into onError with the rejection', async () => {
    const kernel = await bootSimulated();
    const failures = collectFailures(kernel);
    const user = deferred<string>();
    const log = newLog();
    const ref = kernel.spawn(fromMachine(fetcher(() => user.promise, log)), { name: 'fetcher' });
    ref.tell({ type: 'fetch' });
    await settle(kernel);
    const notFound = new Error('no user 7');
    user.reject(notFound);
    await settle(kernel);
    expect(stateOf(kernel, 'fetcher')).to.equal('failed');
    expect(log.errors).to.deep.equal([notFound]);
    // The promise's actor crashed (a rejection is a crash, published like any): the machine did not.
    expect(failures.map((failure) => failure.error)).to.deep.equal([notFound]);
    await shutdown(kernel);
  });

  it('stop an invoked promise when its state is exited: its abort signal fires, its late result is dropped', async () => {
    const kernel = await bootSimulated();
    const user = deferred<string>();
    const log = newLog();
    const ref = kernel.spawn(fromMachine(fetcher(() => user.promise, log)), { name: 'fetcher' });
    ref.tell({ type: 'fetch' });
    await settle(kernel);
    ref.tell({ type: 'cancel' });
    await settle(kernel);
    expect(log.aborts).to.deep.equal(['aborted 7']);
    expect(childrenOf(kernel, 'fetcher')).to.deep.equal([]);
    user.resolve('too late');
    await settle(kernel);
    expect(stateOf(kernel, 'fetcher')).to.equal('idle');
    expect(log.users).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('invoke a child machine; its final output is onDone', async () => {
    const kernel = await bootSimulated();
    const child = setup({ types: {} as { input: { base: number }; context: { n: number }; output: number; events: { type: 'add' } } }).createMachine({
      id: 'adder',
      context: ({ input }) => ({ n: input.base }),
      initial: 'adding',
      states: {
        adding: { on: { add: [{ guard: ({ context }) => context.n >= 2, target: 'done' }, { actions: assign({ n: ({ context }) => context.n + 1 }) }] } },
        done: { type: 'final' },
      },
      output: ({ context }) => context.n * 100,
    });
    const results: number[] = [];
    const peeks: unknown[] = [];
    const peek = ({ children }: { children: Record<string, AnyActorRef | undefined> }) => {
      const snapshot = children.adder?.getSnapshot();
      peeks.push({ status: snapshot.status, n: snapshot.context.n });
    };
    const parent = setup({ types: {} as { events: { type: 'add' } | { type: 'peek' } }, actors: { child } }).createMachine({
      initial: 'running',
      states: {
        running: {
          invoke: { id: 'adder', src: 'child', input: { base: 1 }, onDone: { target: 'finished', actions: ({ event }) => results.push(event.output) } },
          on: { add: { actions: sendTo('adder', { type: 'add' }) } },
        },
        finished: {},
      },
      on: { peek: { actions: ({ self }) => peek(self.getSnapshot()) } },
    });
    const ref = kernel.spawn(fromMachine(parent), { name: 'parent' });
    await settle(kernel);
    expect(childrenOf(kernel, 'parent')).to.deep.equal([{ label: 'machine:adder', status: 'running', state: 'adding' }]);
    ref.tell({ type: 'add' });
    await settle(kernel);
    expect(results).to.deep.equal([]);
    // The child's xstate actor shows the snapshot of the kernel actor that runs it.
    ref.tell({ type: 'peek' });
    await settle(kernel);
    expect(peeks).to.deep.equal([{ status: 'active', n: 2 }]);
    ref.tell({ type: 'add' });
    await settle(kernel);
    expect(results).to.deep.equal([200]);
    expect(stateOf(kernel, 'parent')).to.equal('finished');
    await shutdown(kernel);
  });

  it('turn a child machine that throws into onError with what it threw', async () => {
    const kernel = await bootSimulated();
    const broken = new Error('child broke');
    const child = setup({}).createMachine({
      on: {
        poke: {
          actions: () => {
            throw broken;
          },
        },
      },
    });
    const errors: unknown[] = [];
    const parent = setup({ types: {} as { events: { type: 'poke' } }, actors: { child } }).createMachine({
      initial: 'running',
      states: {
        running: {
          invoke: { id: 'child', src: 'child', onError: { target: 'recovered', actions: ({ event }) => errors.push(event.error) } },
          on: { poke: { actions: sendTo('child', { type: 'poke' }) } },
        },
        recovered: {},
      },
    });
    kernel.spawn(fromMachine(parent), { name: 'parent' }).tell({ type: 'poke' });
    await settle(kernel);
    expect(errors).to.deep.equal([broken]);
    expect(stateOf(kernel, 'parent')).to.equal('recovered');
    await shutdown(kernel);
  });

  it('crash the machine on a child error that no transition takes, as xstate escalates it', async () => {
    const kernel = await bootSimulated();
    const failures = collectFailures(kernel);
    const parent = setup({
      actors: { failing: fromPromise(() => Promise.reject(new Error('nobody handles this'))) },
    }).createMachine({ invoke: { src: 'failing' } });
    const ref = kernel.spawn(fromMachine(parent), { name: 'parent' });
    await settle(kernel);
    expect(failures.map((failure) => [failure.child.pid === ref.pid, (failure.error as Error).message])).to.deep.equal([
      [false, 'nobody handles this'],
      [true, 'nobody handles this'],
    ]);
    await shutdown(kernel);
  });

  it('invoke a callback: it sends back to the machine, receives its events, and is cleaned up on exit', async () => {
    const kernel = await bootSimulated();
    const log: string[] = [];
    const machine = setup({
      types: {} as { events: { type: 'ping' } | { type: 'pong'; n: number } | { type: 'leave' } },
      actors: {
        echo: fromCallback<{ type: 'ping' }, { greeting: string }>(({ sendBack, receive, input }) => {
          log.push(input.greeting);
          let n = 0;
          receive(() => sendBack({ type: 'pong', n: ++n }));
          return () => log.push('cleaned up');
        }),
      },
    }).createMachine({
      initial: 'talking',
      states: {
        talking: {
          invoke: { id: 'echo', src: 'echo', input: { greeting: 'hello' } },
          on: {
            ping: { actions: sendTo('echo', { type: 'ping' }) },
            pong: { actions: ({ event }) => log.push(`pong ${event.n}`) },
            leave: 'gone',
          },
        },
        gone: {},
      },
    });
    const ref = kernel.spawn(fromMachine(machine), { name: 'talker' });
    ref.tell({ type: 'ping' });
    ref.tell({ type: 'ping' });
    await settle(kernel);
    expect(childrenOf(kernel, 'talker')).to.deep.equal([{ label: 'xstate:echo', status: 'running' }]);
    ref.tell({ type: 'leave' });
    await settle(kernel);
    expect(log).to.deep.equal(['hello', 'pong 1', 'pong 2', 'cleaned up']);
    expect(childrenOf(kernel, 'talker')).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('spawnChild and address the child by id; stopChild stops it', async () => {
    const kernel = await bootSimulated();
    const seen: string[] = [];
    const worker = setup({ types: {} as { events: { type: 'job'; name: string } } }).createMachine({
      id: 'worker',
      on: { job: { actions: [({ event }) => seen.push(event.name), sendParent(({ event }) => ({ type: 'finished', name: event.name }))] } },
    });
    const boss = setup({
      types: {} as { events: { type: 'hire' } | { type: 'assign'; name: string } | { type: 'fire' } | { type: 'finished'; name: string } },
      actors: { worker },
    }).createMachine({
      on: {
        hire: { actions: spawnChild('worker', { id: 'w1' }) },
        assign: { actions: sendTo('w1', ({ event }) => ({ type: 'job' as const, name: event.name })) },
        finished: { actions: ({ event }) => seen.push(`boss heard ${event.name}`) },
        fire: { actions: stopChild('w1') },
      },
    });
    const ref = kernel.spawn(fromMachine(boss), { name: 'boss' });
    ref.tell({ type: 'hire' });
    ref.tell({ type: 'assign', name: 'report' });
    await settle(kernel);
    expect(seen).to.deep.equal(['report', 'boss heard report']);
    expect(childrenOf(kernel, 'boss')).to.have.length(1);
    ref.tell({ type: 'fire' });
    await settle(kernel);
    expect(childrenOf(kernel, 'boss')).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('run children spawned in assign; sending to the ref in context reaches them', async () => {
    const kernel = await bootSimulated();
    const seen: number[] = [];
    const counter = setup({ types: {} as { events: { type: 'count'; n: number } } }).createMachine({
      on: { count: { actions: ({ event }) => seen.push(event.n) } },
    });
    const owner = setup({
      types: {} as { context: { counter: AnyActorRef | undefined }; events: { type: 'make' } | { type: 'tell'; n: number } },
      actors: { counter },
    }).createMachine({
      context: { counter: undefined },
      on: {
        make: { actions: assign({ counter: ({ spawn }) => spawn('counter') }) },
        tell: {
          actions: [
            sendTo(
              ({ context }) => context.counter!,
              ({ event }) => ({ type: 'count', n: event.n }),
            ),
            ({ context, event }) => context.counter?.send({ type: 'count', n: -event.n }),
          ],
        },
      },
    });
    const ref = kernel.spawn(fromMachine(owner), { name: 'owner' });
    ref.tell({ type: 'make' });
    ref.tell({ type: 'tell', n: 3 });
    await settle(kernel);
    expect(seen).to.deep.equal([3, -3]);
    expect(childrenOf(kernel, 'owner')).to.have.length(1);
    await shutdown(kernel);
  });

  it('start each child once: one stopped as the machine reaches its final state does not run again', async () => {
    const kernel = await bootSimulated();
    const log: string[] = [];
    const machine = setup({
      types: {} as { events: { type: 'finish' } },
      actors: {
        helper: fromCallback(() => {
          log.push('started');
          return () => log.push('stopped');
        }),
      },
    }).createMachine({
      entry: spawnChild('helper', { id: 'helper' }),
      initial: 'working',
      states: { working: { on: { finish: 'done' } }, done: { type: 'final' } },
    });
    kernel.spawn(fromMachine(machine), { name: 'worker' }).tell({ type: 'finish' });
    await settle(kernel);
    expect(log).to.deep.equal(['started', 'stopped']);
    expect(kernel.lookup('worker')).to.equal(undefined);
    await shutdown(kernel);
  });

  it('show how a spawned child ended in its snapshot, while the machine keeps it listed', async () => {
    const kernel = await bootSimulated();
    const seen: unknown[] = [];
    const machine = setup({
      types: {} as { events: { type: 'peek' } },
      actors: { five: fromPromise(async () => 5) },
    }).createMachine({
      entry: spawnChild('five', { id: 'five' }),
      on: {
        'xstate.done.actor.five': { actions: ({ event }: { event: unknown }) => seen.push((event as { output: unknown }).output) },
        peek: { actions: ({ self }) => seen.push(self.getSnapshot().children.five?.getSnapshot()) },
      },
    });
    const ref = kernel.spawn(fromMachine(machine));
    await settle(kernel);
    ref.tell({ type: 'peek' });
    await settle(kernel);
    expect(seen).to.deep.equal([5, { status: 'done', output: 5, error: undefined }]);
    await shutdown(kernel);
  });

  it("hear of a child's end after what it sent before it ended, as in xstate", async () => {
    const kernel = await bootSimulated();
    const heard: string[] = [];
    const child = setup({}).createMachine({
      entry: [sendParent({ type: 'first' }), sendParent({ type: 'second' })],
      initial: 'done',
      states: { done: { type: 'final' } },
    });
    const parent = setup({ actors: { child } }).createMachine({
      invoke: { src: 'child', onDone: { actions: () => heard.push('done') } },
      on: { '*': { actions: ({ event }) => heard.push(event.type) } },
    });
    kernel.spawn(fromMachine(parent));
    await settle(kernel);
    expect(heard).to.deep.equal(['first', 'second', 'done']);
    await shutdown(kernel);
  });

  it('tell the machine each snapshot of a child machine it invoked with onSnapshot', async () => {
    const kernel = await bootSimulated();
    const counts: number[] = [];
    const child = setup({ types: {} as { context: { n: number }; events: { type: 'inc' } } }).createMachine({
      context: { n: 0 },
      on: { inc: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    const parent = setup({ types: {} as { events: { type: 'inc' } }, actors: { child } }).createMachine({
      invoke: { id: 'child', src: 'child', onSnapshot: { actions: ({ event }) => counts.push(event.snapshot.context.n) } },
      on: { inc: { actions: sendTo('child', { type: 'inc' }) } },
    });
    const ref = kernel.spawn(fromMachine(parent));
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'inc' });
    await settle(kernel);
    expect(counts).to.deep.equal([0, 1, 2]);
    await shutdown(kernel);
  });

  it('invoke an event observable: its values are events to the machine', async () => {
    const kernel = await bootSimulated();
    const clicks = new Subject<{ type: 'click'; x: number }>();
    const xs: number[] = [];
    const machine = setup({
      types: {} as { events: { type: 'click'; x: number } },
      actors: { clicks: fromEventObservable(() => clicks) },
    }).createMachine({
      invoke: { src: 'clicks' },
      on: { click: { actions: ({ event }) => xs.push(event.x) } },
    });
    kernel.spawn(fromMachine(machine));
    await settle(kernel);
    clicks.next({ type: 'click', x: 3 });
    clicks.next({ type: 'click', x: 4 });
    await settle(kernel);
    expect(xs).to.deep.equal([3, 4]);
    await shutdown(kernel);
  });

  it('run a transition logic (a reducer) as a child, readable through its snapshot', async () => {
    const kernel = await bootSimulated();
    const totals: unknown[] = [];
    const adder = fromTransition((total: number, event: { type: 'add'; n: number }) => (event.type === 'add' ? total + event.n : total), 0);
    const machine = setup({ types: {} as { events: { type: 'add'; n: number } | { type: 'total' } }, actors: { adder } }).createMachine({
      invoke: { id: 'adder', src: 'adder' },
      on: {
        add: { actions: sendTo('adder', ({ event }) => event) },
        total: { actions: ({ self }) => totals.push(self.getSnapshot().children.adder?.getSnapshot().context) },
      },
    });
    const ref = kernel.spawn(fromMachine(machine));
    ref.tell({ type: 'add', n: 2 });
    ref.tell({ type: 'add', n: 5 });
    await settle(kernel);
    ref.tell({ type: 'total' });
    await settle(kernel);
    expect(totals).to.deep.equal([7]);
    await shutdown(kernel);
  });

  it('replay from the seed: promises settled in the same order give the same event stream', async () => {
    const run = async () => {
      const kernel = await bootSimulated(7);
      const events = collectEvents(kernel);
      const answers = [deferred<number>(), deferred<number>()];
      const machine = setup({
        types: {} as { context: { sum: number }; events: { type: 'start' } },
        actors: { answer: fromPromise<number, number>(({ input }) => answers[input]!.promise) },
      }).createMachine({
        context: { sum: 0 },
        on: {
          // Anonymous children: their ids are session ids, which must count the same in every run.
          start: { actions: [spawnChild('answer', { input: 0 }), spawnChild('answer', { input: 1 })] },
          '*': { actions: assign({ sum: ({ context, event }) => context.sum + ((event as { output?: number }).output ?? 0) }) },
        },
      });
      kernel.spawn(fromMachine(machine)).tell({ type: 'start' });
      await settle(kernel);
      answers[1]!.resolve(10);
      await settle(kernel);
      answers[0]!.resolve(1);
      await settle(kernel);
      await shutdown(kernel);
      return events;
    };
    const first = await run();
    expect(first.some((event) => event.kind === 'receive' && event.messageType.startsWith('xstate.done.actor.x:'))).to.equal(true);
    expect(await run()).to.deep.equal(first);
  });

  it('find a child by its system id', async () => {
    const kernel = await bootSimulated();
    const seen: string[] = [];
    const logger = fromCallback<{ type: 'log'; text: string }>(({ receive }) => receive((event) => seen.push(event.text)));
    const worked = { type: 'log', text: 'worked' };
    const app = setup({ types: {} as { events: { type: 'work' } }, actors: { logger } }).createMachine({
      invoke: { src: 'logger', systemId: 'logger' },
      on: { work: { actions: sendTo(({ system }) => system.get('logger'), worked) } },
    });
    kernel.spawn(fromMachine(app)).tell({ type: 'work' });
    await settle(kernel);
    expect(seen).to.deep.equal(['worked']);
    await shutdown(kernel);
  });

  it('let a state re-entered in one step invoke a child with the same system id again', async () => {
    const kernel = await bootSimulated();
    const failures = collectFailures(kernel);
    const log: string[] = [];
    const logger = fromCallback<{ type: 'log' }>(({ receive }) => {
      log.push('start');
      receive(() => log.push('got'));
      return () => log.push('stop');
    });
    const machine = setup({ types: {} as { events: { type: 'again' } | { type: 'ping' } }, actors: { logger } }).createMachine({
      initial: 'a',
      states: {
        a: {
          invoke: { src: 'logger', systemId: 'logger' },
          on: { again: { target: 'a', reenter: true }, ping: { actions: sendTo(({ system }) => system.get('logger'), { type: 'log' }) } },
        },
      },
    });
    const ref = kernel.spawn(fromMachine(machine));
    ref.tell({ type: 'again' });
    ref.tell({ type: 'ping' });
    await settle(kernel);
    expect(failures).to.deep.equal([]);
    // The old child's cleanup runs after the step that stopped it, as every stop in the kernel runs
    // after the turn that asked for it; it gets no more events meanwhile.
    expect(log).to.deep.equal(['start', 'start', 'got', 'stop']);
    await shutdown(kernel);
  });

  it('invoke an observable: each value is a snapshot event, completion is onDone', async () => {
    const kernel = await bootSimulated();
    const ticks = new Subject<number>();
    const seen: unknown[] = [];
    const machine = setup({ actors: { ticks: fromObservable(() => ticks) } }).createMachine({
      initial: 'watching',
      states: {
        watching: {
          invoke: {
            src: 'ticks',
            onSnapshot: { actions: ({ event }) => seen.push(event.snapshot.context) },
            onDone: { target: 'over' },
          },
        },
        over: {},
      },
    });
    kernel.spawn(fromMachine(machine), { name: 'watcher' });
    await settle(kernel);
    ticks.next(1);
    ticks.next(2);
    await settle(kernel);
    ticks.complete();
    await settle(kernel);
    // As in xstate, the first snapshot event carries the snapshot before any value.
    expect(seen).to.deep.equal([undefined, 1, 2]);
    expect(stateOf(kernel, 'watcher')).to.equal('over');
    await shutdown(kernel);
  });
});

function stateOf(kernel: Kernel, name: string): unknown {
  const find = (node: ActorStatus): ActorStatus | undefined => (node.name === name ? node : node.children.map(find).find((found) => found !== undefined));
  return find(kernel.status().tree)?.state;
}
