/**
 * Faults of simulated CPUs (`kernel.simulatedCpus`, actors/cpu/hosts/cpu-faults.ts): a pause stops
 * a CPU and loses nothing; a crash kills it as a worker's death would, and a restart brings back
 * what other CPUs had placed there; the same seed with the same faults is the same run.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import type { CpuNode } from '../../../../actors/cpu/cpu-node.js';
import { ActorStoppedError, CpuDownError, type DeadLetter, fromReceive, Kernel, type ActorRef, type KernelEvent, UsageError } from '../../../../boot/index.js';
import { collectDeadLetters, shutdown } from '../../../helpers/kernel.js';
import {
  Counter,
  type CounterMsg,
  Linker,
  type LinkerMsg,
  Pacer,
  Recorder,
  type RecorderMsg,
  SlowReplier,
  Watcher,
  type WatcherMsg,
} from '../fixtures/behaviors.js';

const modules = [new URL('../fixtures/behaviors.js', import.meta.url)];

function bootCpus(seed: number, cpus = 3): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed, cpus, modules });
}

/** Catches a rejection right away, so driving the clock first is not an unhandled rejection. */
function outcome(promise: Promise<unknown>): Promise<unknown> {
  return promise.catch((error: unknown) => error);
}

/** CPU `cpu`'s routing core, to see what it knows of the others. */
function nodeOfCpu(kernel: Kernel, cpu: number): CpuNode {
  return kernel.threadKernels()[cpu]!.core.node as CpuNode;
}

/** The virtual times of the events of CPU `cpu`'s current kernel, from now on. */
function eventTimes(kernel: Kernel, cpu: number): number[] {
  const times: number[] = [];
  kernel.threadKernels()[cpu]!.events.subscribe((event) => times.push(event.atMs));
  return times;
}

describe('simulated CPU faults: a pause', () => {
  it('takes no turns and fires no timers while it lasts, then runs all that waited, losing nothing', async () => {
    const kernel = await bootCpus(3);
    const recorder = kernel.spawn(Recorder, { cpu: 2 }) as ActorRef<RecorderMsg>;
    const slow = kernel.spawn(SlowReplier, { cpu: 2 });
    const pacer = kernel.spawn(Pacer, { cpu: 1 });
    await kernel.runUntil(Promise.all([kernel.spawned(recorder), kernel.spawned(slow), kernel.spawned(pacer)]));
    const startMs = kernel.clock.now();
    // Its timer is armed on CPU 2 before the pause, and due in the middle of it.
    const answer = slow.ask({ type: 'answer-after', ms: 10 }, { deadlineMs: 10_000 });
    await kernel.settle();
    const cpu2Times = eventTimes(kernel, 2);
    kernel.simulatedCpus.pause(2, 100);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'paused']);
    // CPU 1 sends CPU 2 a note every 5 ms meanwhile, and CPU 0 some at once.
    const paced = pacer.ask({ type: 'pace', to: recorder as never, count: 30, tag: 1, chunk: 1, everyMs: 5 }, { deadlineMs: 10_000 });
    for (let seq = 0; seq < 20; seq++) recorder.tell({ type: 'note', from: 0, seq });
    let answeredAtMs = -1;
    void answer.then(() => (answeredAtMs = kernel.clock.now()));
    await kernel.advance(99);
    expect(cpu2Times, 'CPU 2 did nothing while paused').to.deep.equal([]);
    expect(answeredAtMs, 'its timer waited').to.equal(-1);
    expect(kernel.cpuStates()[2]).to.equal('paused');
    expect(await kernel.runUntil(answer)).to.equal('answered');
    expect(answeredAtMs - startMs).to.be.at.least(100);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'up']);
    expect(cpu2Times.every((atMs) => atMs >= startMs + 100)).to.equal(true);
    expect(await kernel.runUntil(paced)).to.equal(30);
    const notes = await kernel.runUntil(recorder.ask({ type: 'notes' }));
    for (const [tag, count] of [
      [0, 20],
      [1, 30],
    ] as const) {
      expect(notes.filter(([from]) => from === tag).map(([, seq]) => seq)).to.deep.equal([...Array(count).keys()]);
    }
    await shutdown(kernel);
  });

  it('of a paused CPU lasts until the later end; a shutdown ends it', async () => {
    const kernel = await bootCpus(4);
    const counter = kernel.spawn(Counter, { cpu: 1 }) as ActorRef<CounterMsg>;
    await kernel.runUntil(kernel.spawned(counter));
    kernel.simulatedCpus.pause(1, 50);
    kernel.simulatedCpus.pause(1, 20); // ends before the first: changes nothing
    await kernel.advance(30);
    kernel.simulatedCpus.pause(1, 40); // ends at 70, after the first
    await kernel.advance(30);
    expect(kernel.cpuStates()[1]).to.equal('paused');
    await kernel.advance(10);
    expect(kernel.cpuStates()[1]).to.equal('up');
    kernel.simulatedCpus.pause(1, 1_000_000);
    const stopped = kernel.shutdown();
    await kernel.runUntilIdle({ timeMsMax: 1_000 });
    await stopped;
    expect(kernel.cpuStates()[1]).to.equal('up');
  });
});

