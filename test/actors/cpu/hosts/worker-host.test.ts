import { expect } from 'chai';
import { CpuDownError, Kernel, RingFullError, type ActorRef } from '../../../../boot/index.js';
import { interrupts } from '../../../../actors/irq/index.js';
import { eventually } from '../../../helpers/eventually.js';
import { stressSize } from '../../../helpers/stress.js';
import { Bomb, Counter, EventLog, Recorder, Relay, Sender, Spinner, type CounterMsg } from '../fixtures/behaviors.js';

const modules = [new URL('../fixtures/behaviors.js', import.meta.url)];
/**
 * Messages of the streaming tests (WORKER_MESSAGES in test/helpers/stress.ts): 8 000 under npm test,
 * ~320 KB of 40-byte frames, more than the default 256 KiB ring holds; 20 000 under test:stress.
 */
const streamed = stressSize('WORKER_MESSAGES', { ci: 8_000, full: 20_000 });

describe('worker CPUs', function () {
  this.timeout(30_000);
  let kernel: Kernel | null = null;
  afterEach(async () => {
    await kernel?.shutdown();
    kernel = null;
  });

  it('runs actors on worker threads behind ordinary refs', async () => {
    kernel = await Kernel.boot({ cpus: 3, modules });
    expect(kernel.cpus).to.equal(3);
    const counters = [kernel.spawn(Counter, { cpu: 1 }), kernel.spawn(Counter, { cpu: 2 }), kernel.spawn(Counter)];
    counters.forEach((counter, index) => counter.tell({ type: 'add', n: index + 1 }));
    expect(await Promise.all(counters.map((counter) => counter.ask({ type: 'get' })))).to.deep.equal([1, 2, 3]);
    const cpus = await Promise.all(counters.map(async (counter) => Math.floor(((await counter.ask({ type: 'where' })) % 2 ** 32) / 2 ** 24)));
    expect(cpus).to.deep.equal([1, 2, 0]);
  });

  it(`delivers ${streamed} messages between two workers in order, and asks across workers`, async () => {
    kernel = await Kernel.boot({ cpus: 3, modules });
    const recorder = await kernel.spawned(kernel.spawn(Recorder, { cpu: 2 }));
    const sender = kernel.spawn(Sender, { cpu: 1 });
    expect(await sender.ask({ type: 'send', to: recorder.pid, count: streamed, tag: 1 }, { deadlineMs: 20_000 })).to.equal(streamed);
    const summary = await eventually(async () => {
      const got = await recorder.ask({ type: 'summary' });
      return got.count === streamed ? got : undefined;
    });
    expect(summary.inOrder).to.equal(true);
    const counter = await kernel.spawned(kernel.spawn(Counter, { cpu: 2 }));
    counter.tell({ type: 'add', n: 5 });
    const relay = kernel.spawn(Relay, { cpu: 1 });
    expect(await relay.ask({ type: 'relay', to: counter.pid })).to.equal(5);
  });

  it('a stream into a small mailbox on another CPU waits in the ring instead of overflowing it', async () => {
    kernel = await Kernel.boot({ cpus: 3, modules });
    // Ten slots and drop-newest: any message that met the full mailbox would be lost.
    const recorder = await kernel.spawned(kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 10, overflow: 'drop-newest' }));
    const sender = kernel.spawn(Sender, { cpu: 1 });
    const count = Math.ceil(streamed / 4);
    expect(await sender.ask({ type: 'send', to: recorder.pid, count, tag: 1 }, { deadlineMs: 20_000 })).to.equal(count);
    const summary = await eventually(async () => {
      const got = await recorder.ask({ type: 'summary' });
      return got.count === count ? got : undefined;
    });
    expect(summary.inOrder).to.equal(true);
  });

  it('two CPUs streaming into each other through small full rings neither deadlock nor lose', async () => {
    kernel = await Kernel.boot({ cpus: 3, modules, ringBytes: 4096 });
    const recorders = [kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 100_000 }), kernel.spawn(Recorder, { cpu: 2, mailboxCapacity: 100_000 })];
    await Promise.all(recorders.map((recorder) => kernel!.spawned(recorder)));
    const senders = [kernel.spawn(Sender, { cpu: 1 }), kernel.spawn(Sender, { cpu: 2 })];
    // Each sender blocks on its full ring; while blocked it keeps draining the other's stream.
    const count = Math.ceil(streamed * 1.5);
    const sent = await Promise.all(
      senders.map((sender, index) => sender.ask({ type: 'send', to: recorders[1 - index]!.pid, count, tag: index }, { deadlineMs: 20_000 })),
    );
    expect(sent).to.deep.equal([count, count]);
    for (const recorder of recorders) {
      const summary = await eventually(async () => {
        const got = await recorder.ask({ type: 'summary' });
        return got.count === count ? got : undefined;
      });
      expect(summary.inOrder).to.equal(true);
    }
  });

  it('wait: messages that find the ring to a frozen CPU full wait outboxWaitMs, then are dead letters; the rest arrive in order', async () => {
    kernel = await Kernel.boot({ cpus: 2, modules, ringBytes: 4096, crossCpuOverflow: 'wait', outboxWaitMs: 100 });
    const recorder = await kernel.spawned(kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 10_000 }));
    const bomb = kernel.spawn(Bomb, { cpu: 1 });
    expect(await bomb.ask({ type: 'ping' })).to.equal('pong');
    const expired: number[] = [];
    kernel.deadLetters.subscribe((letter) => {
      const note = letter.message as { type: string; seq?: number };
      if (letter.reason === 'ring-full' && note.type === 'note') expired.push(note.seq!);
    });
    // CPU 1 stops draining for 800 ms: far longer than the outbox wait, even on a slow machine.
    bomb.tell({ type: 'freeze', ms: 800 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const sent = 1_000;
    for (let seq = 0; seq < sent; seq++) recorder.tell({ type: 'note', from: 0, seq });
    const late = await recorder.ask({ type: 'summary' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(late).to.be.instanceOf(RingFullError);
    // The ring took a prefix; the rest expired in the outbox, in order, while CPU 1 was frozen.
    const notes = await eventually(async () => {
      const got = await recorder.ask({ type: 'notes' }, { deadlineMs: 2_000 }).catch(() => undefined);
      return got !== undefined && got.length + expired.length === sent ? got : undefined;
    });
    expect(notes.length).to.be.above(0);
    expect(expired.length).to.be.above(0);
    expect(notes.map(([, seq]) => seq)).to.deep.equal(Array.from({ length: notes.length }, (_, index) => index));
    expect(expired).to.deep.equal(Array.from({ length: expired.length }, (_, index) => notes.length + index));
  });

  it('refuses a worker heap bound too small to boot on, before starting any worker', async () => {
    for (const workerHeapMbMax of [4, 15.5, Number.NaN]) {
      const error = await Kernel.boot({ cpus: 2, modules, workerHeapMbMax }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).to.be.instanceOf(RangeError);
      expect((error as Error).message).to.match(/workerHeapMbMax/);
    }
  });

  const deaths = [
    ['process.exit', 'exit-process'],
    ['an uncaught error', 'throw-async'],
    ['running out of memory', 'exhaust-memory'],
    ['holding ArrayBuffers past its bound', 'hoard-buffers'],
    ['holding SharedArrayBuffers past its bound', 'hoard-shared-buffers'],
  ] as const;
  for (const [how, message] of deaths) {
    it(`restarts a CPU whose worker dies by ${how}; its asks fail typed, its placed actors come back`, async () => {
      // A small heap bound, so running out of memory takes milliseconds (it binds the other cases too).
      kernel = await Kernel.boot({ cpus: 2, modules, workerHeapMbMax: 64 });
      const deathReasons: string[] = [];
      kernel.failures.subscribe((failure) => {
        if (failure.error instanceof CpuDownError) deathReasons.push(failure.error.message);
      });
      const counter: ActorRef<CounterMsg> = kernel.spawn(Counter, { cpu: 1, name: 'survivor' });
      counter.tell({ type: 'add', n: 9 });
      expect(await counter.ask({ type: 'get' })).to.equal(9);
      const oldPid = counter.pid;
      const bomb = kernel.spawn(Bomb, { cpu: 1 });
      expect(await bomb.ask({ type: 'ping' })).to.equal('pong');
      // An ask that will never be answered: the CPU dies under it.
      const pending = bomb.ask({ type: 'ping' }, { deadlineMs: 20_000 });
      const blocked = counter.ask({ type: 'get' }, { deadlineMs: 20_000 });
      bomb.tell({ type: message });
      const [first, second] = await Promise.allSettled([pending, blocked]);
      // Either the CPU died before the asks were answered (CpuDownError) or just after.
      for (const result of [first, second]) if (result.status === 'rejected') expect(result.reason).to.be.instanceOf(CpuDownError);
      // The counter comes back behind the same ref and name, as a fresh incarnation with a new pid.
      const fresh = await eventually(async () => {
        if (counter.pid === 0 || counter.pid === oldPid) return undefined;
        return counter.ask({ type: 'get' });
      });
      expect(fresh).to.equal(0);
      expect(kernel.lookup('survivor')).to.equal(counter);
      // The CPU's supervisor saw the death, and why: V8's heap limit, an exit code or the error.
      expect(deathReasons).to.have.length(1);
      expect(deathReasons[0]).to.match(
        {
          'exit-process': /exited with code 3/,
          'throw-async': /uncaught in the worker/,
          'exhaust-memory': /out of memory/i,
          'hoard-buffers': /MiB of buffer memory .*, past its bound of 64 MiB/,
          'hoard-shared-buffers': /MiB of buffer memory .*, past its bound of 64 MiB/,
        }[message],
      );
      counter.tell({ type: 'add', n: 1 });
      expect(await counter.ask({ type: 'get' })).to.equal(1);
    });
  }

  it('migrates an actor from the main thread to a worker with its state and mailbox; its ref follows', async () => {
    kernel = await Kernel.boot({ cpus: 2, modules });
    const counter = kernel.spawn(Counter, { name: 'migrant' });
    for (let i = 0; i < 100; i++) counter.tell({ type: 'add', n: 1 });
    expect(await kernel.scheduler.ask({ type: 'sched.migrate', pid: counter.pid, cpu: 1 })).to.equal(true);
    counter.tell({ type: 'add', n: 1_000 });
    expect(await counter.ask({ type: 'get' })).to.equal(1_100);
    expect(Math.floor((counter.pid % 2 ** 32) / 2 ** 24)).to.equal(1);
    expect(await counter.ask({ type: 'where' })).to.equal(counter.pid);
    expect(kernel.lookup('migrant')).to.equal(counter);
  });

  it('the balancer spreads busy actors from the main thread to a worker, and leaves a pinned one', async () => {
    kernel = await Kernel.boot({ cpus: 2, modules });
    const spinners = Array.from({ length: 8 }, () => kernel!.spawn(Spinner));
    const pinned = kernel.spawn(Spinner, { pinned: true });
    for (const ref of [...spinners, pinned]) ref.tell({ type: 'spin' });
    const cpuOf = (pid: number): number => Math.floor((pid % 2 ** 32) / 2 ** 24);
    const onWorker = (): number => spinners.filter((ref) => cpuOf(ref.pid) === 1).length;
    // One move per 100 ms period while the loads differ by 2 or more: 9 vs 0 comes to 5 vs 4.
    await eventually(() => (onWorker() >= 4 ? true : undefined));
    // Each balancer reads the other CPU's load as that CPU last published it, and counts what is
    // runnable at that instant (as OSv does), so a busy machine can draw one more move: 4 vs 5
    // is as balanced. The exact sequence is checked on simulated CPUs in balancer-kernel.test.ts.
    // Over three more periods nothing moves back and forth: the count never goes down, and stays
    // at 4 or 5.
    const counts: number[] = [];
    for (let sample = 0; sample < 7; sample++) {
      if (sample > 0) await new Promise((resolve) => setTimeout(resolve, 50));
      counts.push(onWorker());
    }
    expect(
      counts.every((count) => count === 4 || count === 5),
      `spinners on the worker: ${counts}`,
    ).to.equal(true);
    expect(counts, 'moves back').to.deep.equal([...counts].sort((a, b) => a - b));
    expect(cpuOf(pinned.pid)).to.equal(0);
    for (const ref of spinners) {
      const report = await ref.ask({ type: 'report' });
      expect(report.cpu).to.equal(cpuOf(ref.pid));
      expect(report.spins).to.be.above(0);
    }
  });

  it('an interrupt vector follows its handler to a worker: events raised on the main thread reach it in order', async () => {
    kernel = await Kernel.boot({ cpus: 2, modules });
    const irq = kernel.subsystem(interrupts);
    const handler = kernel.spawn(EventLog, { priority: 'realtime' });
    const vector = await irq.allocate<number>({ name: 'nic0', handler, ringCapacity: 8_192 });
    expect(await kernel.scheduler.ask({ type: 'sched.migrate', pid: handler.pid, cpu: 1 })).to.equal(true);
    for (let n = 0; n < 4_000; n++) irq.raise(vector, n);
    const stats = await eventually(() => (irq.stats(vector).line === 'idle' ? irq.stats(vector) : undefined));
    expect(stats).to.include({ cpu: 1, retargets: 1, raised: 4_000, delivered: 4_000, overruns: 0, dropped: 0 });
    const seen = await handler.ask({ type: 'seen' });
    expect(seen.map(([cpu]) => cpu).every((cpu) => cpu === 1)).to.equal(true);
    expect(seen.map(([, , event]) => event)).to.deep.equal(Array.from({ length: 4_000 }, (_, n) => n));
  });

  it('shuts every CPU down and refuses new work afterwards', async () => {
    kernel = await Kernel.boot({ cpus: 2, modules });
    const counter = kernel.spawn(Counter, { cpu: 1 });
    expect(await counter.ask({ type: 'get' })).to.equal(0);
    await kernel.shutdown();
    expect(() => kernel!.spawn(Counter, { cpu: 1 })).to.throw(/stopped/);
    kernel = null;
  });
});
