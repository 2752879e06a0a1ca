/** A machine actor that reaches a top-level final state stops with reason `normal`, its output the exit value. */
import { expect } from 'chai';
import { assign, setup } from 'xstate';
import { type ActorRef, type DownSignal, type ExitSignal, fromMachine, fromSetup, type Signal, supervisor } from '../../../boot/index.js';
import { bootSimulated, collectEvents, collectFailures, settle, shutdown } from './helpers.js';

type OrderEvent = { readonly type: 'add'; readonly item: string } | { readonly type: 'checkout' };

const order = setup({
  types: {} as { context: { items: string[] }; events: OrderEvent; output: { items: string[]; total: number } },
}).createMachine({
  id: 'order',
  context: { items: [] },
  initial: 'open',
  states: {
    open: {
      on: {
        add: { actions: assign({ items: ({ context, event }) => [...context.items, event.item] }) },
        checkout: { target: 'paid' },
      },
    },
    paid: { type: 'final' },
  },
  output: ({ context }) => ({ items: context.items, total: context.items.length }),
});

/** Spawns an order machine under a watcher, which `watch`es it (monitor, or link) and records its signals. */
async function watchedOrder(watch: 'monitor' | 'link') {
  const kernel = await bootSimulated();
  const signals: Signal[] = [];
  let orderRef: ActorRef<OrderEvent> | undefined;
  kernel.spawn(
    fromSetup<never>((ctx) => ({
      started: () => {
        orderRef = ctx.spawn(fromMachine(order));
        if (watch === 'monitor') ctx.monitor(orderRef);
        else {
          ctx.trapExits(true);
          ctx.link(orderRef);
        }
      },
      receive: () => {},
      signal: (signal) => void signals.push(signal),
    })),
  );
  if (orderRef === undefined) throw new Error('the watcher spawns the order as it starts');
  return { kernel, signals, order: orderRef };
}

describe('xstate machine actors: final states', () => {
  it('stop with reason normal at a top-level final state; a monitor sees the output', async () => {
    const { kernel, signals, order: ref } = await watchedOrder('monitor');
    const failures = collectFailures(kernel);
    ref.tell({ type: 'add', item: 'tea' });
    ref.tell({ type: 'add', item: 'cake' });
    ref.tell({ type: 'checkout' });
    await settle(kernel);
    expect(signals).to.have.length(1);
    const down = signals[0] as DownSignal;
    expect([down.type, down.reason]).to.deep.equal(['down', 'normal']);
    expect(down.output).to.deep.equal({ items: ['tea', 'cake'], total: 2 });
    expect(failures).to.deep.equal([]);
    // Stopped: what comes after goes to dead letters.
    expect(ref.tell({ type: 'add', item: 'late' })).to.equal(false);
    await shutdown(kernel);
  });

  it('give a linked actor that traps exits the output in its exit signal', async () => {
    const { kernel, signals, order: ref } = await watchedOrder('link');
    ref.tell({ type: 'add', item: 'bread' });
    ref.tell({ type: 'checkout' });
    await settle(kernel);
    const exit = signals[0] as ExitSignal;
    expect([exit.type, exit.reason]).to.deep.equal(['exit', 'normal']);
    expect(exit.output).to.deep.equal({ items: ['bread'], total: 1 });
    await shutdown(kernel);
  });

  it('stop as soon as they run when their initial state is final', async () => {
    const kernel = await bootSimulated();
    const instant = setup({ types: {} as { output: string } }).createMachine({
      initial: 'done',
      states: { done: { type: 'final' } },
      output: () => 'nothing to do',
    });
    const signals: Signal[] = [];
    kernel.spawn(
      fromSetup<never>((ctx) => ({
        started: () => void ctx.monitor(ctx.spawn(fromMachine(instant))),
        receive: () => {},
        signal: (signal) => void signals.push(signal),
      })),
    );
    await settle(kernel);
    expect(signals.map((signal) => [signal.type, (signal as DownSignal).reason, (signal as DownSignal).output])).to.deep.equal([
      ['down', 'normal', 'nothing to do'],
    ]);
    await shutdown(kernel);
  });

  it('end a transient supervised child for good: a normal exit is not restarted', async () => {
    const kernel = await bootSimulated();
    const events = collectEvents(kernel);
    kernel.spawn(supervisor({ children: [{ id: 'order', start: fromMachine(order), restart: 'transient', options: { name: 'order' } }] }));
    const ref = kernel.lookup<OrderEvent>('order');
    ref?.tell({ type: 'checkout' });
    await settle(kernel);
    expect(kernel.lookup('order')).to.equal(undefined);
    expect(events.filter((event) => event.kind === 'restart')).to.deep.equal([]);
    expect(events.some((event) => event.kind === 'stop' && event.pid === ref?.pid && event.reason === 'normal')).to.equal(true);
    await shutdown(kernel);
  });
});
