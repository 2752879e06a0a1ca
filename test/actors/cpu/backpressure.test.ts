import { expect } from 'chai';
import { Kernel, RingFullError, type DeadLetter } from '../../../boot/index.js';
import type { CrossCpuOverflow } from '../../../actors/cpu/cpu-node.js';
import { frameBytesMax, structureCountMax } from '../../../protocols/limits.js';
import { outboxFrameOverheadBytes } from '../../../actors/cpu/limits.js';
import { Collector, Counter, LateReplier, ManyAsker, Recorder, Streamer, Watcher } from './fixtures/behaviors.js';
import { nodeOf } from '../../helpers/kernel.js';

const modules = [new URL('./fixtures/behaviors.js', import.meta.url)];
/**
 * Room for a few dozen small frames, so a burst fills it. Not less: a structure sync carries the
 * whole shared table (about 0.5 KiB with the runtime's frame types), and a sync with the frame
 * after it must fit a ring that has drained.
 */
const ringBytes = 2048;

async function boot(crossCpuOverflow: CrossCpuOverflow, outboxBytesMax?: number): Promise<{ kernel: Kernel; deadLetters: DeadLetter[] }> {
  const kernel = await Kernel.boot({
    mode: 'simulated',
    seed: 3,
    cpus: 2,
    modules,
    ringBytes,
    crossCpuOverflow,
    ...(outboxBytesMax !== undefined ? { outboxBytesMax } : {}),
  });
  const deadLetters: DeadLetter[] = [];
  kernel.deadLetters.subscribe((letter) => deadLetters.push(letter));
  return { kernel, deadLetters };
}

async function spawnedRecorder(kernel: Kernel) {
  const recorder = kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 10_000 });
  const ready = kernel.spawned(recorder);
  await kernel.simulatedClock.advance(0);
  return ready;
}

/**
 * A Counter on CPU 0 and a Recorder on CPU 1, told notes from outside any actor until the first
 * dead letter: the ring to CPU 1 is full (and under `wait`, the outbox too), and nothing took from it yet.
 */
async function counterBehindFullRing(crossCpuOverflow: CrossCpuOverflow, outboxBytesMax?: number) {
  const { kernel, deadLetters } = await boot(crossCpuOverflow, outboxBytesMax);
  const recorder = await spawnedRecorder(kernel);
  const counter = kernel.spawn(Counter);
  await kernel.simulatedClock.advance(0);
  let seq = 0;
  while (deadLetters.length === 0) recorder.tell({ type: 'note', from: 0, seq: seq++ });
  return { kernel, deadLetters, counter, node: nodeOf(kernel) };
}

async function seqsOf(kernel: Kernel, recorder: Awaited<ReturnType<typeof spawnedRecorder>>): Promise<number[]> {
  const notes = recorder.ask({ type: 'notes' });
  await kernel.simulatedClock.advance(0);
  return (await notes).map(([, seq]) => seq);
}

