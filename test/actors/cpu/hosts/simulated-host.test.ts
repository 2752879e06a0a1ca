import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ActorCrashedError, ActorStoppedError, Kernel, SpawnFailedError, type ActorRef, type KernelEvent } from '../../../../boot/index.js';
import { Counter, Recorder, Relay, Sender } from '../fixtures/behaviors.js';
import { settle } from '../../../helpers/kernel.js';

const modules = [new URL('../fixtures/behaviors.js', import.meta.url)];

async function bootCpus(cpus: number, seed = 1): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed, cpus, modules });
}

/** Waits (in virtual time) until the CPU that `ref` was spawned on has answered. */
async function spawned<R extends ActorRef<never>>(kernel: Kernel, ref: R): Promise<R> {
  const done = kernel.spawned(ref);
  done.catch(() => {}); // observed below; settling first must not count as unhandled
  await settle(kernel);
  return (await done) as R;
}

/** Catches a rejection right away, so settling the clock first is not an unhandled rejection. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.catch((error: unknown) => error);
}

describe('simulated CPUs', () => {
  it('tells and asks an actor spawned on another CPU as if it were local', async () => {
    const kernel = await bootCpus(3);
    expect(kernel.cpus).to.equal(3);
    const counter = kernel.spawn(Counter, { cpu: 2 });
    counter.tell({ type: 'add', n: 2 });
    counter.tell({ type: 'add', n: 40 });
    const total = counter.ask({ type: 'get' });
    await settle(kernel);
    expect(await total).to.equal(42);
    const where = counter.ask({ type: 'where' });
    await settle(kernel);
    expect(await where).to.equal(counter.pid);
    expect(Math.floor((counter.pid % 2 ** 32) / 2 ** 24)).to.equal(2);
    await kernel.shutdown();
  });

  it('holds messages sent before the target CPU answered the spawn, in order', async () => {
    const kernel = await bootCpus(2);
    const recorder = kernel.spawn(Recorder, { cpu: 1 });
    expect(recorder.pid).to.equal(0);
    for (let seq = 0; seq < 50; seq++) recorder.tell({ type: 'note', from: 0, seq });
    await spawned(kernel, recorder as never);
    expect(recorder.pid).to.be.above(0);
    const notes = recorder.ask({ type: 'notes' });
    await settle(kernel);
    expect((await notes).map(([, seq]) => seq)).to.deep.equal([...Array(50).keys()]);
    await kernel.shutdown();
  });

  it('keeps per-sender order between two remote CPUs', async () => {
    const kernel = await bootCpus(3, 5);
    const recorder = kernel.spawn(Recorder, { cpu: 2 });
    const sender = kernel.spawn(Sender, { cpu: 1 });
    await spawned(kernel, recorder as never);
    const sent = sender.ask({ type: 'send', to: recorder.pid, count: 300, tag: 1 });
    for (let seq = 0; seq < 300; seq++) recorder.tell({ type: 'note', from: 0, seq });
    await settle(kernel);
    expect(await sent).to.equal(300);
    const notes = recorder.ask({ type: 'notes' });
    await settle(kernel);
    const all = await notes;
    for (const tag of [0, 1]) expect(all.filter(([from]) => from === tag).map(([, seq]) => seq)).to.deep.equal([...Array(300).keys()]);
    await kernel.shutdown();
  });

  it('answers an ask from one remote CPU to another', async () => {
    const kernel = await bootCpus(3);
    const counter = kernel.spawn(Counter, { cpu: 2 });
    counter.tell({ type: 'add', n: 7 });
    const relay = kernel.spawn(Relay, { cpu: 1 });
    await spawned(kernel, counter as never);
    const got = relay.ask({ type: 'relay', to: counter.pid });
    await settle(kernel);
    expect(await got).to.equal(7);
    await kernel.shutdown();
  });

  it('carries typed failures back: a crash, a stopped target, an unsendable reply', async () => {
    const kernel = await bootCpus(2);
    const counter = kernel.spawn(Counter, { cpu: 1 });
    const crash = outcome(counter.ask({ type: 'crash' }));
    await settle(kernel);
    const crashed = await crash;
    expect(crashed).to.be.instanceOf(ActorCrashedError);
    expect((crashed as Error).message).to.contain('asked to crash');
    // A top-level actor is not restarted: it stopped, and its CPU says so.
    const after = outcome(counter.ask({ type: 'get' }));
    await settle(kernel);
    expect(await after).to.be.instanceOf(ActorStoppedError);

    const other = kernel.spawn(Counter, { cpu: 1 });
    const unsendable = outcome(other.ask({ type: 'unsendable' }));
    await settle(kernel);
    const error = await unsendable;
    expect((error as { code: string }).code).to.be.a('string');
    expect((error as Error).message).to.match(/function|value|plain/i);
    await kernel.shutdown();
  });

  it('refuses behaviours no boot module exports, and reports spawns the far CPU refuses', async () => {
    const kernel = await bootCpus(2);
    class Unlisted extends Counter {}
    expect(() => kernel.spawn(Unlisted, { cpu: 1 })).to.throw(TypeError, /boot module/);
    expect(() => kernel.spawn(Counter, { cpu: 9 })).to.throw(RangeError, /cpu 9/);
    const first = kernel.spawn(Counter, { cpu: 1, name: 'dup' });
    await spawned(kernel, first as never);
    expect(kernel.lookup('dup')).to.equal(first);
    // The name is free on CPU 0 once we forget it there, but CPU 1 still has it.
    kernel.core.registry.delete('dup');
    const second = kernel.spawn(Counter, { cpu: 1, name: 'dup' });
    const failure = await outcome(spawned(kernel, second as never));
    expect(failure).to.be.instanceOf(SpawnFailedError);
    expect((failure as Error).message).to.contain('dup');
    await kernel.shutdown();
  });

  it('replays the same interleaving and event stream from the same seed', async () => {
    async function run(seed: number): Promise<string> {
      const kernel = await bootCpus(3, seed);
      const hash = createHash('sha256');
      for (const cpuKernel of kernel.threadKernels()) {
        cpuKernel.events.subscribe((event: KernelEvent) => hash.update(`${cpuKernel.cpu}:${event.kind}:${JSON.stringify(event)}\n`));
      }
      const recorder = kernel.spawn(Recorder, { cpu: 2 });
      const senders = [kernel.spawn(Sender, { cpu: 1 }), kernel.spawn(Sender, { cpu: 2 }), kernel.spawn(Sender)];
      await spawned(kernel, recorder as never);
      const sent = senders.map((sender, tag) => sender.ask({ type: 'send', to: recorder.pid, count: 40, tag }));
      await settle(kernel);
      await Promise.all(sent);
      const notes = recorder.ask({ type: 'notes' });
      await settle(kernel);
      hash.update(JSON.stringify(await notes));
      await kernel.shutdown();
      return hash.digest('hex');
    }
    const first = await run(11);
    expect(await run(11)).to.equal(first);
    expect(await run(12)).to.not.equal(first);
  });
});

describe('simulated CPUs: stopping remote actors', () => {
  it('stops an actor on another CPU, even one stopped before its spawn was answered', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 2, cpus: 2, modules });
    const cpu1 = kernel.threadKernels()[1]!;
    const early = kernel.spawn(Counter, { cpu: 1, name: 'early' });
    await kernel.stop(early);
    const late = kernel.spawn(Counter, { cpu: 1, name: 'late' });
    await kernel.simulatedClock.advance(0);
    expect(cpu1.lookup('late')).to.not.equal(undefined);
    // Its CPU tells this one when the actor is gone: the stop resolves once the kernel has run.
    await kernel.runUntil(kernel.stop(late));
    expect(cpu1.lookup('early'), 'stopped before it was spawned').to.equal(undefined);
    expect(cpu1.lookup('late')).to.equal(undefined);
    expect(kernel.lookup('late'), 'the spawning CPU hears that it stopped').to.equal(undefined);
    const dead = late.ask({ type: 'get' }).catch((error: unknown) => error);
    await kernel.simulatedClock.advance(0);
    expect(await dead).to.be.instanceOf(ActorStoppedError);
    await kernel.shutdown();
  });
});
