/**
 * Kernel refs and xstate refs meet: a kernel ref is a `sendTo` target (typed, without casts), and a
 * machine's `self` is its kernel ref, so a message with `self` as the reply address comes back.
 * This file is type-checked by the build: it contains no `as` cast, and the `@ts-expect-error`
 * lines prove that a wrong event does not compile.
 */
import { expect } from 'chai';
import { assign, sendParent, sendTo, setup } from 'xstate';
import { type ActorRef, fromMachine, fromReceive, kernelRef, UsageError, xstateRef } from '../../../boot/index.js';
import { bootSimulated, collectFailures, settle, shutdown } from './helpers.js';

type Report = { readonly type: 'report'; readonly count: number };
type Pong = { readonly type: 'pong'; readonly n: number };
type Ping = { readonly type: 'ping'; readonly n: number; readonly replyTo: ActorRef<Pong> };

describe('xstate machine actors: refs', () => {
  it('take a kernel ref as a typed sendTo target, through xstateRef', async () => {
    const kernel = await bootSimulated();
    const reports: Report[] = [];
    const sink = kernel.spawn(fromReceive<Report>((message) => void reports.push(message)));
    const counter = setup({ types: {} as { context: { count: number }; events: { type: 'inc' } | { type: 'report' } } }).createMachine({
      context: { count: 0 },
      on: {
        inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        report: { actions: sendTo(xstateRef(sink), ({ context }) => ({ type: 'report' as const, count: context.count })) },
      },
    });
    const ref = kernel.spawn(fromMachine(counter));
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'inc' });
    ref.tell({ type: 'report' });
    await settle(kernel);
    expect(reports).to.deep.equal([{ type: 'report', count: 2 }]);
    await shutdown(kernel);
  });

  it('refuse, at compile time, an event the kernel actor does not accept', async () => {
    const kernel = await bootSimulated();
    const sink = kernel.spawn(fromReceive<Report>(() => {}));
    const actions = [
      // @ts-expect-error 'nope' is not a Report
      sendTo(xstateRef(sink), { type: 'nope' }),
      // @ts-expect-error a report carries a count
      sendTo(xstateRef(sink), { type: 'report' }),
      sendTo(xstateRef(sink), { type: 'report', count: 1 }),
    ];
    expect(actions).to.have.length(3);
    await shutdown(kernel);
  });

  it('give the machine its own kernel ref as self: a reply to self reaches the machine', async () => {
    const kernel = await bootSimulated();
    const ponger = kernel.spawn(fromReceive<Ping>((message) => void message.replyTo.tell({ type: 'pong', n: message.n + 1 })));
    const answers: number[] = [];
    const pinger = setup({ types: {} as { context: { got: number }; events: { type: 'start' } | Pong } }).createMachine({
      context: { got: 0 },
      initial: 'idle',
      states: {
        idle: { on: { start: { target: 'waiting', actions: ({ self }) => ponger.tell({ type: 'ping', n: 41, replyTo: kernelRef(self) }) } } },
        waiting: { on: { pong: { target: 'done', actions: assign({ got: ({ event }) => event.n }) } } },
        done: { entry: ({ context }) => answers.push(context.got) },
      },
    });
    const ref = kernel.spawn(fromMachine(pinger));
    ref.tell({ type: 'start' });
    await settle(kernel);
    expect(answers).to.deep.equal([42]);
    await shutdown(kernel);
  });

  it('make self the kernel ref itself: the same actor, told by send as by tell', async () => {
    const kernel = await bootSimulated();
    const seen: unknown[] = [];
    const machine = setup({ types: {} as { events: { type: 'poke' } | { type: 'again' } } }).createMachine({
      on: {
        poke: { actions: ({ self }) => self.send({ type: 'again' }) },
        again: { actions: ({ self }) => seen.push(kernelRef(self).pid) },
      },
    });
    const ref = kernel.spawn(fromMachine(machine));
    ref.tell({ type: 'poke' });
    await settle(kernel);
    expect(seen).to.deep.equal([ref.pid]);
    await shutdown(kernel);
  });

  it('send sendParent events to the kernel parent of a machine it did not spawn from a machine', async () => {
    const kernel = await bootSimulated();
    const got: unknown[] = [];
    const child = setup({}).createMachine({ entry: sendParent({ type: 'hello' }) });
    kernel
      .spawn(
        fromReceive<{ type: 'go' } | { type: 'hello' }>((message, ctx) => {
          if (message.type === 'go') ctx.spawn(fromMachine(child));
          else got.push(message);
        }),
      )
      .tell({ type: 'go' });
    await settle(kernel);
    expect(got).to.deep.equal([{ type: 'hello' }]);
    await shutdown(kernel);
  });

  it('explain what a kernel actor cannot do as an xstate actor, as a UsageError', async () => {
    const kernel = await bootSimulated();
    const failures = collectFailures(kernel);
    const sink = kernel.spawn(fromReceive<Report>(() => {}));
    expect(() => xstateRef(sink).getSnapshot()).to.throw(UsageError, /ask it/);
    expect(() => xstateRef(sink).stop()).to.throw(UsageError, /kernel\.stop/);
    expect(() => kernelRef(xstateRef(sink))).to.not.throw();
    const machine = setup({ types: {} as { events: { type: 'subscribe' } } }).createMachine({
      on: { subscribe: { actions: ({ self }) => self.subscribe(() => {}) } },
    });
    kernel.spawn(fromMachine(machine)).tell({ type: 'subscribe' });
    await settle(kernel);
    expect(failures.map((failure) => failure.error)).to.satisfy((errors: unknown[]) => errors.length === 1 && errors[0] instanceof UsageError);
    await shutdown(kernel);
  });
});
