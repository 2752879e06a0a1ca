/**
 * The Chrome trace of a run (inspector/trace-events.ts): valid as trace viewers read it (slices of a
 * thread never overlap, each flow has one start and one end inside slices, every CPU and thread is
 * named), the same events give the same bytes, and the faults, restarts and cross-CPU mail of a
 * simulated run are in it. `traceProblems` is the validator.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelEvent, KernelEventBody } from '../../actors/runtime/events.js';
import { makePid } from '../../ground/pid.js';
import { type ActorRef, formatPid, fromSetup, Kernel } from '../../boot/index.js';
import { type ChromeTrace, serializeTrace, startTrace, type TraceEvent, TraceRecorder, turnWidthUs } from '../../inspector/index.js';
import { runScenario, type Scenario } from '../../sim/index.js';
import { runOsprey } from '../helpers/osprey-command.js';
import { CpuCounter, counterOnCpus } from '../sim/fixtures/cpu-counter.js';
import { volatileTally } from '../sim/fixtures/examples.js';

/** What makes `trace` invalid for a trace viewer, one line each: none when it is valid. */
function traceProblems(trace: ChromeTrace): string[] {
  const problems: string[] = [];
  if (trace.displayTimeUnit !== 'ms') problems.push(`displayTimeUnit ${trace.displayTimeUnit}`);
  const processes = new Set<number>();
  const threads = new Set<string>();
  const slices = new Map<string, TraceEvent[]>();
  const flows = new Map<number, TraceEvent[]>();
  const used: TraceEvent[] = [];
  for (const event of trace.traceEvents) {
    const thread = `${event.pid}/${event.tid}`;
    if (!Number.isInteger(event.pid) || event.pid < 1 || event.pid >= 2 ** 31) problems.push(`pid ${event.pid} is not a positive 32-bit integer`);
    if (!Number.isInteger(event.tid) || event.tid < 0 || event.tid >= 2 ** 31) problems.push(`tid ${event.tid} is not a 32-bit integer`);
    if (event.ph === 'M') {
      if (event.name === 'process_name') processes.add(event.pid);
      else if (event.name === 'thread_name') threads.add(thread);
      if (typeof event.args?.name !== 'string') problems.push(`metadata ${event.name} of ${thread} has no name`);
      continue;
    }
    used.push(event);
    if (typeof event.ts !== 'number' || !Number.isFinite(event.ts) || event.ts < 0) problems.push(`${event.ph} '${event.name}' has ts ${event.ts}`);
    if (event.ph === 'X') {
      if (typeof event.dur !== 'number' || !(event.dur >= 0)) problems.push(`slice '${event.name}' has dur ${event.dur}`);
      slices.set(thread, [...(slices.get(thread) ?? []), event]);
    } else if (event.ph === 's' || event.ph === 'f') {
      if (event.id === undefined) problems.push(`flow event '${event.name}' has no id`);
      else flows.set(event.id, [...(flows.get(event.id) ?? []), event]);
    } else if (event.ph === 'i') {
      if (event.s !== 't') problems.push(`instant '${event.name}' is not thread-scoped`);
    } else if (event.ph === 'C') {
      const values = Object.values(event.args ?? {});
      if (values.length === 0 || !values.every((value) => Number.isFinite(value))) problems.push(`counter '${event.name}' has no numbers`);
    } else {
      problems.push(`unexpected phase ${event.ph}`);
    }
  }
  for (const event of used) {
    if (!processes.has(event.pid)) problems.push(`pid ${event.pid} has no process_name`);
    // A counter belongs to its process, not to a thread.
    if (event.ph !== 'C' && !threads.has(`${event.pid}/${event.tid}`)) problems.push(`thread ${event.pid}/${event.tid} has no thread_name`);
  }
  for (const [thread, list] of slices) {
    const sorted = [...list].sort((a, b) => a.ts! - b.ts!);
    for (let i = 1; i < sorted.length; i++) {
      const previous = sorted[i - 1]!;
      if (sorted[i]!.ts! < previous.ts! + previous.dur!) problems.push(`slices '${previous.name}' and '${sorted[i]!.name}' overlap on ${thread}`);
    }
  }
  const enclosed = (event: TraceEvent) =>
    (slices.get(`${event.pid}/${event.tid}`) ?? []).some((slice) => slice.ts! <= event.ts! && event.ts! <= slice.ts! + slice.dur!);
  for (const [id, list] of flows) {
    const starts = list.filter((event) => event.ph === 's');
    const ends = list.filter((event) => event.ph === 'f');
    if (starts.length !== 1 || ends.length !== 1) {
      problems.push(`flow ${id} has ${starts.length} start(s) and ${ends.length} end(s)`);
      continue;
    }
    const [start, end] = [starts[0]!, ends[0]!];
    if (start.name !== end.name || start.cat !== end.cat) problems.push(`flow ${id}'s ends differ in name or category`);
    if (end.bp !== 'e') problems.push(`flow ${id}'s end is not bound to its enclosing slice`);
    if (end.ts! < start.ts!) problems.push(`flow ${id} runs backwards`);
    if (!enclosed(start)) problems.push(`flow ${id} starts outside any slice`);
    if (!enclosed(end)) problems.push(`flow ${id} ends outside any slice`);
  }
  return problems;
}

