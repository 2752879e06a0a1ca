/**
 * Every CPU seen from CPU 0: failures, dead letters and trace events of the other CPUs show on the
 * streams of the kernel the program holds, each with its CPU; events only while someone watches,
 * and a storm is bounded and counted, not lost silently.
 */
import { expect } from 'chai';
import {
  ActorCrashedError,
  eventCpu,
  Kernel,
  RemoteFailureError,
  type ChildFailure,
  type DeadLetter,
  type DroppedReports,
  type KernelEvent,
} from '../../../boot/index.js';
import { failureReportsQueuedMax } from '../../../actors/cpu/limits.js';
import { eventually } from '../../helpers/eventually.js';
import { collectDeadLetters, collectEvents, collectFailures, settle } from '../../helpers/kernel.js';
import { Counter, CrashStorm, Relay, Thrower } from './fixtures/behaviors.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];

/** The events from `event` back along its causes, as `cpu kind messageType` lines. */
function chainOf(events: readonly KernelEvent[], event: KernelEvent): string[] {
  const byId = new Map(events.map((each) => [each.id, each]));
  const chain: string[] = [];
  for (let at: KernelEvent | undefined = event; at !== undefined; at = at.cause === 0 ? undefined : byId.get(at.cause)) {
    chain.push(`${at.cpu} ${at.kind} ${'messageType' in at ? at.messageType : ''}`.trim());
  }
  return chain;
}

function collectDropped(kernel: Kernel): DroppedReports[] {
  const dropped: DroppedReports[] = [];
  kernel.droppedReports.subscribe((report) => dropped.push(report));
  return dropped;
}

function droppedOf(dropped: readonly DroppedReports[], stream: DroppedReports['stream']): number {
  return dropped.filter((report) => report.stream === stream).reduce((sum, report) => sum + report.count, 0);
}

/** Checks a failure of the Counter fixture's `crash`, reported by CPU `cpu`. */
function expectCounterCrash(failure: ChildFailure | undefined, counter: { readonly pid: number }, cpu: number): void {
  expect(failure, 'the failure reached CPU 0').to.not.equal(undefined);
  expect(failure!.cpu).to.equal(cpu);
  expect(failure!.child.pid).to.equal(counter.pid);
  expect(failure!.actor).to.match(/^Counter <\d+\.\d+\.\d+>$/);
  expect(failure!.messageType).to.equal('crash');
  expect(failure!.reason).to.equal('crashed');
  expect(failure!.message).to.deep.equal({ type: 'crash' });
  const error = failure!.error as RemoteFailureError;
  expect(error).to.be.instanceOf(RemoteFailureError);
  expect([error.remoteCode, error.remoteName, error.message]).to.deep.equal(['thrown', 'Error', 'Error: asked to crash']);
  expect(error.stack, 'the stack is the one thrown on the far CPU').to.match(/^Error: asked to crash\n\s+at .*behaviors\.js/);
}

