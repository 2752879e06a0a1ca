import { Actor, Kernel, supervisor, type ActorContext, type Ask } from '../boot/index.js';

type CounterMsg = { readonly type: 'add'; readonly n: number } | { readonly type: 'crash' } | Ask<{ readonly type: 'get' }, number>;
class Counter extends Actor<CounterMsg> {
  private count = 0;
  receive(msg: CounterMsg, ctx: ActorContext<CounterMsg>): void {
    switch (msg.type) {
      case 'add':
        this.count += msg.n;
        break;
      case 'get':
        ctx.reply(msg, this.count);
        break;
      case 'crash':
        throw new Error('counter crashed on purpose');
    }
  }
}

class Greeter extends Actor<{ readonly type: 'greet'; readonly who: string }> {
  receive(msg: { readonly who: string }): void {
    console.log(`hello, ${msg.who}`);
  }
}
export async function main(): Promise<number[]> {
  const kernel = await Kernel.boot();
  kernel.spawn(
    supervisor({
      strategy: 'one-for-one',
      restartsMax: 3,
      restartWindowMs: 5_000,
      children: [
        { id: 'counter', start: Counter, options: { name: 'counter' } },
        { id: 'greeter', start: Greeter, options: { name: 'greeter' } },
      ],
    }),
  );
  const counter = kernel.lookup<CounterMsg>('counter')!;
  kernel.lookup<{ type: 'greet'; who: string }>('greeter')!.tell({ type: 'greet', who: 'osprey' });
  counter.tell({ type: 'add', n: 40 });
  const before = await counter.ask({ type: 'get' }); // 40, typed as number
  counter.tell({ type: 'crash' }); // the supervisor restarts it in place
  counter.tell({ type: 'add', n: 2 });
  const after = await counter.ask({ type: 'get' }); // 2: a fresh incarnation, same ref
  await kernel.shutdown();
  return [before, after];
}