/** A run of `scenario` from `seed`, traced. */
async function tracedRun<S>(scenario: Scenario<S>, seed: number): Promise<{ readonly trace: ChromeTrace; readonly events: number }> {
  const recorder = new TraceRecorder();
  const result = await runScenario(scenario, { seed, onEvent: (event) => recorder.record(event) });
  expect(recorder.recordedEvents).to.equal(result.events);
  return { trace: recorder.toJSON(), events: result.events };
}

const threadNamed = (trace: ChromeTrace, text: string) =>
  trace.traceEvents.find((event) => event.name === 'thread_name' && String(event.args?.name).includes(text));

describe('inspector: the Chrome trace of a run', () => {
  it('the validator finds overlapping slices, lone flow ends, unnamed threads and negative durations', () => {
    const named: TraceEvent[] = [
      { name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: 'cpu 0' } },
      { name: 'thread_name', ph: 'M', pid: 1, tid: 1, args: { name: 'a' } },
    ];
    const valid: ChromeTrace = {
      traceEvents: [
        ...named,
        { name: 'm', ph: 'X', ts: 0, dur: 2, pid: 1, tid: 1 },
        { name: 'n', ph: 'X', ts: 2, dur: 1, pid: 1, tid: 1 },
        { name: 'm', cat: 'mail', ph: 's', ts: 1, pid: 1, tid: 1, id: 7 },
        { name: 'm', cat: 'mail', ph: 'f', ts: 2.5, pid: 1, tid: 1, id: 7, bp: 'e' },
      ],
      displayTimeUnit: 'ms',
    };
    expect(traceProblems(valid)).to.deep.equal([]);
    const broken: ChromeTrace = {
      traceEvents: [
        ...named,
        { name: 'm', ph: 'X', ts: 0, dur: 2, pid: 1, tid: 1 },
        { name: 'n', ph: 'X', ts: 1, dur: -1, pid: 1, tid: 1 },
        { name: 'm', cat: 'mail', ph: 'f', ts: 1, pid: 1, tid: 1, id: 7, bp: 'e' },
        { name: 'x', ph: 'i', ts: 0, pid: 1, tid: 2, s: 't' },
      ],
      displayTimeUnit: 'ms',
    };
    expect(traceProblems(broken)).to.deep.equal([
      "slice 'n' has dur -1",
      'thread 1/2 has no thread_name',
      "slices 'm' and 'n' overlap on 1/1",
      'flow 7 has 0 start(s) and 1 end(s)',
    ]);
  });

  it('draws a run with kills: valid, the same bytes from the same seed, flows to each receive, the faults and restarts', async () => {
    const { trace, events } = await tracedRun(volatileTally, 0);
    expect(traceProblems(trace)).to.deep.equal([]);
    const again = await tracedRun(volatileTally, 0);
    expect(again.events).to.equal(events);
    expect(serializeTrace(again.trace)).to.equal(serializeTrace(trace));
    expect(JSON.parse(serializeTrace(trace))).to.deep.equal(JSON.parse(JSON.stringify(trace)));
    // Another seed kills at other times: another trace.
    expect(serializeTrace((await tracedRun(volatileTally, 1)).trace)).to.not.equal(serializeTrace(trace));

    const tally = threadNamed(trace, 'tally');
    expect(tally, 'the tally has a named thread').to.not.equal(undefined);
    expect(threadNamed(trace, 'outside actors')).to.not.equal(undefined);
    const onTally = trace.traceEvents.filter((event) => event.ph !== 'M' && event.pid === tally!.pid && event.tid === tally!.tid);
    const turns = onTally.filter((event) => event.ph === 'X');
    // Seed 0 kills the tally twice: two faults, two restarts.
    expect(onTally.filter((event) => event.ph === 'i' && event.name === 'fault')).to.have.length(2);
    expect(onTally.filter((event) => event.ph === 'i' && event.name === 'restart').map((event) => event.args?.attempt)).to.deep.equal([1, 2]);
    // Each count and total the workload and the checks sent is a turn with an arrow from the outside.
    expect(turns.map((turn) => turn.name).filter((name) => name === 'count')).to.have.length(30);
    const ends = onTally.filter((event) => event.ph === 'f');
    expect(ends).to.have.length(turns.length);
    const starts = new Map(trace.traceEvents.filter((event) => event.ph === 's').map((event) => [event.id, event]));
    for (const end of ends) expect(starts.get(end.id)?.tid).to.not.equal(tally!.tid);
    // Virtual time: a turn is as wide as the recorder makes it, at its event's time.
    expect(turns.every((turn) => turn.dur === turnWidthUs && turn.ts! >= Number(turn.args!.atMs) * 1000)).to.equal(true);
  });

  it('draws mail across CPUs: an arrow from CPU 0 to the counter on CPU 1, each send and receive once, faults or not', async () => {
    const { trace } = await tracedRun(counterOnCpus(2), 3);
    expect(traceProblems(trace)).to.deep.equal([]);
    const processes = trace.traceEvents.filter((event) => event.name === 'process_name').map((event) => event.args?.name);
    expect(processes).to.deep.equal(['cpu 0', 'cpu 1']);
    const starts = trace.traceEvents.filter((event) => event.ph === 's');
    const ends = new Map(trace.traceEvents.filter((event) => event.ph === 'f').map((event) => [event.id, event]));
    const crossing = starts.filter((start) => start.pid === 1 && ends.get(start.id)?.pid === 2);
    // 4 clients add 5 times each, and the invariant asks once: all from CPU 0.
    expect(crossing).to.have.length(21);
    // Dropped, duplicated and delayed mail to CPU 1 still draws a valid trace.
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const faulty = await tracedRun(counterOnCpus(2, true), seed);
      expect(traceProblems(faulty.trace), `seed ${seed}`).to.deep.equal([]);
    }
  });

  describe('from events made by hand', () => {
    const a = makePid(0, 8, 1);
    const b = makePid(0, 9, 1);
    const far = makePid(1, 8, 1);
    /** Stamps bodies in order: ids 1, 2, 3 …, on CPU 0 unless the body says otherwise. */
    const stamp = (bodies: readonly (KernelEventBody & { readonly atMs: number; readonly cause?: number; readonly cpu?: number; readonly id?: number })[]) =>
      bodies.map((body, index) => ({ id: index + 1, cause: 0, cpu: 0, ...body }) as KernelEvent);
    const traceOf = (events: readonly KernelEvent[], eventsMax?: number) => {
      const recorder = new TraceRecorder(eventsMax === undefined ? {} : { eventsMax });
      for (const event of events) recorder.record(event);
      return { recorder, trace: recorder.toJSON() };
    };
    const phases = (trace: ChromeTrace, ph: TraceEvent['ph']) => trace.traceEvents.filter((event) => event.ph === ph);

    it('lines up the turns of one instant, and stretches a turn to the sends it made later in real time', () => {
      const { trace } = traceOf(
        stamp([
          { kind: 'spawn', pid: a, parent: 0, label: 'A', name: 'a', atMs: 0 },
          { kind: 'send', from: 0, to: a, messageType: 'go', atMs: 1 }, // 2
          { kind: 'send', from: 0, to: a, messageType: 'go', atMs: 1 }, // 3
          { kind: 'receive', pid: a, messageType: 'go', depth: 0, runnable: 1, cause: 2, atMs: 1 }, // 4
          { kind: 'send', from: a, to: b, messageType: 'work', cause: 4, atMs: 1.25 }, // 5
          { kind: 'receive', pid: a, messageType: 'go', depth: 0, runnable: 1, cause: 3, atMs: 1 }, // 6
          { kind: 'receive', pid: b, messageType: 'work', depth: 0, runnable: 1, cause: 5, atMs: 1.25 }, // 7
        ]),
      );
      expect(traceProblems(trace)).to.deep.equal([]);
      const [firstGo, secondGo] = phases(trace, 'X').filter((slice) => slice.name === 'go');
      // No earlier than its send, which is inside the send's slice.
      expect(firstGo!.ts).to.equal(1000 + turnWidthUs / 2);
      // Stretched to its send at 1250 µs, and half a width past it.
      expect(firstGo!.ts! + firstGo!.dur!).to.equal(1250 + turnWidthUs / 2);
      // The next turn of the same instant waits for it.
      expect(secondGo!.ts).to.equal(firstGo!.ts! + firstGo!.dur!);
      // Two sends from outside, each in a slice of its own on the outside thread.
      expect(
        phases(trace, 'X')
          .filter((slice) => slice.name === 'send go')
          .map((slice) => slice.ts),
      ).to.deep.equal([1000, 1000 + turnWidthUs]);
      expect(phases(trace, 'f').map((end) => end.id)).to.deep.equal([2, 3, 5]);
      expect(trace.traceEvents.filter((event) => event.name === 'thread_name').map((event) => event.args?.name)).to.deep.equal([
        'outside actors',
        `a <0.8.1>`,
        `<0.9.1>`,
      ]);
    });

    it('draws the hop to another CPU as part of the arrow, and a duplicated message with an arrow of its own', () => {
      const farId = 2 ** 48 + 1;
      const { trace } = traceOf(
        stamp([
          { kind: 'send', from: a, to: far, messageType: 'ping', atMs: 2 }, // 1
          { kind: 'send', from: a, to: far, messageType: 'ping', cause: 1, cpu: 1, id: farId, atMs: 2 },
          { kind: 'receive', pid: far, messageType: 'ping', depth: 0, runnable: 1, cause: farId, cpu: 1, id: farId + 1, atMs: 2 },
          { kind: 'receive', pid: far, messageType: 'ping', depth: 0, runnable: 1, cause: farId, cpu: 1, id: farId + 2, atMs: 3 },
        ]),
      );
      expect(traceProblems(trace)).to.deep.equal([]);
      expect(phases(trace, 's').map((start) => [start.id, start.pid])).to.deep.equal([
        [1, 1],
        [farId + 2, 1],
      ]);
      expect(phases(trace, 'f').map((end) => [end.id, end.pid])).to.deep.equal([
        [1, 2],
        [farId + 2, 2],
      ]);
      // The hop is not a send slice on CPU 1.
      expect(phases(trace, 'X').map((slice) => `${slice.pid} ${slice.name}`)).to.deep.equal(['1 send ping', '2 ping', '2 ping']);
    });

    it('marks faults, restarts, stops, dead letters and escalations as instants, and leaves unreceived sends without arrows', () => {
      const { trace } = traceOf(
        stamp([
          { kind: 'send', from: 0, to: a, messageType: 'lost', atMs: 0 },
          { kind: 'dead-letter', from: 0, to: a, messageType: 'lost', reason: 'fault-injected', atMs: 0 },
          { kind: 'fault', pid: a, error: 'Error: boom', messageType: 'go', atMs: 1 },
          { kind: 'restart', pid: a, attempt: 1, cause: 3, atMs: 1 },
          { kind: 'transition', pid: b, machine: 'supervisor', from: 'running', to: 'escalating', event: 'child.restart-needed', atMs: 2 },
          { kind: 'transition', pid: b, machine: 'supervisor', from: 'escalating', to: 'failed', event: 'children.down', atMs: 2 },
          { kind: 'stop', pid: b, reason: 'shutdown', atMs: 3 },
        ]),
      );
      expect(traceProblems(trace)).to.deep.equal([]);
      expect(phases(trace, 'i').map((instant) => instant.name)).to.deep.equal(['dead-letter lost', 'fault', 'restart', 'escalate', 'stop']);
      expect(phases(trace, 's')).to.deep.equal([]);
    });

    it("counts each mailbox's depth and each CPU's run queue when they change, and empties a stopped actor's mailbox", () => {
      const { trace } = traceOf(
        stamp([
          { kind: 'spawn', pid: a, parent: 0, label: 'A', name: 'a', atMs: 0 },
          { kind: 'send', from: 0, to: a, messageType: 'go', depth: 1, atMs: 1 }, // 2
          { kind: 'send', from: 0, to: a, messageType: 'go', depth: 2, atMs: 1 }, // 3
          { kind: 'send', from: 0, to: a, messageType: 'go', depth: 3, atMs: 1 }, // 4
          { kind: 'receive', pid: a, messageType: 'go', depth: 2, runnable: 2, cause: 2, atMs: 2 },
          { kind: 'receive', pid: a, messageType: 'go', depth: 1, runnable: 2, cause: 3, atMs: 2 },
          { kind: 'send', from: a, to: far, messageType: 'ping', atMs: 2 }, // 7: into the ring, no depth
          { kind: 'send', from: a, to: far, messageType: 'ping', depth: 1, cause: 7, cpu: 1, id: 2 ** 48 + 1, atMs: 2 },
          { kind: 'stop', pid: a, reason: 'shutdown', atMs: 3 },
        ]),
      );
      expect(traceProblems(trace)).to.deep.equal([]);
      const counted = phases(trace, 'C').map((counter) => `${counter.pid} ${counter.name} ${JSON.stringify(counter.args)}`);
      expect(counted).to.deep.equal([
        '1 mailbox a <0.8.1> {"depth":1}',
        '1 mailbox a <0.8.1> {"depth":2}',
        '1 mailbox a <0.8.1> {"depth":3}',
        '1 mailbox a <0.8.1> {"depth":2}',
        '1 run queue {"runnable":2}',
        '1 mailbox a <0.8.1> {"depth":1}',
        '2 mailbox <1.8.1> {"depth":1}',
        '1 mailbox a <0.8.1> {"depth":0}',
      ]);
      // Counters never go back in time on their track.
      const latest = new Map<string, number>();
      for (const counter of phases(trace, 'C')) {
        const track = `${counter.pid} ${counter.name}`;
        expect(counter.ts).to.be.at.least(latest.get(track) ?? 0);
        latest.set(track, counter.ts!);
      }
    });

    it("draws a message's arrival in a far mailbox when it arrived, after what the far actor did meanwhile", () => {
      const farId = 2 ** 48;
      const farOther = makePid(1, 9, 1);
      const { trace } = traceOf(
        stamp([
          { kind: 'send', from: a, to: far, messageType: 'slow', atMs: 1 }, // 1: into the ring
          { kind: 'send', from: farOther, to: far, messageType: 'near', depth: 1, cpu: 1, id: farId + 1, atMs: 2 },
          { kind: 'receive', pid: far, messageType: 'near', depth: 0, runnable: 1, cause: farId + 1, cpu: 1, id: farId + 2, atMs: 3 },
          { kind: 'send', from: a, to: far, messageType: 'slow', depth: 1, cause: 1, cpu: 1, id: farId + 3, atMs: 5 }, // the hop
          { kind: 'receive', pid: far, messageType: 'slow', depth: 0, runnable: 1, cause: farId + 3, cpu: 1, id: farId + 4, atMs: 9 },
        ]),
      );
      expect(traceProblems(trace)).to.deep.equal([]);
      const mailbox = phases(trace, 'C').filter((counter) => counter.name.startsWith('mailbox'));
      expect(mailbox.map((counter) => [counter.args!.depth, Math.floor(counter.ts! / 1000)])).to.deep.equal([
        [1, 2],
        [0, 3],
        [1, 5],
        [0, 9],
      ]);
    });

    it('keeps at most eventsMax events, and says how many it left out', () => {
      const events = stamp([
        { kind: 'stop', pid: a, reason: 'normal', atMs: 0 },
        { kind: 'stop', pid: b, reason: 'normal', atMs: 0 },
        { kind: 'stop', pid: b, reason: 'normal', atMs: 0 },
      ]);
      const { recorder, trace } = traceOf(events, 1);
      expect([recorder.recordedEvents, recorder.droppedEvents]).to.deep.equal([1, 2]);
      expect(phases(trace, 'i')).to.have.length(1);
      expect(trace.otherData).to.deep.equal({ droppedEvents: 2 });
      expect(traceOf(events).trace.otherData).to.equal(undefined);
    });
  });

  it("is exported as 'osprey/inspector', the bundle's names those of the module", async () => {
    // Through a variable: tsc runs before the bundle exists.
    const importPackage = (specifier: string) => import(specifier) as Promise<Record<string, unknown>>;
    const bundled = await importPackage('osprey/inspector');
    const compiled = (await import('../../inspector/index.js')) as Record<string, unknown>;
    expect(Object.keys(bundled).sort()).to.deep.equal(Object.keys(compiled).sort());
  });
});