describe('simulated CPU faults: a crash', () => {
  it('fails asks in flight with CpuDownError, makes tells dead letters, kills links and monitors, refuses later sends', async () => {
    const kernel = await bootCpus(5);
    const letters = collectDeadLetters(kernel);
    const victim = kernel.spawn(Counter, { cpu: 2, name: 'victim' }) as ActorRef<CounterMsg>;
    const slow = kernel.spawn(SlowReplier, { cpu: 2 });
    const recorder = kernel.spawn(Recorder, { cpu: 2 }) as ActorRef<RecorderMsg>;
    const watcher = kernel.spawn(Watcher, { cpu: 1 }) as ActorRef<WatcherMsg>;
    const linker = kernel.spawn(Linker, { cpu: 1 }) as ActorRef<LinkerMsg>;
    await kernel.runUntil(Promise.all([victim, slow, recorder, watcher, linker].map((ref) => kernel.spawned(ref as ActorRef<never>))));
    linker.tell({ type: 'trap' });
    linker.tell({ type: 'link', ref: victim as never });
    watcher.tell({ type: 'watch', ref: victim as never });
    victim.tell({ type: 'add', n: 5 });
    expect(await kernel.runUntil(victim.ask({ type: 'get' }))).to.equal(5);
    expect(kernel.lookup('victim')).to.equal(victim);
    const victimPid = victim.pid;
    const recorderPid = recorder.pid;

    const answering = outcome(slow.ask({ type: 'answer-after', ms: 1_000 }, { deadlineMs: 10_000 }));
    await kernel.settle();
    const deadTimes = eventTimes(kernel, 2);
    const deadKernel = kernel.threadKernels()[2]!;
    // Tells and an ask still in CPU 0's ring to CPU 2 (staged, not taken) when it dies.
    for (let seq = 0; seq < 5; seq++) recorder.tell({ type: 'note', from: 0, seq });
    const unsent = outcome(victim.ask({ type: 'get' }));
    const crashedAtMs = kernel.clock.now();
    kernel.simulatedCpus.crash(2, { why: 'the test crashed it' });
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'down']);

    for (const failed of [await answering, await unsent]) {
      expect(failed).to.be.instanceOf(CpuDownError);
      expect((failed as CpuDownError).cpu).to.equal(2);
      expect((failed as Error).message).to.contain('the test crashed it');
    }
    const notes = letters.filter((letter: DeadLetter) => letter.messageType === 'note');
    expect(notes.map((letter) => [letter.reason, letter.to, (letter.message as { seq: number }).seq])).to.deep.equal(
      [0, 1, 2, 3, 4].map((seq) => ['stopped', recorderPid, seq]),
    );
    await kernel.advance(2_000);
    expect(await kernel.runUntil(watcher.ask({ type: 'downs' }))).to.deep.equal([[victimPid, 'killed']]);
    expect(await kernel.runUntil(linker.ask({ type: 'exits' }))).to.deep.equal([[victimPid, 'killed']]);
    expect(
      deadTimes.filter((atMs) => atMs > crashedAtMs),
      'the dead kernel ran nothing more, not even its timer',
    ).to.deep.equal([]);
    expect(kernel.threadKernels()[2], 'it stays the dead kernel').to.equal(deadKernel);
    // What its dead kernel still does (as a continuation of one of its actors would) reaches nobody.
    const home = kernel.spawn(Recorder) as ActorRef<RecorderMsg>;
    deadKernel.refOf<RecorderMsg>(home.pid)!.tell({ type: 'note', from: 2, seq: 0 });
    nodeOfCpu(kernel, 2).port.publish();
    await kernel.advance(100);
    expect(await kernel.runUntil(home.ask({ type: 'notes' }))).to.deep.equal([]);

    // Later sends fail at once; placed actors that will not come back say why; so do new spawns there.
    expect(kernel.lookup('victim')).to.equal(undefined);
    expect(victim.tell({ type: 'add', n: 1 })).to.equal(false);
    expect(await outcome(victim.ask({ type: 'get' }))).to.be.instanceOf(ActorStoppedError);
    expect(await outcome(kernel.spawned(victim))).to.be.instanceOf(CpuDownError);
    const late = kernel.spawn(Counter, { cpu: 2 });
    const lateSpawn = await outcome(kernel.spawned(late));
    expect(lateSpawn).to.be.instanceOf(CpuDownError);
    expect((lateSpawn as Error).message).to.contain('the test crashed it');
    expect(letters.filter((letter) => letter.messageType === 'add').map((letter) => letter.reason)).to.deep.equal(['stopped']);
    const statuses = await kernel.runUntil(outcome(kernel.cpuStatuses()));
    expect(statuses).to.be.instanceOf(Error);
    expect((statuses as Error).message).to.match(/cpu 2/);

    // A crash of a CPU that is down changes nothing; the kernel shuts down with it down.
    kernel.simulatedCpus.crash(2, { restartAfterMs: 1 });
    kernel.simulatedCpus.pause(2, 10);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'down']);
    await shutdown(kernel);
    expect(kernel.cpuStates()[2]).to.equal('down');
  });

  it('asked for during a step (from an actor), happens once that step is over', async () => {
    const kernel = await bootCpus(6);
    const seen: string[] = [];
    const crasher = kernel.spawn(
      fromReceive<{ readonly type: 'crash' }>(() => {
        kernel.simulatedCpus.crash(1);
        seen.push(kernel.cpuStates()[1]!);
      }, 'Crasher'),
    );
    crasher.tell({ type: 'crash' });
    await kernel.settle();
    expect(seen).to.deep.equal(['up']);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'down', 'up']);
    await shutdown(kernel);
  });

  it('of a paused CPU’s peer reaches the peer when it resumes, as a frozen worker reads the host’s message', async () => {
    const kernel = await bootCpus(7);
    const watched = kernel.spawn(Counter, { cpu: 2 });
    const watcher = kernel.spawn(Watcher, { cpu: 1 }) as ActorRef<WatcherMsg>;
    await kernel.runUntil(Promise.all([kernel.spawned(watched), kernel.spawned(watcher)]));
    watcher.tell({ type: 'watch', ref: watched as never });
    await kernel.settle();
    const watchedPid = watched.pid;
    kernel.simulatedCpus.pause(1, 100);
    await kernel.advance(10);
    kernel.simulatedCpus.crash(2);
    expect(nodeOfCpu(kernel, 0).isDown(2)).to.equal(true);
    await kernel.advance(50);
    expect(nodeOfCpu(kernel, 1).isDown(2), 'not told while paused').to.equal(false);
    await kernel.advance(40);
    expect(nodeOfCpu(kernel, 1).isDown(2)).to.equal(true);
    expect(await kernel.runUntil(watcher.ask({ type: 'downs' }))).to.deep.equal([[watchedPid, 'killed']]);
    await shutdown(kernel);
  });
});

