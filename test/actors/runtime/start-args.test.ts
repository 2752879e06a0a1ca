/**
 * Start arguments: a behaviour takes them typed, from `spawn(…, { args })`, `Actor.with(args)`,
 * `withArgs` or a child spec; every incarnation gets them again (restarts included), and a spawn on
 * another CPU carries them as plain data.
 */
import { expect } from 'chai';
import { assign, type EventFromLogic, setup } from 'xstate';
import {
  Actor,
  type ActorContext,
  type ActorRef,
  type Ask,
  childSpec,
  fromMachine,
  fromSetup,
  Kernel,
  reply,
  supervisor,
  type SupervisorMsg,
  withArgs,
} from '../../../boot/index.js';
import { pidCpu } from '../../../ground/pid.js';
import { StartedCounter } from '../cpu/fixtures/behaviors.js';
import { answered, settle, shutdown } from '../../helpers/kernel.js';
import { bootSimulated } from './helpers.js';

type CounterMsg = { readonly type: 'add'; readonly n: number } | { readonly type: 'crash' } | Ask<{ readonly type: 'get' }, number>;

class Counter extends Actor<CounterMsg, { readonly start: number }> {
  count = this.args.start;
  receive(message: CounterMsg, ctx: ActorContext<CounterMsg>): void {
    if (message.type === 'add') this.count += message.n;
    else if (message.type === 'crash') throw new Error('crash on purpose');
    else ctx.reply(message, this.count);
  }
}

const closureCounter = fromSetup<CounterMsg, { readonly start: number }>((_ctx, { start }) => {
  let count = start;
  return {
    receive(message, ctx) {
      if (message.type === 'add') count += message.n;
      else if (message.type === 'crash') throw new Error('crash on purpose');
      else ctx.reply(message, count);
    },
  };
});

describe('start arguments', () => {
  it('reach a class (this.args), a setup closure, Actor.with and withArgs', async () => {
    const kernel = await bootSimulated();
    const refs = [
      kernel.spawn(Counter, { args: { start: 10 } }),
      kernel.spawn(closureCounter, { args: { start: 20 } }),
      kernel.spawn(Counter.with({ start: 30 })),
      kernel.spawn(withArgs(closureCounter, { start: 40 })),
    ];
    const counts = [];
    for (const ref of refs) counts.push(await answered(kernel, ref.ask({ type: 'get' })));
    expect(counts).to.deep.equal([10, 20, 30, 40]);
    await shutdown(kernel);
  });

  it('are typed: a behaviour that takes arguments cannot be spawned without them, nor with the wrong ones', () => {
    // Compiled, never run: each line must fail to type-check.
    const typeChecks = (kernel: Kernel): void => {
      // @ts-expect-error args are required
      kernel.spawn(Counter);
      // @ts-expect-error args are required
      kernel.spawn(Counter, { name: 'c' });
      // @ts-expect-error start must be a number
      kernel.spawn(Counter, { args: { start: 'ten' } });
      // @ts-expect-error a child spec checks its args against its behaviour
      childSpec({ id: 'c', start: Counter, args: { begin: 1 } });
    };
    expect(typeChecks).to.be.a('function');
  });

  it('are given again to every restarted incarnation (kept in the child spec)', async () => {
    const kernel = await bootSimulated();
    const sup = kernel.spawn<SupervisorMsg>(
      supervisor({ restartsMax: 5, children: [childSpec({ id: 'c', start: Counter, args: { start: 7 }, options: { name: 'c' } })] }),
    );
    await settle(kernel);
    const counter = kernel.lookup<CounterMsg>('c')!;
    counter.tell({ type: 'add', n: 5 });
    expect(await answered(kernel, counter.ask({ type: 'get' }))).to.equal(12);
    counter.tell({ type: 'crash' });
    await settle(kernel);
    expect(await answered(kernel, counter.ask({ type: 'get' })), 'the new incarnation starts from its arguments').to.equal(7);
    const spec = await answered(kernel, sup.ask({ type: 'get-child-spec', id: 'c' }));
    expect(spec.args).to.deep.equal({ start: 7 });
    await shutdown(kernel);
  });

  it("simple-one-for-one's start-child takes per-child arguments, kept for its restarts", async () => {
    const kernel = await bootSimulated();
    const pool = kernel.spawn<SupervisorMsg>(
      supervisor({ strategy: 'simple-one-for-one', restartsMax: 5, children: [childSpec({ id: 'w', start: closureCounter, args: { start: 0 } })] }),
    );
    await settle(kernel);
    const a = await answered(kernel, pool.ask({ type: 'start-child', args: { start: 100 } }));
    const b = await answered(kernel, pool.ask({ type: 'start-child' }));
    // A supervisor answers refs of any message type; these children are counters.
    const counterA = a as unknown as ActorRef<CounterMsg>;
    const counterB = b as unknown as ActorRef<CounterMsg>;
    expect(await answered(kernel, counterA.ask({ type: 'get' }))).to.equal(100);
    expect(await answered(kernel, counterB.ask({ type: 'get' })), 'the template’s arguments').to.equal(0);
    counterA.tell({ type: 'crash' });
    await settle(kernel);
    expect(await answered(kernel, counterA.ask({ type: 'get' }))).to.equal(100);
    await shutdown(kernel);
  });

  it("are a machine's input, given again when its supervisor restarts it", async () => {
    const kernel = await bootSimulated();
    const counting = setup({
      types: {} as { context: { count: number }; input: { start: number }; events: { type: 'add' } | { type: 'crash' } | Ask<{ type: 'get' }, number> },
    }).createMachine({
      context: ({ input }) => ({ count: input.start }),
      on: {
        add: { actions: assign({ count: ({ context }) => context.count + 1 }) },
        crash: {
          actions: () => {
            throw new Error('crash on purpose');
          },
        },
        get: { actions: reply(({ context }) => context.count) },
      },
    });
    kernel.spawn(supervisor({ restartsMax: 5, children: [childSpec({ id: 'm', start: fromMachine(counting), args: { start: 3 }, options: { name: 'm' } })] }));
    await settle(kernel);
    const machine = kernel.lookup<EventFromLogic<typeof counting>>('m')!;
    machine.tell({ type: 'add' });
    expect(await answered(kernel, machine.ask({ type: 'get' }))).to.equal(4);
    machine.tell({ type: 'crash' });
    await settle(kernel);
    expect(await answered(kernel, machine.ask({ type: 'get' }))).to.equal(3);
    await shutdown(kernel);
  });

  it('cross to another CPU as plain data, given with options.args or bound with Actor.with', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 2, cpus: 2, modules: [new URL('../cpu/fixtures/behaviors.js', import.meta.url)] });
    const far = kernel.spawn(StartedCounter, { cpu: 1, args: { start: 5, label: 'given' } });
    const bound = kernel.spawn(StartedCounter.with({ start: 6, label: 'bound' }), { cpu: 1 });
    await settle(kernel);
    await kernel.spawned(far);
    await kernel.spawned(bound);
    expect([pidCpu(far.pid), pidCpu(bound.pid)]).to.deep.equal([1, 1]);
    expect(await answered(kernel, far.ask({ type: 'get' }))).to.deep.equal({ count: 5, label: 'given' });
    expect(await answered(kernel, bound.ask({ type: 'get' }))).to.deep.equal({ count: 6, label: 'bound' });
    await kernel.shutdown();
  });
});
