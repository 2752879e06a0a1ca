/**
 * Programs from xstate's documentation, unchanged, run under `fromMachine` on a simulated kernel and
 * under xstate's own interpreter (`createActor`, on xstate's SimulatedClock), with the same inputs
 * at the same virtual times: each must take the same steps (event and state) at the same times.
 *
 * Sources (stately.ai/docs): "Invoke" (fetching a user with fromPromise), "Actors" (the ping-pong
 * of a parent and its invoked child with sendParent and a delayed sendTo), "Delayed transitions"
 * (the traffic light, with a named delay).
 */
import { expect } from 'chai';
import {
  type AnyStateMachine,
  assign,
  createActor,
  createMachine,
  type EventObject,
  fromPromise,
  isMachineSnapshot,
  SimulatedClock,
  sendParent,
  sendTo,
  setup,
} from 'xstate';
import { fromMachine, type KernelEvent } from '../../../boot/index.js';
import { bootSimulated, collectEvents, settle, shutdown } from './helpers.js';

/** The fake network the fetch example calls instead of `fetch`: each call waits for the test to answer it. */
class FakeUserApi {
  private readonly pending: ((user: { name: string }) => void)[] = [];
  private readonly failing: ((error: Error) => void)[] = [];

  fetchUser(userId: number): Promise<{ name: string }> {
    return new Promise((resolve, reject) => {
      this.pending.push(resolve);
      this.failing.push(reject);
      void userId;
    });
  }

  answer(name: string): void {
    this.failing.shift();
    this.pending.shift()?.({ name });
  }

  fail(why: string): void {
    this.pending.shift();
    this.failing.shift()?.(new Error(why));
  }
}

// From "Invoke": the user machine, with `fetch` replaced by the fake API.
function userMachine(api: FakeUserApi) {
  return setup({
    actors: {
      fetchUser: fromPromise(async ({ input }: { input: { userId: number } }) => api.fetchUser(input.userId)),
    },
  }).createMachine({
    id: 'user',
    initial: 'idle',
    context: { userId: 42, user: undefined as { name: string } | undefined, error: undefined as unknown },
    states: {
      idle: { on: { FETCH: { target: 'loading' } } },
      loading: {
        invoke: {
          id: 'getUser',
          src: 'fetchUser',
          input: ({ context: { userId } }) => ({ userId }),
          onDone: { target: 'success', actions: assign({ user: ({ event }) => event.output }) },
          onError: { target: 'failure', actions: assign({ error: ({ event }) => event.error }) },
        },
      },
      success: {},
      failure: { on: { RETRY: { target: 'loading' } } },
    },
  });
}

// From "Actors": ping-pong between a parent and the child it invokes.
const pongMachine = createMachine({
  id: 'pong',
  on: { PING: { actions: sendParent({ type: 'PONG' }) } },
});
const pingMachine = createMachine({
  id: 'ping',
  initial: 'active',
  context: { pongs: 0 },
  invoke: { id: 'pong', src: pongMachine },
  entry: sendTo('pong', { type: 'PING' }),
  states: { active: { on: { PONG: { actions: [assign({ pongs: ({ context }) => context.pongs + 1 }), sendTo('pong', { type: 'PING' }, { delay: 1000 })] } } } },
});

// From "Delayed transitions": a traffic light whose green lasts as long as the traffic is heavy.
const trafficLightMachine = setup({
  types: {} as { context: { trafficLevel: number } },
  delays: { greenDelay: ({ context }) => context.trafficLevel * 1000 },
}).createMachine({
  id: 'trafficLight',
  initial: 'green',
  context: { trafficLevel: 3 },
  states: {
    green: { after: { greenDelay: { target: 'yellow' } } },
    yellow: { after: { 1000: { target: 'red' } } },
    red: { after: { 2000: { target: 'green' } } },
  },
});

/** One step of a run: send an event, advance virtual time, or let the test's own code act. */
type Step = { readonly send: EventObject } | { readonly advance: number } | { readonly act: () => void };

/**
 * What a run shows: after the start and after each step, the steps the machine took, each as
 * `event -> state value` (the macrosteps of the machine itself, not of its children).
 */
type Run = string[][];

function stepText(eventType: string, value: unknown): string {
  return `${eventType} -> ${JSON.stringify(value)}`;
}

