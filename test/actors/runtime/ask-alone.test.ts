import { expect } from 'chai';
import fc from 'fast-check';
import { Actor, ActorCrashedError, ActorStoppedError, type ActorContext, type ActorRef, type Ask, Kernel } from '../../../boot/index.js';
import type { FairDispatcher } from '../../../actors/sched/fair-dispatcher.js';
import type { SchedCell } from '../../../actors/sched/sched-cell.js';
import type { CpuState } from '../../../actors/sched/cpu-state.js';
import { Recorder } from '../cpu/fixtures/behaviors.js';
import { createRealClock } from '../../../drivers/clock/real.js';
import type { Clock } from '../../../drivers/clock/clock.js';
import { DrainLimit } from '../../../actors/runtime/limits.js';
import { rejectionOf } from './helpers.js';

/** Lets a real-clock kernel finish what it was given: a few turns of the event loop. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

// An ask from outside to an idle actor on an idle CPU runs in the call, its message handed straight
// to `receive` (Dispatcher.runAskAlone): no mailbox, no wake. Nothing else may tell it apart from a
// delivered ask but its speed. A traced kernel always delivers (its trace shows the send), so the
// same program on a traced and an untraced kernel must give the same story.

type Step = 'echo' | 'tell-self' | 'tell-other' | 'crash' | 'async' | 'async-reject' | 'after-tell';
type Msg = Ask<{ readonly type: 'ask'; readonly step: Step; readonly n: number }, number> | { readonly type: 'note'; readonly n: number };

interface LoggerArgs {
  readonly name: string;
  readonly log: string[];
  readonly peer: { ref: ActorRef<Msg> | null };
}

/** Logs every message it handles (`actor:step:n`) in a log shared with its peer. */
class Logger extends Actor<Msg, LoggerArgs> {
  receive(msg: Msg, ctx: ActorContext<Msg>): void | Promise<void> {
    this.args.log.push(`${this.args.name}:${msg.type === 'ask' ? msg.step : 'note'}:${msg.n}`);
    if (msg.type === 'note') return;
    switch (msg.step) {
      case 'tell-self':
        ctx.self.tell({ type: 'note', n: msg.n });
        break;
      case 'tell-other':
        this.args.peer.ref!.tell({ type: 'note', n: msg.n });
        break;
      case 'crash':
        throw new Error(`crash ${msg.n}`);
      case 'async': {
        const answer = ctx.replyLater(msg);
        return Promise.resolve().then(() => {
          answer.resolve(msg.n * 2);
        });
      }
      case 'async-reject':
        return Promise.reject(new Error(`async crash ${msg.n}`));
    }
    ctx.reply(msg, msg.n * 2);
  }
}

interface Story {
  log: string[];
  outcomes: string[];
  handled: number;
  switches: number;
  /** The steps offered to `runAskAlone`, and whether each ran alone. */
  offered: Map<number, boolean>;
}

/**
 * Records, from now on, each ask from outside offered to `runAskAlone` (by its message's `n`) and
 * whether it ran alone. An ask is offered unless it is the first after the event loop has not
 * turned for `DrainLimit.msMax` (see `Dispatcher.beginSendFromOutside`), which goes the usual way.
 */
function recordAlone(kernel: Kernel): Map<number, boolean> {
  const dispatcher = kernel.core.dispatcher;
  const runAskAlone = dispatcher.runAskAlone;
  const offered = new Map<number, boolean>();
  dispatcher.runAskAlone = function (this: typeof dispatcher, cell, message, origin) {
    const ran = runAskAlone.call(this, cell, message, origin);
    offered.set((message as { n: number }).n, ran);
    return ran;
  };
  return offered;
}

/**
 * Whether each step of `program` runs alone if offered: all but an ask behind a tell, and an ask to
 * a crashed actor (a top-level actor that crashes is not restarted: a temporary child of the user
 * guardian).
 */
