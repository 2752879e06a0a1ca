import { expect } from 'chai';
import { assign, cancel, emit, log, raise, sendTo, setup } from 'xstate';
import { fromMachine, fromReceive, supervisor, xstateRef, type ActorRef, type KernelEvent } from '../../../boot/index.js';
import { bootSimulated, collectEvents, settle, shutdown } from './helpers.js';

type LightEvent = { type: 'next' } | { type: 'fault' } | { type: 'report' };

function lightMachine(reportTo: ActorRef<{ type: 'report'; count: number }> | undefined) {
  return setup({
    types: {} as { context: { count: number }; events: LightEvent; emitted: { type: 'changed'; count: number } },
    actions: {
      explode: () => {
        throw new Error('bulb blew');
      },
    },
  }).createMachine({
    id: 'light',
    context: { count: 0 },
    initial: 'green',
    on: {
      fault: { actions: 'explode' },
      report: {
        actions: sendTo(
          () => xstateRef(reportTo!),
          ({ context }) => ({ type: 'report' as const, count: context.count }),
        ),
      },
    },
    states: {
      green: {
        on: {
          next: {
            target: 'yellow',
            actions: [assign({ count: ({ context }) => context.count + 1 }), emit(({ context }) => ({ type: 'changed' as const, count: context.count }))],
          },
        },
      },
      yellow: { after: { 1000: { target: 'red' } } },
      red: { after: { 2000: { target: 'green' } } },
    },
  });
}

describe('xstate machine actors', () => {
  it('run transitions, with delayed transitions on the kernel clock', async () => {
    const kernel = await bootSimulated();
    const events = collectEvents(kernel);
    const light = kernel.spawn(fromMachine(lightMachine(undefined)));
    light.tell({ type: 'next' });
    await kernel.advance(999);
    const states = () => events.filter((e): e is Extract<KernelEvent, { kind: 'transition' }> => e.kind === 'transition').map((e) => e.to);
    expect(states()).to.deep.equal(['green', 'yellow']);
    await kernel.advance(1);
    expect(states()).to.deep.equal(['green', 'yellow', 'red']);
    await kernel.advance(2000);
    expect(states()).to.deep.equal(['green', 'yellow', 'red', 'green']);
    await shutdown(kernel);
  });

  it('deliver sendTo output and emitted events as messages', async () => {
    const kernel = await bootSimulated();
    const received: unknown[] = [];
    const sink = kernel.spawn(fromReceive<{ type: string }>((msg) => void received.push(msg)));
    const light = kernel.spawn(fromMachine(lightMachine(sink), { emitTo: sink }));
    light.tell({ type: 'next' });
    light.tell({ type: 'report' });
    await settle(kernel);
    expect(received).to.deep.include({ type: 'changed', count: 1 });
    expect(received.some((m) => (m as { type: string }).type === 'report' && (m as { count: number }).count === 1)).to.equal(true);
    await shutdown(kernel);
  });

  it('handle a raised event once, within the step that raised it', async () => {
    const kernel = await bootSimulated();
    const counts: number[] = [];
    const machine = setup({ types: {} as { context: { n: number }; events: { type: 'go' } | { type: 'bump' } | { type: 'show' } } }).createMachine({
      context: { n: 0 },
      on: {
        go: { actions: raise({ type: 'bump' }) },
        bump: { actions: assign({ n: ({ context }) => context.n + 1 }) },
        show: { actions: ({ context }) => counts.push(context.n) },
      },
    });
    const ref = kernel.spawn(fromMachine(machine));
    ref.tell({ type: 'go' });
    ref.tell({ type: 'show' });
    await settle(kernel);
    expect(counts).to.deep.equal([1]);
    await shutdown(kernel);
  });

  it('cancel a delayed send by its id, and write log actions to the logger', async () => {
    const kernel = await bootSimulated();
    const logged: unknown[] = [];
    const machine = setup({ types: {} as { events: { type: 'arm' } | { type: 'disarm' } | { type: 'boom' } } }).createMachine({
      on: {
        arm: { actions: raise({ type: 'boom' }, { id: 'fuse', delay: 1000 }) },
        disarm: { actions: cancel('fuse') },
        boom: { actions: log('boom') },
      },
    });
    const ref = kernel.spawn(fromMachine(machine, { logger: (...args) => logged.push(args) }));
    ref.tell({ type: 'arm' });
    await kernel.advance(500);
    ref.tell({ type: 'disarm' });
    await kernel.advance(1000);
    expect(logged).to.deep.equal([]);
    ref.tell({ type: 'arm' });
    await kernel.advance(1000);
    expect(logged).to.deep.equal([['boom']]);
    await shutdown(kernel);
  });

  it('turn an error thrown inside the machine into a supervised restart from the initial state', async () => {
    const kernel = await bootSimulated();
    const events = collectEvents(kernel);
    const failures: unknown[] = [];
    kernel.failures.subscribe((f) => failures.push(f.error));
    kernel.spawn(supervisor({ children: [{ id: 'light', start: fromMachine(lightMachine(undefined)), options: { name: 'light' } }] }));
    const light = kernel.lookup<LightEvent>('light')!;
    light.tell({ type: 'next' });
    light.tell({ type: 'fault' });
    await settle(kernel);
    expect((failures[0] as Error).message).to.equal('bulb blew');
    expect(events.some((e) => e.kind === 'restart' && e.pid === light.pid)).to.equal(true);
    // The delayed transition of the crashed incarnation was cancelled: the fresh machine stays green.
    const last = events.filter((e) => e.kind === 'transition' && e.pid === light.pid).at(-1) as { to: string };
    expect(last.to).to.equal('green');
    await kernel.advance(5_000);
    const after = events.filter((e) => e.kind === 'transition' && e.pid === light.pid).at(-1) as { to: string };
    expect(after.to).to.equal('green');
    await shutdown(kernel);
  });
});
