/**
 * Routes for the old pids of an actor that moves are bounded however often it moves: each CPU keeps
 * routes for the pids the actor still carries (its last `aliasesCarriedMax`), and drops older ones
 * when it hears of a move. Refs are switched with the routes and never need the dropped ones; mail
 * to a pid that old is a dead letter, never silence.
 */
import { expect } from 'chai';
import { type DeadLetter, Kernel } from '../../../boot/index.js';
import { aliasesCarriedMax } from '../../../actors/cpu/limits.js';
import { pidCpu } from '../../../ground/pid.js';
import { answered, nodeOf, settle } from '../../helpers/kernel.js';
import { Ledger, Mover, Sender } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

/**
 * Boots `cpus` simulated CPUs, moves a Ledger between CPUs 0 and 1 `moves` times, and returns the
 * pids it had, oldest first, with a Sender on CPU `senderCpu` and the dead letters seen.
 */
async function movedLedger(seed: number, cpus: number, senderCpu: number, moves: number) {
  const kernel = await Kernel.boot({ mode: 'simulated', seed, cpus, modules });
  const letters: DeadLetter[] = [];
  kernel.deadLetters.subscribe((letter) => letters.push(letter));
  const ledger = kernel.spawn(Ledger, { cpu: 0 });
  const movers = [kernel.spawn(Mover, { cpu: 0 }), kernel.spawn(Mover, { cpu: 1 })];
  const sender = kernel.spawn(Sender, { cpu: senderCpu });
  await settle(kernel);
  const pids = [ledger.pid];
  for (let move = 0; move < moves; move++) {
    const from = pidCpu(ledger.pid);
    expect(await answered(kernel, movers[from]!.ask({ type: 'move', pid: ledger.pid, cpu: 1 - from }))).to.equal(true);
    await settle(kernel);
    pids.push(ledger.pid);
  }
  return { kernel, letters, ledger, sender, pids };
}

describe('routes of an actor that moves often', () => {
  it('stay bounded by the pids it carries; a recent old pid still reaches it, and an older one is a dead letter', async () => {
    // The sender is on a CPU that never held a ref to the ledger: it resolves old pids as a late ref or a stored number would.
    const { kernel, letters, ledger, sender, pids } = await movedLedger(8, 3, 2, aliasesCarriedMax + 16);
    expect(nodeOf(kernel).forwarding.routeCount, 'routes on CPU 0').to.be.at.most(aliasesCarriedMax);
    // A pid of CPU 0 it had 10 moves ago, kept as a number: its route still leads to the actor.
    const recent = pids[pids.length - 11]!;
    expect(pidCpu(recent)).to.equal(0);
    expect(await answered(kernel, sender.ask({ type: 'send', to: recent, count: 3, tag: 1 }))).to.equal(3);
    // A pid of CPU 1 from its first moves: CPU 1 dropped its route, so the mail is a dead letter there.
    const old = pids[1]!;
    expect(pidCpu(old)).to.equal(1);
    expect(await answered(kernel, sender.ask({ type: 'send', to: old, count: 2, tag: 2 }))).to.equal(2);
    await settle(kernel);
    expect(await answered(kernel, ledger.ask({ type: 'summary' }))).to.deep.equal({ count: 3, inOrder: true });
    expect(letters.map((letter) => [letter.to, letter.reason])).to.deep.equal([
      [old, 'stopped'],
      [old, 'stopped'],
    ]);
    await kernel.shutdown();
  });

  it('late news of an early move drops no route: its list of pids is older than what the CPU knows', async () => {
    const { kernel, letters, ledger, sender, pids } = await movedLedger(9, 2, 0, 4);
    const forwarding = nodeOf(kernel).forwarding;
    const routes = forwarding.routeCount;
    // The news CPU 1 sent after the first move, arriving only now: the ledger had one old pid then.
    forwarding.relocate([pids[0]!], { pid: pids[1]!, moves: 1 });
    expect(forwarding.routeCount).to.equal(routes);
    // A pid CPU 0 gave it on its second visit still leads to it.
    expect(pidCpu(pids[2]!)).to.equal(0);
    expect(await answered(kernel, sender.ask({ type: 'send', to: pids[2]!, count: 3, tag: 1 }))).to.equal(3);
    await settle(kernel);
    expect(await answered(kernel, ledger.ask({ type: 'summary' }))).to.deep.equal({ count: 3, inOrder: true });
    expect(letters).to.deep.equal([]);
    await kernel.shutdown();
  });
});
