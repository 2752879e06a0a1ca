import { expect } from 'chai';
import { ActorRef, Kernel } from '../../../boot/index.js';
import { ProtocolError } from '../../../protocols/protocol-error.js';
import { eventually } from '../../helpers/eventually.js';
import { answered, settle } from '../../helpers/kernel.js';
import { Collector, Ledger, RefUser, Sender, type CollectorMsg } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

function collected(kernel: Kernel, collector: ActorRef<CollectorMsg>): Promise<readonly unknown[]> {
  return answered(kernel, collector.ask({ type: 'collected' }));
}

describe('refs inside messages between CPUs', () => {
  let kernel: Kernel;
  beforeEach(async () => {
    kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules });
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('arrive as refs, wherever they sit in the body, and reach their actors', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    const inbox = kernel.spawn(Collector);
    const others = [kernel.spawn(Collector), kernel.spawn(Collector)];
    await settle(kernel);
    user.tell({ type: 'call', replyTo: inbox, refs: others });
    await settle(kernel);
    expect(await collected(kernel, inbox)).to.deep.equal([{ type: 'answer', pids: others.map((ref) => ref.pid), refs: true }]);
    // The far CPU can use a ref it was sent: the greeting comes back to this CPU's collector.
    user.tell({ type: 'greet', to: others[1]! });
    await settle(kernel);
    expect(await collected(kernel, others[1]!)).to.deep.equal([{ type: 'hello', from: user.pid }]);
  });

  it("a ref to an actor of the receiving CPU arrives as that actor's own ref", async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const isSelf = user.ask({ type: 'is-self', ref: user });
    await settle(kernel);
    expect(await isSelf).to.equal(true);
  });

  it('travel in replies too: a child spawned on the far CPU is reachable through the answered ref', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const answer = user.ask({ type: 'spawn-collector' });
    await settle(kernel);
    const child = await answer;
    expect(child).to.be.instanceOf(ActorRef);
    expect(Math.floor((child.pid % 2 ** 32) / 2 ** 24)).to.equal(1);
    child.tell({ type: 'hi' });
    await settle(kernel);
    expect(await collected(kernel, child)).to.deep.equal([{ type: 'hi' }]);
  });

  it('a ref to an actor that is gone arrives as a ref whose messages are dead letters', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    const gone = kernel.spawn(Collector);
    await settle(kernel);
    await kernel.stop(gone);
    const letters: unknown[] = [];
    kernel.deadLetters.subscribe((letter) => letters.push(letter.message));
    user.tell({ type: 'greet', to: gone });
    await settle(kernel);
    expect(letters).to.deep.equal([{ type: 'hello', from: user.pid }]);
  });

  it('a pid an actor had on this CPU before it moved away still leads to it (a late ref, a pid kept as a number)', async () => {
    const ledger = kernel.spawn(Ledger, { cpu: 0 });
    const sender = kernel.spawn(Sender, { cpu: 0 });
    await settle(kernel);
    const oldPid = ledger.pid;
    expect(await answered(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: oldPid, cpu: 1 }))).to.equal(true);
    expect(ledger.pid).to.not.equal(oldPid);
    // The sender resolves the old pid on this CPU, as a ref arriving from a CPU yet to hear of the move is.
    expect(await answered(kernel, sender.ask({ type: 'send', to: oldPid, count: 5, tag: 1 }))).to.equal(5);
    expect(await answered(kernel, ledger.ask({ type: 'summary' }))).to.deep.equal({ count: 5, inOrder: true });
  });

  it('refuse, at the send, a ref still being spawned and plain data that uses the ref key', async () => {
    const user = kernel.spawn(RefUser, { cpu: 1 });
    await settle(kernel);
    const unborn = kernel.spawn(Collector, { cpu: 1 });
    expect(unborn.pid).to.equal(0);
    expect(() => user.tell({ type: 'greet', to: unborn })).to.throw(ProtocolError, /await kernel.spawned/);
    const forged = { type: 'greet', to: { '@osprey.ref': user.pid } } as unknown as Parameters<typeof user.tell>[0];
    expect(() => user.tell(forged)).to.throw(ProtocolError, /reserved/);
  });
});

describe('refs inside messages between worker CPUs', function () {
  this.timeout(30_000);

  it("a worker answers through the ref it was sent, and another worker's actor gets it", async () => {
    const kernel = await Kernel.boot({ cpus: 3, modules });
    try {
      const user = await kernel.spawned(kernel.spawn(RefUser, { cpu: 1 }));
      const farInbox = await kernel.spawned(kernel.spawn(Collector, { cpu: 2 }));
      user.tell({ type: 'call', replyTo: farInbox, refs: [user, farInbox] });
      const got = await eventually(async () => {
        const answers = await farInbox.ask({ type: 'collected' });
        return answers.length > 0 ? answers : undefined;
      });
      expect(got).to.deep.equal([{ type: 'answer', pids: [user.pid, farInbox.pid], refs: true }]);
    } finally {
      await kernel.shutdown();
    }
  });
});
