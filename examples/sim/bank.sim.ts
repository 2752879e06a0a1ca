/**
 * A known bug, as a scenario module: a retry that is not idempotent double-applies a transfer after
 * a crash. A supervised teller takes transfers, writes each to the ledger, and answers once the write
 * is on disk (5 ms later). A teller killed between the write and its answer leaves the client with no
 * answer; the client retries the same transfer, and the ledger applies it twice. The fix (`fixed`):
 * the ledger remembers the ids it applied, so a retry is applied once.
 *
 *   npx osprey sim dist/examples/sim/bank.sim.js --seeds 200             # finds it
 *   npx osprey sim dist/examples/sim/bank.sim.js --seed S --shrink       # the one kill that does it
 *   npx osprey sim dist/examples/sim/bank.sim.js --export fixed --seeds 200   # passes
 */
import { type ActorRef, type Ask, fromSetup, type Kernel, type ReplyHandle } from '../../boot/index.js';
import { supervisor, type SupervisorMsg } from '../../supervisors/index.js';
import { scenario, type Sim } from '../../sim/index.js';

type LedgerMsg =
  | Ask<{ readonly type: 'apply'; readonly id: number; readonly amount: number }, true>
  | Ask<{ readonly type: 'balances' }, readonly [number, number]>;

/** Two accounts of 1000; `apply` moves `amount` from the first to the second, once per id when it `deduplicates`. */
const ledger = (deduplicates: boolean) =>
  fromSetup<LedgerMsg>(
    () => {
      const balances: [number, number] = [1_000, 1_000];
      const applied = new Set<number>();
      return {
        receive(message, ctx) {
          if (message.type === 'balances') return ctx.reply(message, [...balances] as const);
          if (!(deduplicates && applied.has(message.id))) {
            applied.add(message.id);
            balances[0] -= message.amount;
            balances[1] += message.amount;
          }
          ctx.reply(message, true);
        },
      };
    },
    deduplicates ? 'DeduplicatingLedger' : 'Ledger',
  );

type TellerMsg = Ask<{ readonly type: 'transfer'; readonly id: number; readonly amount: number }, true> | { readonly type: 'synced'; readonly id: number };

/** The time the ledger's write takes to reach the disk, in ms: the teller answers after it. */
const syncMs = 5;

/** Writes a transfer to the ledger, then answers once it is synced. A kill in between loses the answer. */
const Teller = fromSetup<TellerMsg>(() => {
  const waiting = new Map<number, ReplyHandle<true>>();
  return {
    receive(message, ctx) {
      if (message.type === 'synced') {
        waiting.get(message.id)?.resolve(true);
        waiting.delete(message.id);
        return;
      }
      const answer = ctx.replyLater(message);
      const books = ctx.lookup<LedgerMsg>('ledger')!;
      void books.ask({ type: 'apply', id: message.id, amount: message.amount }).then(() => {
        waiting.set(message.id, answer);
        ctx.startTimer(`sync ${message.id}`, syncMs, { type: 'synced', id: message.id });
      });
    },
  };
}, 'Teller');

const transfers = 10;

/** The system under test: the ledger, and what the client has had answered. */
interface Bank {
  readonly books: ActorRef<LedgerMsg>;
  readonly sent: { total: number };
}

const bank = (deduplicates: boolean) =>
  scenario({
    name: deduplicates ? 'bank with idempotent transfers' : 'bank whose retried transfers apply twice',
    setup(kernel: Kernel): Bank {
      const books = kernel.spawn(ledger(deduplicates), { name: 'ledger' });
      kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 10, children: [{ id: 'teller', start: Teller, options: { name: 'teller' } }] }), { name: 'bank' });
      return { books, sent: { total: 0 } };
    },
    async workload(kernel: Kernel, sim: Sim, { sent }: Bank) {
      const amounts = sim.random('amounts');
      for (let id = 0; id < transfers; id++) {
        const amount = 1 + amounts.int(100);
        // Until answered: no answer within 50 ms, and the client sends the same transfer again.
        for (;;) {
          const teller = kernel.lookup<TellerMsg>('teller');
          const answered =
            teller !== undefined &&
            (await teller.ask({ type: 'transfer', id, amount }, { deadlineMs: 50 }).then(
              () => true,
              () => false,
            ));
          if (answered) break;
          await sim.sleep(10);
        }
        sent.total += amount;
        await sim.sleep(sim.random('think').int(20));
      }
    },
    invariants: {
      'money is conserved': async (_kernel: Kernel, _sim: Sim, { books }: Bank) => {
        const [from, to] = await books.ask({ type: 'balances' });
        return from + to === 2_000;
      },
      'each transfer applies once': async (_kernel: Kernel, _sim: Sim, { books, sent }: Bank) => {
        const [, to] = await books.ask({ type: 'balances' });
        return to === 1_000 + sent.total;
      },
    },
    faults: { killable: (kernel: Kernel) => [kernel.lookup<TellerMsg>('teller')].filter((ref) => ref !== undefined), killsMax: 3, windowMs: 300 },
  });

export default bank(false);
export const fixed = bank(true);
