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

type RelayMsg = { readonly type: 'relay'; readonly n: number; readonly to: ActorRef<SinkMsg> };
type SinkMsg = { readonly type: 'number'; readonly n: number } | Ask<{ readonly type: 'numbers' }, readonly number[]>;

const Relay = fromSetup<RelayMsg>(() => ({ receive: (message) => void message.to.tell({ type: 'number', n: message.n }) }), 'Relay');
const Sink = fromSetup<SinkMsg>(() => {
  const numbers: number[] = [];
  return { receive: (message, ctx) => (message.type === 'number' ? void numbers.push(message.n) : ctx.reply(message, [...numbers])) };
}, 'Sink');

/** The numbers the sink got in the last run, in the order it got them. */
let received: readonly number[] = [];

/** A relay forwards 20 numbers to a sink, one every 5 ms; the two may be cut apart. */
const relayed = scenario({
  name: 'relayed numbers',
  setup: (kernel: Kernel) => ({ relay: kernel.spawn(Relay), sink: kernel.spawn(Sink) }),
  async workload(_kernel, sim, { relay, sink }) {
    for (let n = 0; n < 20; n++) {
      relay.tell({ type: 'relay', n, to: sink });
      await sim.sleep(5);
    }
    await sim.sleep(50);
  },
  invariants: {
    'read what the sink got': async (_kernel, _sim, { sink }) => {
      received = await sink.ask({ type: 'numbers' });
      return true;
    },
  },
  faults: { partitionable: (_kernel, { relay, sink }) => [relay, sink], clocks: {}, windowMs: 1_000 },
});

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
    // Held on the machine's true time, in the order they were sent, whatever the CPU's clock says.
    const sides = [0.1, 0.9, ...new Array<number>(62).fill(0)];
    for (const skew of [[], [{ kind: 'clock-drift', cpu: 0, atMs: 0, forMs: 1_000, rate: 0.5 }]] as PlannedFault[][]) {
      await runScenario(relayed, { seed: 0, plan: [{ kind: 'partition', atMs: 0, forMs: 60, sides, asymmetric: false, clog: true }, ...skew] });
      expect(received).to.deep.equal(Array.from({ length: 20 }, (_, n) => n));
    }
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