describe('simulated CPU faults: a crash and a restart', () => {
  it('brings back, behind the same refs and names, the actors other CPUs had placed there, as new incarnations', async () => {
    const kernel = await bootCpus(8);
    const fromCpu0 = kernel.spawn(Counter, { cpu: 2, name: 'survivor' }) as ActorRef<CounterMsg>;
    const cpu1 = kernel.threadKernels()[1]!;
    const fromCpu1 = cpu1.spawn(Counter, { cpu: 2 }) as ActorRef<CounterMsg>;
    fromCpu0.tell({ type: 'add', n: 9 });
    fromCpu1.tell({ type: 'add', n: 4 });
    expect(await kernel.runUntil(Promise.all([fromCpu0.ask({ type: 'get' }), fromCpu1.ask({ type: 'get' })]))).to.deep.equal([9, 4]);
    const oldPids = [fromCpu0.pid, fromCpu1.pid];
    const oldCpu2 = kernel.threadKernels()[2]!;

    const pending = outcome(fromCpu0.ask({ type: 'get' }));
    kernel.simulatedCpus.crash(2, { restartAfterMs: 50 });
    expect(await pending).to.be.instanceOf(CpuDownError);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'down']);
    // Sent while it is down: held for the new incarnation, as a spawn's first messages are.
    fromCpu0.tell({ type: 'add', n: 1 });
    await kernel.advance(49);
    expect(kernel.cpuStates()[2]).to.equal('down');
    await kernel.advance(1);
    await kernel.settle();
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'up']);

    expect(await kernel.runUntil(Promise.all([fromCpu0.ask({ type: 'get' }), fromCpu1.ask({ type: 'get' })]))).to.deep.equal([1, 0]);
    for (const [index, ref] of [fromCpu0, fromCpu1].entries()) {
      expect(ref.pid).to.not.equal(0);
      expect(ref.pid).to.not.equal(oldPids[index]);
      expect(Math.floor((ref.pid % 2 ** 32) / 2 ** 24)).to.equal(2);
    }
    expect(kernel.lookup('survivor')).to.equal(fromCpu0);
    const kernels = kernel.threadKernels();
    expect(kernels.map((cpuKernel) => cpuKernel.cpu)).to.deep.equal([0, 1, 2]);
    expect(kernels[2]).to.not.equal(oldCpu2);
    expect(kernels[2]!.lookup('survivor')?.pid).to.equal(fromCpu0.pid);

    // It can crash and come back again.
    kernel.simulatedCpus.crash(2, { restartAfterMs: 0 });
    await kernel.advance(0);
    fromCpu1.tell({ type: 'add', n: 2 });
    expect(await kernel.runUntil(fromCpu1.ask({ type: 'get' }))).to.equal(2);
    expect(kernel.threadKernels()[2]).to.not.equal(kernels[2]);
    await shutdown(kernel);
  });

  it('is called off by a shutdown before it is due', async () => {
    const kernel = await bootCpus(9);
    const counter = kernel.spawn(Counter, { cpu: 1 });
    await kernel.runUntil(kernel.spawned(counter));
    const dead = kernel.threadKernels()[1];
    kernel.simulatedCpus.crash(1, { restartAfterMs: 500 });
    const stopped = kernel.shutdown();
    await kernel.runUntilIdle({ timeMsMax: 1_000 });
    await stopped;
    expect(kernel.cpuStates()).to.deep.equal(['up', 'down', 'up']);
    expect(kernel.threadKernels()[1], 'never booted again').to.equal(dead);
  });
});

