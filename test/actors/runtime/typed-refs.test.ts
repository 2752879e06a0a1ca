import { expect } from 'chai';
import { Actor, type ActorContext, type ActorRef, type Ask } from '../../../boot/index.js';
import { bootSimulated, settle, shutdown } from './helpers.js';

type CounterMsg = { readonly type: 'add'; readonly n: number } | Ask<{ readonly type: 'get' }, number> | Ask<{ readonly type: 'name' }, string>;

class Counter extends Actor<CounterMsg> {
  private count = 0;
  receive(msg: CounterMsg, ctx: ActorContext<CounterMsg>): void {
    switch (msg.type) {
      case 'add':
        this.count += msg.n;
        break;
      case 'get':
        ctx.reply(msg, this.count);
        // @ts-expect-error a 'get' is answered with a number, not a string
        if (this.count < 0) ctx.reply(msg, 'negative');
        break;
      case 'name':
        ctx.reply(msg, 'counter');
        break;
    }
  }
}

/**
 * These checks run in the compiler: `npm test` compiles the suite first, and an `@ts-expect-error`
 * line that is NOT an error fails the build. The runtime part checks the inferred types hold values.
 */
describe('typed refs', () => {
  it('accept only the actor’s messages and infer each ask’s reply type', async () => {
    const kernel = await bootSimulated();
    const counter: ActorRef<CounterMsg> = kernel.spawn(Counter);
    counter.tell({ type: 'add', n: 2 });
    // Compile-time checks only: never called.
    const wrongCalls = (): void => {
      // @ts-expect-error not a CounterMsg
      counter.tell({ type: 'subtract', n: 1 });
      // @ts-expect-error 'add' needs n: number
      counter.tell({ type: 'add', n: '2' });
      // @ts-expect-error 'add' is a tell, not an ask
      void counter.ask({ type: 'add', n: 1 });
    };
    void wrongCalls;
    counter.tell({ type: 'add', n: 2 });
    const count = counter.ask({ type: 'get' });
    const name = counter.ask({ type: 'name' });
    await settle(kernel);
    const typedCount: number = await count;
    const typedName: string = await name;
    // @ts-expect-error the reply of 'get' is a number
    const wrong: Promise<string> = counter.ask({ type: 'get' });
    await settle(kernel);
    expect(await wrong).to.equal(4);
    expect([typedCount, typedName]).to.deep.equal([4, 'counter']);
    await shutdown(kernel);
  });
});