describe('every CPU seen from CPU 0, on simulated CPUs', () => {
  let kernel: Kernel;
  beforeEach(async () => {
    kernel = await Kernel.boot({ mode: 'simulated', seed: 21, cpus: 3, modules });
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('a crash on CPU 1 shows on kernel.failures of CPU 0, with its CPU, actor, message, and error as text', async () => {
    const failures = collectFailures(kernel);
    const counter = kernel.spawn(Counter, { cpu: 1 });
    await settle(kernel);
    const crashed = counter.ask({ type: 'crash' }).catch((error: unknown) => error);
    await settle(kernel);
    expect(await crashed).to.be.instanceOf(ActorCrashedError);
    expect(failures).to.have.length(1);
    expectCounterCrash(failures[0], counter, 1);
    expect(failures[0]!.child, 'the ref CPU 0 holds').to.equal(counter);
  });

  it('a failure keeps the code of an error that has one of its own', async () => {
    const failures = collectFailures(kernel);
    const thrower = kernel.spawn(Thrower, { cpu: 2 });
    thrower.tell({ type: 'throw' });
    await settle(kernel);
    expect(failures).to.have.length(1);
    const error = failures[0]!.error as RemoteFailureError;
    expect([failures[0]!.cpu, failures[0]!.messageType, failures[0]!.child.pid]).to.deep.equal([2, 'throw', thrower.pid]);
    expect([error.remoteCode, error.remoteName, error.message]).to.deep.equal(['E_DOOMED', 'DoomError', 'DoomError: thrown on purpose']);
  });

  it('a dead letter on CPU 1 shows on kernel.deadLetters of CPU 0, with its CPU', async () => {
    const letters = collectDeadLetters(kernel);
    const counter = kernel.spawn(Counter, { cpu: 1 });
    await settle(kernel);
    // The stop and the tell travel in one ring, in order: the tell meets an actor that is stopping.
    void kernel.stop(counter);
    counter.tell({ type: 'add', n: 1 });
    await settle(kernel);
    const far = letters.filter((letter) => letter.cpu === 1);
    expect(far.map(({ to, messageType, message, reason }) => ({ to, messageType, message, reason }))).to.deep.equal([
      { to: counter.pid, messageType: 'add', message: { type: 'add', n: 1 }, reason: 'stopped' },
    ]);
  });

  it('an ask from CPU 0 through CPU 1 to CPU 2 is one causal chain in kernel.events, each event with its CPU', async () => {
    const events = collectEvents(kernel);
    const counter = kernel.spawn(Counter, { cpu: 2 });
    const relay = kernel.spawn(Relay, { cpu: 1 });
    await settle(kernel);
    const answer = relay.ask({ type: 'relay', to: counter.pid });
    await settle(kernel);
    expect(await answer).to.equal(0);
    const get = events.find((event) => event.kind === 'receive' && event.messageType === 'get');
    expect(chainOf(events, get!)).to.deep.equal([
      '2 receive get',
      '2 send get', // into the mailbox on CPU 2, caused by …
      '1 send get', // … the send into the ring on CPU 1, made while …
      '1 receive relay',
      '1 send relay',
      '0 send relay',
    ]);
    expect(new Set(events.map((event) => event.id)).size, 'ids are unique across CPUs').to.equal(events.length);
    expect(events.every((event) => eventCpu(event.id) === event.cpu)).to.equal(true);
  });

  it('the other CPUs trace only while someone on CPU 0 watches kernel.events', async () => {
    const cpus = kernel.threadKernels();
    const tracing = () => cpus.map((cpu) => cpu.status().tracing);
    expect(tracing()).to.deep.equal([false, false, false]);
    const first = kernel.events.subscribe(() => {});
    const second = kernel.events.subscribe(() => {});
    await settle(kernel);
    expect(tracing()).to.deep.equal([true, true, true]);
    first.unsubscribe();
    await settle(kernel);
    expect(tracing(), 'one watcher is left').to.deep.equal([true, true, true]);
    second.unsubscribe();
    await settle(kernel);
    expect(tracing()).to.deep.equal([false, false, false]);
    const statuses = kernel.cpuStatuses();
    await settle(kernel);
    expect((await statuses).map((status) => status.tracing)).to.deep.equal([false, false, false]);
  });

  it('a storm of failures on a CPU is bounded: what its queue could not hold is dropped and counted, not lost silently', async () => {
    const failures = collectFailures(kernel);
    const dropped = collectDropped(kernel);
    const storm = kernel.spawn(CrashStorm, { cpu: 1 });
    const count = 2_000;
    const done = storm.ask({ type: 'storm', count });
    await settle(kernel);
    expect(await done).to.equal(count);
    expect(failures.length).to.be.within(1, failureReportsQueuedMax);
    expect(failures.every((failure) => failure.cpu === 1 && failure.actor.startsWith('Doomed'))).to.equal(true);
    expect(droppedOf(dropped, 'failures')).to.equal(count - failures.length);
    expect(dropped.every((report) => report.cpu === 1)).to.equal(true);
    // The CPU still answers: the storm did not clog its ring to CPU 0.
    const counter = kernel.spawn(Counter, { cpu: 1 });
    const got = counter.ask({ type: 'get' });
    await settle(kernel);
    expect(await got).to.equal(0);
  });
});

describe('every CPU seen from CPU 0, on worker CPUs', function () {
  this.timeout(30_000);
  let kernel: Kernel;
  beforeEach(async () => {
    kernel = await Kernel.boot({ cpus: 2, modules });
  });
  afterEach(async () => {
    await kernel.shutdown();
  });

  it('a crash on a worker shows on kernel.failures of CPU 0, with its CPU and the error as text', async () => {
    const failures = collectFailures(kernel);
    const counter = await kernel.spawned(kernel.spawn(Counter, { cpu: 1 }));
    expect(await counter.ask({ type: 'crash' }).catch((error: unknown) => error)).to.be.instanceOf(ActorCrashedError);
    await eventually(() => (failures.length > 0 ? true : undefined));
    expectCounterCrash(failures[0], counter, 1);
  });

  it('a dead letter on a worker shows on kernel.deadLetters of CPU 0', async () => {
    const letters: DeadLetter[] = collectDeadLetters(kernel);
    const counter = await kernel.spawned(kernel.spawn(Counter, { cpu: 1 }));
    void kernel.stop(counter);
    counter.tell({ type: 'add', n: 2 });
    const far = await eventually(() => letters.find((letter) => letter.cpu === 1));
    expect([far.to, far.messageType, far.reason, far.message]).to.deep.equal([counter.pid, 'add', 'stopped', { type: 'add', n: 2 }]);
  });

  it('an ask to a worker is one causal chain across both CPUs, and the worker stops tracing when the last watcher leaves', async () => {
    const tracing = async () => (await kernel.cpuStatuses({ deadlineMs: 5_000 })).map((status) => status.tracing);
    const counter = await kernel.spawned(kernel.spawn(Counter, { cpu: 1 }));
    expect(await tracing()).to.deep.equal([false, false]);
    const events: KernelEvent[] = [];
    const subscription = kernel.events.subscribe((event) => events.push(event));
    // The ring to CPU 1 is in order: the request to trace is there before the ask.
    expect(await counter.ask({ type: 'get' })).to.equal(0);
    const get = await eventually(() => events.find((event) => event.kind === 'receive' && event.messageType === 'get'));
    expect(chainOf(events, get)).to.deep.equal(['1 receive get', '1 send get', '0 send get']);
    expect(await tracing()).to.deep.equal([true, true]);
    subscription.unsubscribe();
    expect(await tracing()).to.deep.equal([false, false]);
  });

  it('a storm of failures on a worker is bounded and counted', async () => {
    const failures = collectFailures(kernel);
    const dropped = collectDropped(kernel);
    const storm = kernel.spawn(CrashStorm, { cpu: 1 });
    const count = 2_000;
    expect(await storm.ask({ type: 'storm', count })).to.equal(count);
    await eventually(() => (failures.length + droppedOf(dropped, 'failures') === count ? true : undefined));
    expect(failures.length).to.be.within(1, failureReportsQueuedMax);
    expect(droppedOf(dropped, 'failures')).to.be.above(0);
  });
});