function aloneIn(program: readonly { step: Step; target: 0 | 1 }[]): boolean[] {
  const crashed = [false, false];
  return program.map(({ step, target }) => {
    const alone = !crashed[target] && step !== 'after-tell';
    if (step === 'crash' || step === 'async-reject') crashed[target] = true;
    return alone;
  });
}

/**
 * Gives each actor a first message, and forgets it: a new actor joins the scheduler at its first
 * wake, so its first ask is delivered.
 */
async function warmUp(actors: readonly ActorRef<Msg>[], log: string[]): Promise<void> {
  for (const actor of actors) actor.tell({ type: 'note', n: -1 });
  await settle();
  log.length = 0;
}

/** Runs `steps` on a fresh kernel, traced or not, and tells what happened. */
async function storyOf(scheduler: 'fair' | 'fifo', traced: boolean, steps: readonly { step: Step; target: 0 | 1 }[]): Promise<Story> {
  const kernel = await Kernel.boot({ scheduler });
  const log: string[] = [];
  const peers = [{ ref: null as ActorRef<Msg> | null }, { ref: null as ActorRef<Msg> | null }];
  const actors = [kernel.spawn(Logger, { args: { name: 'a', log, peer: peers[0]! } }), kernel.spawn(Logger, { args: { name: 'b', log, peer: peers[1]! } })];
  peers[0]!.ref = actors[1]!;
  peers[1]!.ref = actors[0]!;
  await warmUp(actors, log);
  const subscription = traced ? kernel.events.subscribe(() => {}) : null;
  const dispatcher = kernel.core.dispatcher;
  const offered = recordAlone(kernel);
  const outcomes: string[] = [];
  const handledBefore = dispatcher.messagesHandled;
  const switchesBefore = scheduler === 'fair' ? (dispatcher as FairDispatcher).scheduler.stats.switches : 0;
  for (const [n, { step, target }] of steps.entries()) {
    const actor = actors[target]!;
    // A tell right before the ask: the ask must queue behind it.
    if (step === 'after-tell') actor.tell({ type: 'note', n });
    const answer = actor.ask({ type: 'ask', step, n });
    outcomes.push(await answer.then(String, (error: Error) => error.name));
    await settle();
  }
  const story: Story = {
    log,
    outcomes,
    handled: dispatcher.messagesHandled - handledBefore,
    switches: scheduler === 'fair' ? (dispatcher as FairDispatcher).scheduler.stats.switches - switchesBefore : 0,
    offered,
  };
  subscription?.unsubscribe();
  await kernel.shutdown();
  return story;
}

const steps = fc.array(
  fc.record({
    step: fc.constantFrom<Step>('echo', 'tell-self', 'tell-other', 'crash', 'async', 'async-reject', 'after-tell'),
    target: fc.constantFrom<0 | 1>(0, 1),
  }),
  { minLength: 1, maxLength: 12 },
);

