/** A machine actor answers asks with `reply`, typed by the `Ask` brand of its events. */
import { expect } from 'chai';
import { assign, raise, setup } from 'xstate';
import { type Ask, fromMachine, reply, UnansweredAskError } from '../../../boot/index.js';
import { answered } from '../../helpers/kernel.js';
import { bootSimulated, collectDeadLetters, rejectionOf, settle, shutdown } from './helpers.js';

type CounterEvent = { readonly type: 'inc'; readonly by: number } | Ask<{ readonly type: 'get' }, number> | Ask<{ readonly type: 'describe' }, string>;

const counter = setup({ types: {} as { context: { count: number }; events: CounterEvent } }).createMachine({
  id: 'counter',
  context: { count: 0 },
  initial: 'counting',
  states: {
    counting: {
      on: {
        inc: { actions: assign({ count: ({ context, event }) => context.count + event.by }) },
        get: { actions: reply(({ context }) => context.count) },
        describe: { target: 'described' },
      },
    },
    // Answered after the assign before it, and on the way through a raised event.
    described: {
      entry: [assign({ count: ({ context }) => context.count * 10 }), raise({ type: 'inc', by: 1 })],
      on: {
        inc: { actions: [assign({ count: ({ context, event }) => context.count + event.by }), reply(({ context }) => `count is ${context.count}`)] },
      },
    },
  },
});

describe('xstate machine actors: asks', () => {
  it('answer an ask with a value computed from context and event, typed by the Ask brand', async () => {
    const kernel = await bootSimulated();
    const ref = kernel.spawn(fromMachine(counter));
    ref.tell({ type: 'inc', by: 2 });
    ref.tell({ type: 'inc', by: 3 });
    const count: number = await answered(kernel, ref.ask({ type: 'get' }));
    expect(count).to.equal(5);
    await shutdown(kernel);
  });

  it('answer with the context its actions left, raised events included', async () => {
    const kernel = await bootSimulated();
    const ref = kernel.spawn(fromMachine(counter));
    ref.tell({ type: 'inc', by: 4 });
    const description: string = await answered(kernel, ref.ask({ type: 'describe' }));
    expect(description).to.equal('count is 41');
    await shutdown(kernel);
  });

  it('fail an ask the machine handles without answering at once, with the state it was in', async () => {
    const kernel = await bootSimulated();
    const ref = kernel.spawn(fromMachine(counter), { name: 'counter' });
    await answered(kernel, ref.ask({ type: 'describe' }));
    // In `described` nothing takes `get`: the asker learns it now, not at its deadline.
    const failing = rejectionOf(ref.ask({ type: 'get' }));
    await settle(kernel);
    const error = await failing;
    expect(error).to.be.instanceOf(UnansweredAskError);
    expect((error as UnansweredAskError).messageType).to.equal('get');
    expect((error as UnansweredAskError).state).to.equal('described');
    expect(kernel.clock.now()).to.equal(0);
    await shutdown(kernel);
  });

  it('make a reply to a plain tell a dead letter', async () => {
    const kernel = await bootSimulated();
    const letters = collectDeadLetters(kernel);
    const ref = kernel.spawn(fromMachine(counter));
    ref.tell({ type: 'get' });
    await settle(kernel);
    expect(letters.map(({ message, reason }) => ({ message, reason }))).to.deep.equal([{ message: 0, reason: 'no-asker' }]);
    await shutdown(kernel);
  });

  it('refuse, at compile time, a reply of the wrong type', () => {
    const wrong = setup({ types: {} as { context: { count: number }; events: CounterEvent } }).createMachine({
      context: { count: 0 },
      on: {
        // @ts-expect-error 'get' is answered with a number
        get: { actions: reply(() => 'five') },
      },
    });
    expect(wrong.root.on).to.have.property('get');
  });
});