describe('inspector: osprey sim --trace', function () {
  this.timeout(20_000);
  const fixture = fileURLToPath(new URL('../sim/fixtures/tally.sim.js', import.meta.url));
  const run = (...args: string[]) => runOsprey('sim', fixture, ...args);

  it('writes the run of a seed as a valid trace, and refuses to trace without one', async () => {
    const home = mkdtempSync(join(tmpdir(), 'osprey-trace-'));
    try {
      const file = join(home, 'tally.trace.json');
      const [traced, unseeded] = await Promise.all([run('--seed', '0', '--trace', file), run('--seeds', '2', '--trace', file)]);
      expect(traced.code, traced.stderr).to.equal(1); // the tally loses counts on seed 0
      const trace = JSON.parse(readFileSync(file, 'utf8')) as ChromeTrace;
      expect(traceProblems(trace)).to.deep.equal([]);
      expect(traced.stdout).to.include(`trace: ${file} (${trace.traceEvents.length} events); open it in https://ui.perfetto.dev`);
      expect(trace.traceEvents.filter((event) => event.name === 'restart')).to.have.length(2);
      expect(unseeded.code).to.not.equal(0);
      expect(unseeded.stderr).to.include('--trace records one run: give its --seed');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

type BallMsg = { readonly type: 'ball'; readonly left: number; readonly to: ActorRef<BallMsg> };

describe('inspector: the trace of a live kernel', () => {
  it('records a real kernel from start to stop, and nothing after', async () => {
    const kernel = await Kernel.boot();
    const Player = fromSetup<BallMsg>(
      () => ({ receive: (message, ctx) => void (message.left > 0 && message.to.tell({ type: 'ball', left: message.left - 1, to: ctx.self })) }),
      'Player',
    );
    const a = kernel.spawn(Player, { name: 'a' });
    const b = kernel.spawn(Player, { name: 'b' });
    const trace = startTrace(kernel);
    a.tell({ type: 'ball', left: 20, to: b });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const recorded = trace.recordedEvents;
    const chrome = trace.stop();
    expect(recorded).to.be.above(40);
    expect(traceProblems(chrome)).to.deep.equal([]);
    expect(chrome.traceEvents.filter((event) => event.ph === 's')).to.have.length(21);
    // Stopped, it records nothing more, and gives the same trace again.
    a.tell({ type: 'ball', left: 5, to: b });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(trace.recordedEvents).to.equal(recorded);
    expect(serializeTrace(trace.stop())).to.equal(serializeTrace(chrome));
    // Written, the file is that trace.
    const home = mkdtempSync(join(tmpdir(), 'osprey-live-trace-'));
    try {
      const file = join(home, 'rally.trace.json');
      expect(await trace.write(file)).to.equal(chrome);
      expect(readFileSync(file, 'utf8')).to.equal(serializeTrace(chrome));
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
    await kernel.shutdown();
  });

  it('counts a mailbox filling and draining, and the run queue of the CPUs its senders and it run on', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 5, cpus: 2, modules: [new URL('../sim/fixtures/cpu-counter.js', import.meta.url)] });
    const counter = await kernel.runUntil(kernel.spawned(kernel.spawn(CpuCounter, { cpu: 1, name: 'counter' })));
    const Sink = fromSetup<{ readonly type: 'drop' }>(() => ({ receive: () => {} }), 'Sink');
    const sink = kernel.spawn(Sink, { name: 'sink' });
    const trace = startTrace(kernel);
    for (let i = 0; i < 10; i++) sink.tell({ type: 'drop' });
    const asked = Promise.all([1, 2, 3].map((n) => counter.ask({ type: 'add', n })));
    await kernel.runUntil(asked);
    const chrome = trace.stop();
    expect(traceProblems(chrome)).to.deep.equal([]);
    const series = (pid: number, name: string) =>
      chrome.traceEvents.filter((event) => event.ph === 'C' && event.pid === pid && event.name === name).map((event) => Object.values(event.args!)[0]);
    // Spawned before the trace started, the sink is named from CPU 0's status.
    expect(series(1, `mailbox sink ${formatPid(sink.pid)}`)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // The counter's mailbox is on CPU 1, where the asks arrive (a simulated CPU 1 is not asked for names).
    const far = series(2, `mailbox ${formatPid(counter.pid)}`);
    expect(far.length).to.be.above(0);
    expect(far.at(-1)).to.equal(0);
    expect(series(1, 'run queue').length).to.be.above(0);
    expect(series(2, 'run queue').every((runnable) => Number(runnable) >= 1)).to.equal(true);
    await kernel.runUntil(kernel.shutdown());
  });
});