for (const scheduler of ['fair', 'fifo'] as const) {
  describe(`an ask from outside to an idle actor on an idle CPU (${scheduler}, real clock)`, () => {
    it('tells the same story as a delivered ask: messages, their order, answers, turns', async () => {
      await fc.assert(
        fc.asyncProperty(steps, async (program) => {
          const delivered = await storyOf(scheduler, true, program);
          const alone = await storyOf(scheduler, false, program);
          expect([...delivered.offered.values()], 'a traced kernel delivers every ask').not.to.include(true);
          const expected = aloneIn(program);
          for (const [n, ran] of alone.offered) expect(ran, `step ${n} ran alone`).to.equal(expected[n]);
          expect(alone.log).to.deep.equal(delivered.log);
          expect(alone.outcomes).to.deep.equal(delivered.outcomes);
          expect(alone.handled).to.equal(delivered.handled);
          expect(alone.switches).to.equal(delivered.switches);
        }),
        { numRuns: 25 },
      );
    });

    it('runs in the call: the answer and the work the turn left are done before ask() returns', async () => {
      const kernel = await Kernel.boot({ scheduler });
      const log: string[] = [];
      const peer = { ref: null as ActorRef<Msg> | null };
      const a = kernel.spawn(Logger, { args: { name: 'a', log, peer } });
      peer.ref = kernel.spawn(Logger, { args: { name: 'b', log, peer: { ref: a } } });
      await warmUp([a, peer.ref], log);
      const offered = recordAlone(kernel);
      const answer = a.ask({ type: 'ask', step: 'tell-self', n: 1 });
      const other = a.ask({ type: 'ask', step: 'tell-other', n: 2 });
      expect(log, 'both turns, and the notes they sent, ran inside the asks').to.deep.equal(['a:tell-self:1', 'a:note:1', 'a:tell-other:2', 'b:note:2']);
      expect(kernel.core.asks.size).to.equal(0);
      expect([...offered.values()], 'every ask offered ran alone').not.to.include(false);
      expect([await answer, await other]).to.deep.equal([2, 4]);
      await kernel.shutdown();
    });

    it('waits behind mail already queued, and fails as a delivered ask fails: a crash, then a stopped actor', async () => {
      const story = await storyOf(scheduler, false, [
        { step: 'after-tell', target: 1 },
        { step: 'crash', target: 1 },
        { step: 'echo', target: 1 },
      ]);
      expect(story.log).to.deep.equal(['b:note:0', 'b:after-tell:0', 'b:crash:1']);
      expect(story.outcomes).to.deep.equal(['0', ActorCrashedError.name, ActorStoppedError.name]);
      // The tell asked for a drain, so the ask behind it was not even offered (it went the usual
      // way); the last found a stopped actor. Only the crash ran alone.
      expect(story.offered.has(0), 'an ask behind a tell is delivered').to.equal(false);
      expect([story.offered.get(1), story.offered.get(2)]).to.deep.equal([true, false]);
    });

    it('holds an actor whose handler awaits: mail that comes meanwhile waits, and a rejection crashes it', async () => {
      const kernel = await Kernel.boot({ scheduler });
      const log: string[] = [];
      let release = (): void => {};
      const held = new Promise<void>((resolve) => (release = resolve));
      const waiter = kernel.spawn(
        class extends Actor<Ask<{ readonly type: 'wait' | 'fail' | 'echo'; readonly n: number }, number>> {
          receive(msg: Ask<{ readonly type: 'wait' | 'fail' | 'echo'; readonly n: number }, number>, ctx: ActorContext<never>): void | Promise<void> {
            log.push(`${msg.type}:${msg.n}`);
            if (msg.type === 'echo') return ctx.reply(msg as never, msg.n as never);
            if (msg.type === 'fail') return Promise.reject(new Error('rejected'));
            const answer = ctx.replyLater(msg as never);
            return held.then(() => {
              answer.resolve(msg.n as never);
            });
          }
        },
      );
      await waiter.ask({ type: 'echo', n: 0 });
      const offered = recordAlone(kernel);
      const first = waiter.ask({ type: 'wait', n: 1 });
      const second = waiter.ask({ type: 'echo', n: 2 });
      await settle();
      expect(log, 'the second waits for the first handler to settle').to.deep.equal(['echo:0', 'wait:1']);
      expect([offered.get(1), offered.get(2)], 'the first ran alone; the second found the actor held').to.deep.equal([true, false]);
      release();
      expect([await first, await second]).to.deep.equal([1, 2]);
      expect(await rejectionOf(waiter.ask({ type: 'fail', n: 3 }))).to.be.instanceOf(ActorCrashedError);
      expect(offered.get(3)).to.equal(true);
      await kernel.shutdown();
    });
  });
}