/** The run under xstate's own interpreter. */
async function underXstate(machine: AnyStateMachine, steps: readonly Step[]): Promise<Run> {
  const clock = new SimulatedClock();
  let taken: string[] = [];
  const actor = createActor(machine, {
    clock,
    inspect: (inspection) => {
      if (inspection.type === '@xstate.snapshot' && inspection.actorRef === actor && isMachineSnapshot(inspection.snapshot))
        taken.push(stepText(inspection.event.type, inspection.snapshot.value));
    },
  });
  const run: Run = [];
  const checkpoint = async () => {
    await macrotask();
    run.push(taken);
    taken = [];
  };
  actor.start();
  await checkpoint();
  for (const step of steps) {
    if ('send' in step) actor.send(step.send);
    else if ('advance' in step) clock.increment(step.advance);
    else step.act();
    await checkpoint();
  }
  actor.stop();
  return run;
}

/** The same run under the kernel, read from its transition events. */
async function underKernel(machine: AnyStateMachine, steps: readonly Step[]): Promise<Run> {
  const kernel = await bootSimulated();
  const events = collectEvents(kernel);
  const ref = kernel.spawn(fromMachine(machine));
  const run: Run = [];
  let seen = 0;
  const checkpoint = async () => {
    await settle(kernel);
    run.push(stepsOf(events.slice(seen), ref.pid));
    seen = events.length;
  };
  await checkpoint();
  for (const step of steps) {
    if ('send' in step) ref.tell(step.send);
    else if ('advance' in step) await kernel.advance(step.advance);
    else step.act();
    await checkpoint();
  }
  await shutdown(kernel);
  return run;
}

function stepsOf(events: readonly KernelEvent[], pid: number): string[] {
  const taken: string[] = [];
  for (const event of events) {
    if (event.kind === 'transition' && event.pid === pid) taken.push(stepText(event.event, event.to.startsWith('{') ? JSON.parse(event.to) : event.to));
  }
  return taken;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('xstate machine actors: programs from xstate docs run unchanged', () => {
  it('fetch a user with an invoked promise: reject, retry, resolve', async () => {
    const run = async (runner: typeof underXstate) => {
      const api = new FakeUserApi();
      return runner(userMachine(api), [
        { send: { type: 'FETCH' } },
        { act: () => api.fail('offline') },
        { send: { type: 'RETRY' } },
        { act: () => api.answer('Ada') },
      ]);
    };
    const kernelRun = await run(underKernel);
    expect(kernelRun).to.deep.equal([
      ['xstate.init -> "idle"'],
      ['FETCH -> "loading"'],
      ['xstate.error.actor.getUser -> "failure"'],
      ['RETRY -> "loading"'],
      ['xstate.done.actor.getUser -> "success"'],
    ]);
    expect(kernelRun).to.deep.equal(await run(underXstate));
  });

  it('ping-pong between a parent and its invoked child, on delayed sends', async () => {
    // Steps of at most one delay: xstate's SimulatedClock moves to the end of a step before it
    // fires what is due, so a PING sent during a longer step would be due after it.
    const steps: Step[] = [{ advance: 999 }, { advance: 1 }, { advance: 1000 }, { advance: 1000 }];
    const kernelRun = await underKernel(pingMachine, steps);
    expect(kernelRun.map((taken) => taken.filter((step) => step.startsWith('PONG')).length)).to.deep.equal([1, 0, 1, 1, 1]);
    expect(kernelRun).to.deep.equal(await underXstate(pingMachine, steps));
    // The kernel's clock fires the pings a long step passes over, each at its time.
    const long = await underKernel(pingMachine, [{ advance: 3000 }]);
    expect(long[1]).to.deep.equal(['PONG -> "active"', 'PONG -> "active"', 'PONG -> "active"']);
  });

  it('run a traffic light on delayed transitions with a named delay', async () => {
    const steps: Step[] = [{ advance: 2999 }, { advance: 1 }, { advance: 1000 }, { advance: 2000 }, { advance: 3000 }];
    const kernelRun = await underKernel(trafficLightMachine, steps);
    expect(kernelRun.map((taken) => taken.map((step) => step.split(' -> ')[1]))).to.deep.equal([
      ['"green"'],
      [],
      ['"yellow"'],
      ['"red"'],
      ['"green"'],
      ['"yellow"'],
    ]);
    expect(kernelRun).to.deep.equal(await underXstate(trafficLightMachine, steps));
  });
});
