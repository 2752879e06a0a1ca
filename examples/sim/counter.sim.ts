/**
 * A known bug, as a scenario module: a counter that loses updates. Each client increments it by
 * reading the value, thinking, and writing the value plus one back; two clients that read the same
 * value write the same value, and one increment is lost. The fix (`fixed`): one `add` message, which
 * the counter applies in its own turn.
 *
 *   npx osprey sim dist/examples/sim/counter.sim.js --seeds 200
 *   npx osprey sim dist/examples/sim/counter.sim.js --export fixed --seeds 200
 */
import { type ActorRef, type Ask, fromSetup, type Kernel } from '../../boot/index.js';
import { scenario, type Sim } from '../../sim/index.js';

type CounterMsg =
  | Ask<{ readonly type: 'get' }, number>
  | { readonly type: 'set'; readonly value: number }
  | Ask<{ readonly type: 'add'; readonly n: number }, number>;

const Counter = fromSetup<CounterMsg>(() => {
  let value = 0;
  return {
    receive(message, ctx) {
      if (message.type === 'get') ctx.reply(message, value);
      else if (message.type === 'set') value = message.value;
      else ctx.reply(message, (value += message.n));
    },
  };
}, 'Counter');

const clients = 4;
const incrementsPerClient = 5;

/** Each client increments the counter: read, think, write back (`racy`), or one `add` (correct). */
function counterScenario(racy: boolean) {
  return scenario({
    name: racy ? 'lost-update counter' : 'atomic counter',
    setup: (kernel: Kernel) => kernel.spawn(Counter),
    async workload(_kernel: Kernel, sim: Sim, counter: ActorRef<CounterMsg>) {
      const client = async (id: number) => {
        const think = sim.random(`client-${id}`);
        for (let i = 0; i < incrementsPerClient; i++) {
          await sim.sleep(think.int(20));
          if (racy) {
            const value = await counter.ask({ type: 'get' });
            await sim.sleep(think.int(5));
            counter.tell({ type: 'set', value: value + 1 });
          } else {
            await counter.ask({ type: 'add', n: 1 });
          }
        }
      };
      await Promise.all(Array.from({ length: clients }, (_, id) => client(id)));
      await sim.sleep(10);
    },
    invariants: {
      'every increment counts': async (_kernel: Kernel, _sim: Sim, counter: ActorRef<CounterMsg>) =>
        (await counter.ask({ type: 'get' })) === clients * incrementsPerClient,
    },
  });
}

export default counterScenario(true);
export const fixed = counterScenario(false);