describe('backpressure between CPUs', () => {
  it('reject: a tell into a full ring returns false, an ask fails with RingFullError, nothing is reordered', async () => {
    const { kernel, deadLetters } = await boot('reject');
    const recorder = await spawnedRecorder(kernel);
    const accepted: number[] = [];
    for (let seq = 0; seq < 200; seq++) if (recorder.tell({ type: 'note', from: 0, seq })) accepted.push(seq);
    expect(accepted.length).to.be.within(5, 199);
    expect(accepted).to.deep.equal([...Array(accepted.length).keys()]);
    const refused = recorder.ask({ type: 'notes' }).catch((error: unknown) => error);
    expect(await refused).to.be.instanceOf(RingFullError);
    expect(deadLetters, 'a refused tell stays with its sender').to.deep.equal([]);
    await kernel.simulatedClock.advance(0);
    expect(await seqsOf(kernel, recorder)).to.deep.equal(accepted);
    await kernel.shutdown();
  });

  it('reject is for what actors send: an exit signal that meets the full ring waits for room, and arrives', async () => {
    const { kernel } = await boot('reject');
    const recorder = await spawnedRecorder(kernel);
    const watcher = kernel.spawn(Watcher);
    watcher.tell({ type: 'watch', ref: recorder });
    await kernel.simulatedClock.advance(5);
    const reason = { shutdown: 'the signal is larger than a note, so it cannot fit where the last note did not' };
    const sent = watcher.ask({ type: 'flood-then-exit', ref: recorder, reason });
    await kernel.simulatedClock.advance(5);
    expect(await sent).to.be.above(0);
    const downs = watcher.ask({ type: 'downs' });
    await kernel.simulatedClock.advance(0);
    expect(await downs).to.deep.equal([[recorder.pid, JSON.stringify(reason)]]);
    await kernel.shutdown();
  });

  it('reject: mail held until a spawn on another CPU is answered all goes out then, even past a full ring', async () => {
    const { kernel, deadLetters } = await boot('reject');
    const recorder = kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 10_000 });
    // Before the far CPU has answered: each tell is held by the ref, and returns true.
    for (let seq = 0; seq < 200; seq++) expect(recorder.tell({ type: 'note', from: 0, seq })).to.equal(true);
    await kernel.simulatedClock.advance(5);
    expect(await seqsOf(kernel, recorder)).to.deep.equal([...Array(200).keys()]);
    expect(deadLetters).to.deep.equal([]);
    await kernel.shutdown();
  });

  it('drop-newest: a move asked for that meets a full ring waits for it, whatever the policy, and the actor arrives with its mail', async () => {
    // The ring to CPU 1 is full; the move is tried before CPU 1 takes anything out of it.
    const { kernel, deadLetters, counter, node } = await counterBehindFullRing('drop-newest');
    const settled: (string | null)[] = [];
    counter.tell({ type: 'add', n: 2 });
    expect(node.migrate(node.kernel.cellOf(counter.pid)!, 1, (why) => settled.push(why), true)).to.equal(null);
    expect(settled, 'it has left').to.deep.equal([null]);
    expect(node.kernel.cellOf(counter.pid), 'gone from CPU 0').to.equal(undefined);
    expect(deadLetters.length, 'nothing of the move is a dead letter').to.equal(1);
    // Mail behind the move would meet the full ring too (and be dropped, by the policy): send it once there is room.
    await kernel.simulatedClock.advance(5);
    counter.tell({ type: 'add', n: 3 });
    const total = counter.ask({ type: 'get' });
    await kernel.simulatedClock.advance(5);
    expect(await total, 'its mail, from before the move and after').to.equal(5);
    await kernel.shutdown();
  });

  it("drop-newest: the balancer's move into a full ring is refused, and the actor runs on where it was, its mail unharmed", async () => {
    // The ring to CPU 1 is full; the move is tried before CPU 1 takes anything out of it.
    const { kernel, deadLetters, counter, node } = await counterBehindFullRing('drop-newest');
    const settled: (string | null)[] = [];
    expect(node.migrate(node.kernel.cellOf(counter.pid)!, 1, (why) => settled.push(why), false)).to.equal('the ring to cpu 1 is full');
    expect(settled, 'a move refused at once is not under way').to.deep.equal([]);
    expect(deadLetters.length, 'nothing of the move is a dead letter').to.equal(1);
    counter.tell({ type: 'add', n: 2 });
    const total = counter.ask({ type: 'get' });
    await kernel.simulatedClock.advance(5);
    expect(await total).to.equal(2);
    await kernel.shutdown();
  });

  it('wait: a move asked for that finds its outbox full is refused, and the actor runs on where it was, its mail unharmed', async () => {
    const outboxBytesMax = frameBytesMax + outboxFrameOverheadBytes;
    // Told from outside any actor, nothing is parked: frames wait in the outbox until it is full.
    const { kernel, deadLetters, counter, node } = await counterBehindFullRing('wait', outboxBytesMax);
    const settled: (string | null)[] = [];
    counter.tell({ type: 'add', n: 2 });
    expect(node.migrate(node.kernel.cellOf(counter.pid)!, 1, (why) => settled.push(why), true)).to.equal('the outbox to cpu 1 is full');
    expect(settled, 'a move refused at once is not under way').to.deep.equal([]);
    expect(deadLetters.length, 'nothing of the move is a dead letter').to.equal(1);
    counter.tell({ type: 'add', n: 3 });
    const total = counter.ask({ type: 'get' });
    await kernel.simulatedClock.advance(5);
    expect(await total).to.equal(5);
    expect(node.kernel.cellOf(counter.pid), 'still on CPU 0').to.not.equal(undefined);
    await kernel.shutdown();
  });

  it('drop-newest: what does not fit is a dead letter with reason ring-full', async () => {
    const { kernel, deadLetters } = await boot('drop-newest');
    const recorder = await spawnedRecorder(kernel);
    let accepted = 0;
    for (let seq = 0; seq < 200; seq++) if (recorder.tell({ type: 'note', from: 0, seq })) accepted++;
    expect(deadLetters.length).to.equal(200 - accepted);
    expect(deadLetters.every((letter) => letter.reason === 'ring-full')).to.equal(true);
    await kernel.simulatedClock.advance(0);
    expect((await seqsOf(kernel, recorder)).length).to.equal(accepted);
    await kernel.shutdown();
  });

  it('wait: a burst larger than the ring waits in the bounded outbox and arrives whole and in order', async () => {
    const { kernel, deadLetters } = await boot('wait');
    const recorder = await spawnedRecorder(kernel);
    for (let seq = 0; seq < 2_000; seq++) expect(recorder.tell({ type: 'note', from: 0, seq })).to.equal(true);
    expect(nodeOf(kernel).waitingFrames).to.be.above(0);
    await kernel.simulatedClock.advance(5);
    const summary = recorder.ask({ type: 'summary' });
    await kernel.simulatedClock.advance(0);
    expect(await summary).to.deep.equal({ count: 2_000, inOrder: true });
    expect(nodeOf(kernel).waitingFrames).to.equal(0);
    expect(deadLetters).to.deep.equal([]);
    await kernel.shutdown();
  });

  it("wait: an outbox that what actors send filled to its bound still takes the kernel's frames: an exit signal behind the flood arrives", async () => {
    const { kernel, deadLetters } = await boot('wait', frameBytesMax + outboxFrameOverheadBytes);
    const recorder = await spawnedRecorder(kernel);
    const watcher = kernel.spawn(Watcher);
    watcher.tell({ type: 'watch', ref: recorder });
    await kernel.simulatedClock.advance(5);
    const reason = { shutdown: 'after the flood' };
    const sent = watcher.ask({ type: 'flood-then-exit', ref: recorder, reason });
    await kernel.simulatedClock.advance(5);
    expect(await sent).to.be.above(0);
    const refused = deadLetters.filter((letter) => letter.reason === 'ring-full');
    expect(
      refused.map((letter) => letter.messageType),
      'only the note past the bound is refused',
    ).to.deep.equal(['note']);
    const downs = watcher.ask({ type: 'downs' });
    await kernel.simulatedClock.advance(0);
    expect(await downs).to.deep.equal([[recorder.pid, JSON.stringify(reason)]]);
    // The rest are notes the signal overtook in the recorder's mailbox: they died with it.
    expect(deadLetters.every((letter) => letter.messageType === 'note')).to.equal(true);
    await kernel.shutdown();
  });

  it('wait: the outbox has a bound in bytes; past it, a frame is a ring-full dead letter at once', async () => {
    const { kernel, deadLetters } = await boot('wait', frameBytesMax + outboxFrameOverheadBytes);
    const recorder = await spawnedRecorder(kernel);
    for (let seq = 0; seq < 10_000; seq++) recorder.tell({ type: 'note', from: 0, seq });
    // Code outside any actor cannot be parked: past the outbox's bytes, frames are dead at once.
    const overBound = deadLetters.length;
    expect(overBound).to.be.above(0);
    await kernel.simulatedClock.advance(2);
    const summary = recorder.ask({ type: 'summary' });
    await kernel.simulatedClock.advance(0);
    const delivered = (await summary).count;
    expect(delivered + deadLetters.length).to.equal(10_000);
    expect(deadLetters.every((letter) => letter.reason === 'ring-full')).to.equal(true);
    await kernel.shutdown();
  });
});

