import { expect } from 'chai';
import { type ActorRef, type Ask, fromSetup, type Kernel } from '../../boot/index.js';
import { describeResult, type PlannedFault, runScenario, scenario } from '../../sim/index.js';
import { creditLedger, replicatedRegister } from './fixtures/examples.js';

type TallyMsg = { readonly type: 'count' } | Ask<{ readonly type: 'total' }, number>;

const Tally = fromSetup<TallyMsg>(() => {
  let total = 0;
  return { receive: (message, ctx) => (message.type === 'count' ? void total++ : ctx.reply(message, total)) };
}, 'Tally');

/** The totals of the last run's two tallies. */
let totals: number[] = [];

/** Twenty counts told to each of two tallies, the mail to both open to faults. */
const twoTallies = scenario({
  name: 'two tallies',
  setup: (kernel: Kernel) => [kernel.spawn(Tally), kernel.spawn(Tally)],
  async workload(_kernel, sim, tallies: ActorRef<TallyMsg>[]) {
    for (let i = 0; i < 20; i++) {
      for (const tally of tallies) tally.tell({ type: 'count' });
      await sim.sleep(5);
    }
  },
  invariants: {
    'read the totals': async (_kernel, _sim, tallies: ActorRef<TallyMsg>[]) => {
      totals = await Promise.all(tallies.map((tally) => tally.ask({ type: 'total' })));
      return true;
    },
  },
  faults: { messagesTo: (_kernel, tallies: ActorRef<TallyMsg>[]) => tallies, windowMs: 1_000 },
});

const allDropped = { kind: 'mail', drop: 1, duplicate: 0, delay: 0, delayMsMax: 1 } as const;

describe('sim: mail faults scoped to one mailbox, clogs, and a bound on held messages', function () {
  this.timeout(30_000);

  it('scopes mail faults to the one mailbox the plan picks, or to all the scenario names', async () => {
    await runScenario(twoTallies, { seed: 0, plan: [{ ...allDropped, mailbox: 0.9 }] });
    expect(totals).to.deep.equal([20, 0]);
    await runScenario(twoTallies, { seed: 0, plan: [{ ...allDropped, mailbox: 0.1 }] });
    expect(totals).to.deep.equal([0, 20]);
    const all = await runScenario(twoTallies, { seed: 0, plan: [allDropped] });
    expect(totals).to.deep.equal([0, 0]);
    expect(describeResult(all)).to.include('mail: 100 % dropped');
    const one = await runScenario(twoTallies, { seed: 0, plan: [{ ...allDropped, mailbox: 0.1 }] });
    expect(describeResult(one)).to.include('mail to one mailbox: 100 % dropped');
  });

  it('holds the mail across a clog and delivers it when it heals, where a partition drops it', async () => {
    // Primary and backup on two sides: the writes meanwhile (one every 10 ms for 200 ms) cross.
    const cut = (clog: boolean, forMs: number): PlannedFault[] => [
      { kind: 'partition', atMs: 0, forMs, sides: [0.1, 0.9, ...new Array<number>(62).fill(0)], asymmetric: false, clog },
    ];
    // Dropped up to the end, the last writes never reach the backup.
    const dropped = await runScenario(replicatedRegister(false), { seed: 0, plan: cut(false, 300) });
    expect(dropped.failures.map((failure) => failure.name)).to.deep.equal(['the replicas agree']);
    // Held until 150 ms, they reach it then, in order, before the writes after.
    const clogged = await runScenario(replicatedRegister(false), { seed: 0, plan: cut(true, 150) });
    expect(clogged.ok, describeResult(clogged)).to.equal(true);
    expect(describeResult(clogged)).to.include('clog at 0 ms for 150 ms');
    // Held past the workload's end, they have not reached it when the invariant is checked.
    const held = await runScenario(replicatedRegister(false), { seed: 0, plan: cut(true, 300) });
    expect(held.failures.map((failure) => failure.name)).to.deep.equal(['the replicas agree']);
  });

  it('holds back at most heldMessagesMax messages at once; past it they are dropped, as a full network drops them', async () => {
    const delayAll: PlannedFault[] = [{ kind: 'mail', drop: 0, duplicate: 0, delay: 1, delayMsMax: 50 }];
    const roomy = await runScenario(creditLedger(false), { seed: 0, plan: delayAll });
    expect(roomy.ok, describeResult(roomy)).to.equal(true);
    const tight = scenario({ ...creditLedger(false), faults: { ...creditLedger(false).faults, heldMessagesMax: 2 } });
    const full = await runScenario(tight, { seed: 0, plan: delayAll });
    expect(full.failures.map((failure) => failure.name)).to.deep.equal(['every credit counts once']);
  });
});