describe('an ask run alone on a kernel of two CPUs', () => {
  it('sends what its turn tells to another CPU, in order', async () => {
    const kernel = await Kernel.boot({ cpus: 2, modules: [new URL('../cpu/fixtures/behaviors.js', import.meta.url)] });
    try {
      const recorder = kernel.spawn(Recorder, { cpu: 1 });
      await kernel.spawned(recorder);
      const sender = kernel.spawn(
        class extends Actor<Ask<{ readonly type: 'send'; readonly n: number }, number>> {
          receive(msg: Ask<{ readonly type: 'send'; readonly n: number }, number>, ctx: ActorContext<never>): void {
            for (let i = 0; i < 3; i++) recorder.tell({ type: 'note', from: 1, seq: 3 * msg.n + i });
            ctx.reply(msg as never, msg.n as never);
          }
        },
      );
      await sender.ask({ type: 'send', n: 0 });
      const offered = recordAlone(kernel);
      for (let n = 1; n < 10; n++) expect(await sender.ask({ type: 'send', n })).to.equal(n);
      expect([...offered.values()], 'asks that ran alone')
        .to.include(true)
        .and.not.include(false);
      expect(await recorder.ask({ type: 'summary' })).to.deep.equal({ count: 30, inOrder: true });
    } finally {
      await kernel.shutdown();
    }
  });
});

/**
 * The dispatcher's next call of `method` throws once it has run, as a kernel bug would. With
 * `aloneOnly`, only a call for a turn run alone (its actor is `aloneTurn` as it starts): the fair
 * drain runs turns of one message through `runOne` too, and an ask that did not run alone must not
 * pass these tests.
 */
function throwAfterNext(kernel: Kernel, method: 'runOne' | 'runMessages', aloneOnly = false): void {
  const dispatcher = kernel.core.dispatcher as unknown as Record<typeof method, (...args: unknown[]) => number> & { aloneTurn?: unknown };
  const original = dispatcher[method];
  dispatcher[method] = function (this: typeof dispatcher, ...args: unknown[]) {
    const throws = !aloneOnly || this.aloneTurn === args[0];
    const handled = original.apply(this, args);
    if (!throws) return handled;
    dispatcher[method] = original;
    throw new Error('a kernel bug in a turn');
  };
}

describe('an ask from outside, when a kernel bug throws', () => {
  for (const scheduler of ['fair', 'fifo'] as const) {
    for (const [where, traced] of [
      ['its turn run alone', false],
      ['the drain run inside it', true],
    ] as const) {
      it(`leaves its actor to a drain when ${where} throws (${scheduler}): a tell after it is handled`, async () => {
        const kernel = await Kernel.boot({ scheduler });
        const log: string[] = [];
        const actor = kernel.spawn(Logger, { args: { name: 'a', log, peer: { ref: null } } });
        await warmUp([actor], log);
        // Traced, an ask is delivered and its drain runs inside the call (`endSendFromOutside`).
        const subscription = traced ? kernel.events.subscribe(() => {}) : null;
        // The fair drain runs turns of one message through `runOne` too: only the turn run alone throws there.
        if (traced) throwAfterNext(kernel, 'runMessages');
        else throwAfterNext(kernel, 'runOne', scheduler === 'fair');
        expect(() => actor.ask({ type: 'ask', step: 'echo', n: 1 })).to.throw('a kernel bug');
        // A tell never runs alone: it is delivered, and only a drain runs it. The actor was left
        // marked scheduled, so its delivery asks for no drain of its own.
        actor.tell({ type: 'note', n: 2 });
        await settle();
        expect(log, 'the tell was handled').to.deep.equal(['a:echo:1', 'a:note:2']);
        subscription?.unsubscribe();
        await kernel.shutdown();
      });
    }
  }
});