describe('parking: backpressure holds the sending actor, not its CPU', () => {
  it('wait: a parked actor runs again once its own frames are in the ring, while frames others sent after them still wait', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 7, cpus: 2, modules, ringBytes, simulatedCostMs: 0.01 });
    const recorder = kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 10_000 });
    const streamer = kernel.spawn(Streamer, { cpu: 0 });
    await kernel.settle();
    const node = nodeOf(kernel);
    const streamerCell = node.kernel.cellOf(streamer.pid)!;
    const streamed = streamer.ask({ type: 'stream', to: recorder as never, count: 100, tag: 1 });
    await kernel.simulatedClock.advance(0);
    expect(node.outbox.holdsFramesOf(streamerCell), 'its burst waits in the outbox').to.equal(true);
    // Code outside any actor sends after it: those frames wait behind the streamer's, and park nobody.
    for (let seq = 0; seq < 300; seq++) recorder.tell({ type: 'note', from: 0, seq });
    let sawItFree = false;
    for (let step = 0; step < 2_000 && node.outbox.waiting > 0; step++) {
      await kernel.advance(0.05);
      if (!node.outbox.holdsFramesOf(streamerCell) && node.outbox.waiting > 0) {
        sawItFree = true;
        expect(node.outbox.parkedActors, 'nobody is parked for frames code outside actors sent').to.equal(0);
      }
    }
    expect(sawItFree, 'seen unparked while the outbox still held frames sent after its own').to.equal(true);
    expect(await kernel.runUntil(streamed)).to.equal(100);
    expect(await kernel.runUntil(recorder.ask({ type: 'summary' }))).to.deep.equal({ count: 400, inOrder: true });
    await kernel.shutdown();
  });

  it('wait: an actor whose frames wait runs no other turn until they are sent; its CPU runs on', async () => {
    // Each message costs CPU 1 10 µs of virtual time, so the recorder drains the ring slowly.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules, ringBytes, simulatedCostMs: 0.01 });
    const deadLetters: DeadLetter[] = [];
    kernel.deadLetters.subscribe((letter) => deadLetters.push(letter));
    const recorder = kernel.spawn(Recorder, { cpu: 1, mailboxCapacity: 10_000 });
    const streamer = kernel.spawn(Streamer, { cpu: 0 });
    const counter = kernel.spawn(Counter, { cpu: 0 });
    await kernel.settle();
    const count = 200;
    let firstDone = false;
    let secondDone = false;
    const first = streamer.ask({ type: 'stream', to: recorder as never, count, tag: 1 }).finally(() => {
      firstDone = true;
    });
    const second = streamer.ask({ type: 'stream', to: recorder as never, count, tag: 2 }).finally(() => {
      secondDone = true;
    });
    const node = nodeOf(kernel);
    let parkedWhileCounterAnswered = false;
    for (let step = 0; step < 400 && !secondDone; step++) {
      await kernel.advance(0.05);
      if (!firstDone || secondDone) continue;
      // Between its two turns: while frames of the first wait, the streamer is parked.
      if (node.outbox.waiting > 0) expect(node.outbox.parkedActors).to.equal(1);
      if (node.outbox.parkedActors === 1 && !parkedWhileCounterAnswered) {
        const answered = await kernel.runUntil(counter.ask({ type: 'get' }));
        parkedWhileCounterAnswered = answered === 0 && !secondDone;
      }
    }
    expect(await kernel.runUntil(first)).to.equal(count);
    expect(await kernel.runUntil(second)).to.equal(count);
    expect(parkedWhileCounterAnswered, 'seen parked while its CPU answered another ask').to.equal(true);
    expect(node.outbox.parkedActors).to.equal(0);
    expect(await kernel.runUntil(recorder.ask({ type: 'summary' }))).to.deep.equal({ count: 2 * count, inOrder: true });
    expect(deadLetters).to.deep.equal([]);
    await kernel.shutdown();
  });
});