describe('simulated CPU faults: determinism', () => {
  /** A run with a pause, a crash and a restart, injected on the clock: the hash of all it saw, and how its asks ended. */
  async function faultedRun(seed: number): Promise<{ readonly hash: string; readonly outcomes: readonly string[] }> {
    const kernel = await bootCpus(seed);
    const hash = createHash('sha256');
    kernel.events.subscribe((event: KernelEvent) => hash.update(`${event.cpu}:${event.kind}:${JSON.stringify(event)}\n`));
    kernel.deadLetters.subscribe((letter) => hash.update(`dead:${JSON.stringify(letter)}\n`));
    const recorder = kernel.spawn(Recorder, { cpu: 2 }) as ActorRef<RecorderMsg>;
    const pacers = [kernel.spawn(Pacer, { cpu: 1 }), kernel.spawn(Pacer)];
    const counter = kernel.spawn(Counter, { cpu: 2 }) as ActorRef<CounterMsg>;
    const slow = kernel.spawn(SlowReplier, { cpu: 2 });
    await kernel.runUntil(kernel.spawned(recorder));
    kernel.clock.setTimer(5, () => kernel.simulatedCpus.pause(1, 30));
    kernel.clock.setTimer(12, () => kernel.simulatedCpus.crash(2, { restartAfterMs: 20 }));
    const pending = pacers.map((pacer, tag) =>
      outcome(pacer.ask({ type: 'pace', to: recorder as never, count: 40, tag, chunk: 2, everyMs: 1 }, { deadlineMs: 200 })),
    );
    // Every 2 ms an ask answered at once and one answered 5 ms later: some are in flight at the crash.
    for (let n = 0; n < 20; n++) {
      kernel.clock.setTimer(n * 2, () => {
        counter.tell({ type: 'add', n });
        pending.push(outcome(counter.ask({ type: 'get' }, { deadlineMs: 200 })), outcome(slow.ask({ type: 'answer-after', ms: 5 }, { deadlineMs: 200 })));
      });
    }
    await kernel.advance(40);
    const outcomes = (await kernel.runUntil(Promise.all(pending))).map((settled) => (settled instanceof Error ? settled.name : String(settled)));
    hash.update(outcomes.join('\n'));
    hash.update(JSON.stringify(await kernel.runUntil(outcome(recorder.ask({ type: 'notes' })))));
    hash.update(JSON.stringify(kernel.cpuStates()));
    await shutdown(kernel);
    return { hash: hash.digest('hex'), outcomes };
  }

  it('replays the same faults on the same seed to the same event stream', async () => {
    const first = await faultedRun(21);
    expect(first.outcomes, 'asks in flight at the crash failed').to.include('CpuDownError');
    expect(first.outcomes, 'asks after the restart were answered').to.include('answered');
    expect(await faultedRun(21)).to.deep.equal(first);
    expect((await faultedRun(22)).hash).to.not.equal(first.hash);
  });
});