describe('an ask run alone under the fair scheduler', () => {
  it('leaves no time of its own behind when its turn throws (a kernel bug), and the next ask is answered', async () => {
    const kernel = await Kernel.boot({ scheduler: 'fair' });
    const actor = kernel.spawn(Logger, { args: { name: 'a', log: [], peer: { ref: null } } });
    await warmUp([actor], []);
    throwAfterNext(kernel, 'runOne', true);
    expect(() => actor.ask({ type: 'ask', step: 'echo', n: 1 })).to.throw('a kernel bug in a turn');
    // A reading left behind would date the next wakes and drains from outside.
    expect((kernel.core.dispatcher as unknown as { sendReadingMs: number }).sendReadingMs, 'no send under way').to.equal(-1);
    await settle();
    expect(await actor.ask({ type: 'ask', step: 'echo', n: 2 })).to.equal(4);
    expect(kernel.core.asks.size).to.equal(0);
    await kernel.shutdown();
  });

  it('starts from a reading of the clock after the event loop turned, not from the last drain', async () => {
    const kernel = await Kernel.boot({ scheduler: 'fair' });
    const actor = kernel.spawn(Logger, { args: { name: 'a', log: [], peer: { ref: null } } });
    await warmUp([actor], []);
    const dispatcher = kernel.core.dispatcher as unknown as { sendReadingMs: number; sendReadingEstimated: boolean };
    const offered = recordAlone(kernel);
    const readings: { ms: number; estimated: boolean }[] = [];
    const runAskAlone = kernel.core.dispatcher.runAskAlone;
    kernel.core.dispatcher.runAskAlone = function (this: typeof kernel.core.dispatcher, cell, message, origin) {
      readings.push({ ms: dispatcher.sendReadingMs, estimated: dispatcher.sendReadingEstimated });
      return runAskAlone.call(this, cell, message, origin);
    };
    expect(await actor.ask({ type: 'ask', step: 'echo', n: 1 })).to.equal(2);
    // Longer than a window of asks (`DrainLimit.msMax`), and the event loop turns meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 5));
    const afterWaitMs = kernel.core.clock.now();
    expect(await actor.ask({ type: 'ask', step: 'echo', n: 2 })).to.equal(4);
    expect(offered.get(2), 'the second ask ran alone').to.equal(true);
    expect(readings[1]!.estimated, 'a reading, not the last drain’s end').to.equal(false);
    expect(readings[1]!.ms).to.be.at.least(afterWaitMs);
    await kernel.shutdown();
  });

  it('loses no wake when its turn wakes an actor and then throws (a kernel bug): the woken one runs', async () => {
    const kernel = await Kernel.boot({ scheduler: 'fair' });
    const log: string[] = [];
    const peer = { ref: null as ActorRef<Msg> | null };
    const a = kernel.spawn(Logger, { args: { name: 'a', log, peer } });
    peer.ref = kernel.spawn(Logger, { args: { name: 'b', log, peer: { ref: null } } });
    await warmUp([a, peer.ref], log);
    throwAfterNext(kernel, 'runOne', true);
    expect(() => a.ask({ type: 'ask', step: 'tell-other', n: 1 })).to.throw('a kernel bug in a turn');
    await settle();
    expect(log, 'b got the note the turn sent').to.deep.equal(['a:tell-other:1', 'b:note:1']);
    expect(await a.ask({ type: 'ask', step: 'echo', n: 2 })).to.equal(4);
    await kernel.shutdown();
  });

  it('looks at the CPU’s rings after its turn, as a drain does between turns', async () => {
    const kernel = await Kernel.boot({ scheduler: 'fair' });
    const log: string[] = [];
    const a = kernel.spawn(Logger, { args: { name: 'a', log, peer: { ref: null } } });
    const b = kernel.spawn(Logger, { args: { name: 'b', log, peer: { ref: null } } });
    await warmUp([a, b], log);
    const dispatcher = kernel.core.dispatcher as FairDispatcher;
    // Rings standing for other CPUs: one frame waits, which tells b a note when pumped.
    let publishes = 0;
    let waiting = 1;
    dispatcher.rings = {
      publish: () => void publishes++,
      hasWork: () => waiting > 0,
      pump: () => {
        const frames = waiting;
        for (; waiting > 0; waiting--) b.tell({ type: 'note', n: 100 });
        return frames;
      },
    };
    const answer = a.ask({ type: 'ask', step: 'echo', n: 1 });
    dispatcher.rings = null;
    expect(log, 'the frame taken in ran in the same drain').to.deep.equal(['a:echo:1', 'b:note:100']);
    expect(publishes, 'what the turn sent was published').to.be.above(0);
    expect(await answer).to.equal(2);
    await kernel.shutdown();
  });

  it('reports the CPU idle after its turn even when the turn outlasted a drain', async () => {
    // A real clock whose readings are made up, 0.1 µs apart, and each turn takes 5 ms on it, past a
    // drain's end. Only a turn the dispatcher measures reads the clock at its end.
    const real = createRealClock();
    let readingMs = 0;
    const clock: Clock = { ...real, now: () => (readingMs += 1e-4) };
    type JumpMsg = Ask<{ readonly type: 'jump'; readonly n: number }, number>;
    class Jumper extends Actor<JumpMsg> {
      receive(message: JumpMsg, ctx: ActorContext<JumpMsg>): void {
        readingMs += DrainLimit.msMax + 3;
        ctx.reply(message, message.n);
      }
    }
    const kernel = await Kernel.boot({ clock, scheduler: 'fair' });
    const jumper = kernel.spawn(Jumper);
    expect(await jumper.ask({ type: 'jump', n: -1 })).to.equal(-1);
    const offered = recordAlone(kernel);
    const cpuState = (kernel.core.dispatcher as FairDispatcher).listener as CpuState;
    const drains = cpuState.entered.running;
    // Each ask after a turn of the event loop: it reads the clock, starts a window of asks from
    // outside of its own, and runs alone. A turn dearer than 20 µs ends at a reading every other
    // ask, past the drain's end.
    const asks = 40;
    for (let n = 0; n < asks; n++) {
      await new Promise((resolve) => setImmediate(resolve));
      expect(await jumper.ask({ type: 'jump', n })).to.equal(n);
      expect(cpuState.value, `the CPU idle after ask ${n}`).to.equal('idlePolling');
    }
    expect([...offered.values()].filter((ran) => ran).length, 'all ran alone').to.equal(asks);
    expect(cpuState.entered.running - drains, 'a drain reported for each').to.equal(asks);
    // Back to back, in one turn of the event loop: once the window of 2 ms has passed, asks take the
    // usual way, a drain after the send. The CPU is reported idle after each all the same.
    const drainsBefore = cpuState.entered.running;
    for (let n = 0; n < asks; n++) {
      expect(await jumper.ask({ type: 'jump', n })).to.equal(n);
      expect(cpuState.value, `the CPU idle after back-to-back ask ${n}`).to.equal('idlePolling');
    }
    expect(cpuState.entered.running - drainsBefore, 'a drain reported for each back-to-back ask').to.equal(asks);
    await kernel.shutdown();
  });

  it('is scheduled and charged as a delivered one: a switch, a wake recorded, a drain reported, runtime charged', async () => {
    const kernel = await Kernel.boot({ scheduler: 'fair' });
    const actor = kernel.spawn(Logger, { args: { name: 'a', log: [], peer: { ref: null } } });
    await warmUp([actor], []);
    const offered = recordAlone(kernel);
    const dispatcher = kernel.core.dispatcher as FairDispatcher;
    const scheduler = dispatcher.scheduler;
    const switches = scheduler.stats.switches;
    const wakes = dispatcher.wakeLatency.count;
    const cpuState = dispatcher.listener as CpuState;
    const drains = cpuState.entered.running;
    const entity = actor.cell as SchedCell;
    const runtime = entity.runtime;
    expect(scheduler.load, 'nothing runs or waits between asks').to.equal(0);
    let sum = 0;
    for (let n = 0; n < 1000; n++) sum += await actor.ask({ type: 'ask', step: 'echo', n });
    expect(sum).to.equal(999 * 1000);
    expect([...offered.values()], 'every ask offered ran alone').not.to.include(false);
    expect(offered.size, 'most were offered').to.be.above(500);
    expect(scheduler.stats.switches - switches).to.equal(1000);
    expect(dispatcher.wakeLatency.count - wakes).to.equal(1000);
    expect(cpuState.entered.running - drains, 'a drain begun for each, as the CPU state sees it').to.equal(1000);
    expect(cpuState.value, 'and run dry').to.equal('idlePolling');
    expect(scheduler.load, 'it sleeps after each').to.equal(0);
    expect(entity.runtime, 'charged for its turns').to.be.above(runtime);
    await kernel.shutdown();
  });
});