describe('replies are counted against their replier', () => {
  it('an actor that answers asks from another CPU outside its turns is parked while its answers wait for the ring, and all arrive', async () => {
    // Each message costs 10 µs of virtual time, so CPU 1 drains its ring slowly.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 11, cpus: 2, modules, ringBytes, simulatedCostMs: 0.01 });
    const replier = kernel.spawn(LateReplier, { cpu: 0 });
    const asker = kernel.spawn(ManyAsker, { cpu: 1 });
    await kernel.settle();
    const count = 40;
    const node = nodeOf(kernel);
    const replierCell = node.kernel.cellOf(replier.pid)!;
    const answered = asker.ask({ type: 'ask-many', to: replier.pid, count, size: 200 });
    // 40 answers of 200 bytes do not fit a 2 KiB ring: the rest wait, and they are the replier's.
    let sawThemWait = false;
    for (let step = 0; step < 400 && !sawThemWait; step++) {
      await kernel.advance(0.01);
      if (node.outbox.waiting === 0) continue;
      sawThemWait = true;
      expect(node.outbox.holdsFramesOf(replierCell), 'the answers waiting are counted as its own').to.equal(true);
      expect(node.outbox.parkedActors).to.equal(1);
    }
    expect(sawThemWait, 'answers waited for room').to.equal(true);
    expect(await kernel.runUntil(answered)).to.equal(count);
    expect(node.outbox.parkedActors).to.equal(0);
    await kernel.shutdown();
  });
});

