/**
 * Scenarios of known bugs, and their corrected versions, for the harness's tests: a counter that
 * loses updates to a read-modify-write race, and a tally kept only in an actor's memory, lost when a
 * kill restarts it.
 */
import { type ActorRef, type Ask, fromSetup, type Kernel } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
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

export const lostUpdateCounter = counterScenario(true);
export const atomicCounter = counterScenario(false);

type TallyMsg = { readonly type: 'count' } | Ask<{ readonly type: 'total' }, number>;

/** Counts in memory: a kill restarts it empty. */
const Tally = fromSetup<TallyMsg>(() => {
  let total = 0;
  return {
    receive(message, ctx) {
      if (message.type === 'count') total++;
      else ctx.reply(message, total);
    },
  };
}, 'Tally');

const counts = 30;

/**
 * A supervised tally that may be killed: a restart keeps the service up (liveness holds), but the
 * count kept in memory is lost (the invariant breaks) whenever a kill lands.
 */
export const volatileTally = scenario({
  name: 'volatile tally',
  setup(kernel: Kernel) {
    kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, children: [{ id: 'tally', start: Tally, options: { name: 'tally' } }] }), { name: 'service' });
    return () => kernel.lookup<TallyMsg>('tally')!;
  },
  async workload(_kernel: Kernel, sim: Sim, tally: () => ActorRef<TallyMsg>) {
    for (let i = 0; i < counts; i++) {
      tally().tell({ type: 'count' });
      await sim.sleep(10);
    }
  },
  invariants: {
    'nothing is lost': async (_kernel: Kernel, _sim: Sim, tally: () => ActorRef<TallyMsg>) => (await tally().ask({ type: 'total' })) === counts,
  },
  liveness: {
    withinMs: 1_000,
    'the tally answers': async (_kernel: Kernel, _sim: Sim, tally: () => ActorRef<TallyMsg>) => (await tally().ask({ type: 'total' })) >= 0,
  },
  faults: { killable: (kernel: Kernel) => [kernel.lookup<TallyMsg>('tally')].filter((ref) => ref !== undefined), killsMax: 2, windowMs: 300 },
});

type StoreMsg = { readonly type: 'put'; readonly value: number } | Ask<{ readonly type: 'sum' }, number>;

/**
 * A store whose writer retries a put when a reply is slow, and a store that does not deduplicate:
 * the retry path is rare in real life (a `sim.maybe` site), and double-applies a put when taken.
 */
export const retryingWriter = (deduplicates: boolean) =>
  scenario({
    name: deduplicates ? 'idempotent retries' : 'double-applied retry',
    setup: (kernel: Kernel) => {
      const seen = new Set<number>();
      let sum = 0;
      return kernel.spawn(
        fromSetup<StoreMsg & { readonly id?: number }>(
          () => ({
            receive(message, ctx) {
              if (message.type === 'sum') return ctx.reply(message, sum);
              if (deduplicates && seen.has(message.id!)) return;
              seen.add(message.id!);
              sum += message.value;
            },
          }),
          'Store',
        ),
      );
    },
    async workload(_kernel: Kernel, sim: Sim, store: ActorRef<StoreMsg & { readonly id?: number }>) {
      for (let id = 0; id < 10; id++) {
        store.tell({ type: 'put', value: 1, id });
        // The reply "timed out": send it again.
        if (sim.maybe('retry put')) store.tell({ type: 'put', value: 1, id });
        await sim.sleep(5);
      }
    },
    invariants: {
      'each put counts once': async (_kernel: Kernel, _sim: Sim, store: ActorRef<StoreMsg>) => (await store.ask({ type: 'sum' })) === 10,
    },
  });

type LedgerMsg =
  | { readonly type: 'credit'; readonly id: number }
  | Ask<{ readonly type: 'credit-once'; readonly id: number }, true>
  | Ask<{ readonly type: 'balance' }, number>;

/** Credits, by tell (`fire-and-forget`), or by ask, retried until answered and counted once per id. */
const Ledger = fromSetup<LedgerMsg>(() => {
  const seen = new Set<number>();
  let balance = 0;
  return {
    receive(message, ctx) {
      if (message.type === 'balance') return ctx.reply(message, balance);
      if (message.type === 'credit') {
        balance++;
        return;
      }
      if (!seen.has(message.id)) {
        seen.add(message.id);
        balance++;
      }
      ctx.reply(message, true);
    },
  };
}, 'Ledger');

const credits = 20;

/** A client credits a ledger whose mail may be dropped, duplicated or delayed. */
export const creditLedger = (reliable: boolean) =>
  scenario({
    name: reliable ? 'retried, idempotent credits' : 'fire-and-forget credits',
    setup: (kernel: Kernel) => kernel.spawn(Ledger),
    async workload(_kernel: Kernel, sim: Sim, ledger: ActorRef<LedgerMsg>) {
      for (let id = 0; id < credits; id++) {
        if (!reliable) ledger.tell({ type: 'credit', id });
        else {
          // Until answered: a lost ask times out and goes again; the ledger counts an id once.
          for (;;) {
            const answered = await ledger.ask({ type: 'credit-once', id }, { deadlineMs: 200 }).then(
              () => true,
              () => false,
            );
            if (answered) break;
          }
        }
        await sim.sleep(5);
      }
      // Mail delayed within the fault window arrives before the checks.
      await sim.sleep(100);
    },
    invariants: {
      'every credit counts once': async (_kernel: Kernel, _sim: Sim, ledger: ActorRef<LedgerMsg>) => (await ledger.ask({ type: 'balance' })) === credits,
    },
    faults: { messagesTo: (_kernel: Kernel, ledger: ActorRef<LedgerMsg>) => [ledger], windowMs: 10_000 },
  });
