import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Actor, supervisor, type ActorContext, type KernelEvent } from '../../../boot/index.js';
import { bootSimulated, collectEvents, shutdown } from './helpers.js';

type Msg = { readonly type: 'hop'; readonly ttl: number };

/** Forwards hops to a random sibling chosen from its own seeded stream; sometimes crashes. */
class Hopper extends Actor<Msg> {
  static peers: string[] = [];
  receive(msg: Msg, ctx: ActorContext<Msg>): void {
    if (msg.ttl === 0) return;
    if (ctx.random.next() < 0.05) throw new Error('random fault');
    const peers = Hopper.peers;
    const next = ctx.lookup<Msg>(peers[ctx.random.int(peers.length)]!);
    next?.tell({ type: 'hop', ttl: msg.ttl - 1 });
    if (ctx.random.next() < 0.2) ctx.startTimer('echo', 1 + ctx.random.int(50), { type: 'hop', ttl: msg.ttl - 1 });
  }
}

async function runScenario(seed: number): Promise<{ hash: string; count: number }> {
  const kernel = await bootSimulated(seed);
  const events = collectEvents(kernel);
  Hopper.peers = ['h0', 'h1', 'h2', 'h3', 'h4'];
  kernel.spawn(supervisor({ restartsMax: 1000, children: Hopper.peers.map((name) => ({ id: name, start: Hopper, options: { name } })) }));
  for (let i = 0; i < 10; i++) kernel.lookup<Msg>(`h${i % 5}`)!.tell({ type: 'hop', ttl: 40 });
  await kernel.simulatedClock.runUntilIdle();
  await shutdown(kernel);
  const hash = createHash('sha256');
  for (const event of events) hash.update(JSON.stringify(event satisfies KernelEvent));
  return { hash: hash.digest('hex'), count: events.length };
}

describe('determinism', () => {
  it('the same scenario with the same seed gives the same event stream', async () => {
    const first = await runScenario(7);
    const second = await runScenario(7);
    expect(first.count).to.be.greaterThan(100);
    expect(second).to.deep.equal(first);
  });

  it('another seed gives another stream', async () => {
    expect((await runScenario(8)).hash).to.not.equal((await runScenario(7)).hash);
  });
});