describe('simulated CPU faults: what they refuse', () => {
  it('refuses CPU 0, CPUs the kernel does not have, and durations that are not ms', async () => {
    const kernel = await bootCpus(10);
    const faults = kernel.simulatedCpus;
    expect(() => faults.pause(0, 10)).to.throw(RangeError, /cpu 0 cannot be paused: it is the thread that embeds the kernel/);
    expect(() => faults.crash(0)).to.throw(RangeError, /cpu 0 cannot be crashed/);
    for (const cpu of [3, -1, 1.5, Number.NaN]) expect(() => faults.crash(cpu)).to.throw(RangeError, /cpus 0\.\.2/);
    for (const forMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => faults.pause(1, forMs)).to.throw(RangeError, /forMs/);
    expect(() => faults.crash(1, { restartAfterMs: -5 })).to.throw(RangeError, /restartAfterMs/);
    expect(kernel.cpuStates()).to.deep.equal(['up', 'up', 'up']);
    expect(() => kernel.threadKernels()[1]!.simulatedCpus).to.throw(UsageError, /CPU 1's kernel/);
    expect(() => kernel.threadKernels()[1]!.cpuStates()).to.throw(UsageError, /CPU 0's/);
    await shutdown(kernel);

    const single = await Kernel.boot({ mode: 'simulated', seed: 1 });
    expect(single.cpuStates()).to.deep.equal(['up']);
    expect(() => single.simulatedCpus).to.throw(UsageError, /CPU 0 alone/);
    await shutdown(single);
  });

  it('are not for real kernels, whose CPUs are up while their workers run', async function () {
    this.timeout(30_000);
    const real = await Kernel.boot();
    expect(real.cpuStates()).to.deep.equal(['up']);
    expect(() => real.simulatedCpus).to.throw(UsageError, /real ones/);
    await real.shutdown();
    const workers = await Kernel.boot({ cpus: 2, modules });
    try {
      expect(workers.cpuStates()).to.deep.equal(['up', 'up']);
      expect(() => workers.simulatedCpus).to.throw(UsageError, /real ones/);
    } finally {
      await workers.shutdown();
    }
    expect(workers.cpuStates()).to.deep.equal(['up', 'down']);
  });
});