describe('frames larger than a ring', () => {
  it('fail the send with a typed error instead of wedging the ring or crashing the sender', async () => {
    const { kernel } = await boot('wait');
    const recorder = await spawnedRecorder(kernel);
    for (let seq = 0; seq < 300; seq++) recorder.tell({ type: 'note', from: 0, seq });
    // The reply (300 notes) is larger than half the 2 KiB ring: the asker gets the reason.
    const notes = recorder.ask({ type: 'notes' }).catch((error: unknown) => error);
    await kernel.simulatedClock.advance(1);
    expect(String(await notes)).to.match(/too-large.*frame limit/);
    // The recorder did not crash: a smaller answer still comes.
    const summary = recorder.ask({ type: 'summary' });
    await kernel.simulatedClock.advance(0);
    expect(await summary).to.deep.equal({ count: 300, inOrder: true });
    const huge = { type: 'note', from: 0, seq: 0, pad: 'x'.repeat(2_000) } as never;
    expect(() => recorder.tell(huge)).to.throw(/too-large/);
    await kernel.shutdown();
  });
});

describe('record structures across CPUs', () => {
  it('delivers a shape first seen mid-stream, and shapes past the shared bound as plain maps', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 4, cpus: 2, modules });
    const collector = kernel.spawn(Collector, { cpu: 1 });
    const sent: { type: string; [key: string]: unknown }[] = [];
    for (let i = 0; i < 50; i++) sent.push({ type: 'steady', n: i });
    // New shapes keep coming after the stream started, more than the shared table can hold.
    for (let shape = 0; shape < structureCountMax + 10; shape++) sent.push({ type: 'novel', [`field${shape}`]: shape, nested: { [`inner${shape}`]: [shape] } });
    for (let i = 50; i < 100; i++) sent.push({ type: 'steady', n: i });
    for (const message of sent) collector.tell(message);
    await kernel.simulatedClock.advance(0);
    const got = collector.ask({ type: 'collected' });
    await kernel.simulatedClock.advance(0);
    expect(await got).to.deep.equal(sent);
    const port = nodeOf(kernel).port;
    expect(port.counters.structureSyncs).to.be.above(0);
    expect(port.counters.badFrames).to.equal(0);
    await kernel.shutdown();
  });
});
