/**
 * Exhaustive state-graph checks of the pure supervisor machine with xstate/graph: every state node
 * is reachable, every final state is reached and is terminal, the effects run on the right entries,
 * and escalation happens exactly when the restart intensity is exceeded (checked against an
 * independent model of OTP's intensity along every simple path).
 */
import { expect } from 'chai';
import { type AnyMachineSnapshot, getMicrosteps, initialTransition, transition } from 'xstate';
import { getAdjacencyMap, getShortestPaths, getSimplePaths, getStateNodes } from 'xstate/graph';
import { type SupervisorMachineEvent, supervisorMachine as defineSupervisorMachine } from '../../supervisors/index.js';
import type { SupervisorMachineInput as Input } from '../../supervisors/machine.js';

const supervisorMachine = defineSupervisorMachine();

type Snapshot = ReturnType<typeof supervisorMachine.transition>;

/** xstate's name for the `after: { backoffDelay }` event of `restarting.backingOff`. */
const backoffElapsed = { type: 'xstate.after.backoffDelay.supervisor.restarting.backingOff' } as const;

const windowMs = 5_000;

interface Config {
  readonly label: string;
  readonly input: Input;
  /** Failure times on both sides of the 5 s window (4 999 is inside the window of 0; 6 000 is outside it). */
  readonly failureTimesMs: readonly number[];
}

const withBackoff: Config = {
  label: 'restartsMax 1, with backoff',
  input: { restartsMax: 1, restartWindowMs: windowMs, backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0 } },
  failureTimesMs: [0, 4_999, 6_000, 12_000],
};
const twoRestartsNoBackoff: Config = {
  label: 'restartsMax 2, no backoff',
  input: { restartsMax: 2, restartWindowMs: windowMs, backoff: undefined },
  failureTimesMs: [0, 4_999, 6_000],
};
const noRestarts: Config = {
  label: 'restartsMax 0',
  input: { restartsMax: 0, restartWindowMs: windowMs, backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.2 } },
  failureTimesMs: [0, 6_000],
};
const configs = [withBackoff, twoRestartsNoBackoff, noRestarts] as const;

/**
 * The representative events in a state: a failure at each time not earlier than the last one
 * (virtual time never goes back), and every other event of the machine.
 */
function eventsOf(config: Config): (snapshot: Snapshot) => SupervisorMachineEvent[] {
  return (snapshot) => {
    // The latest failure granted a restart is always still in the window's list.
    const latest = Math.max(0, ...snapshot.context.restartTimesMs);
    return [
      ...config.failureTimesMs.filter((atMs) => atMs >= latest).map((atMs) => ({ type: 'child.restart-needed' as const, atMs, jitter: 0.5 })),
      { type: 'restart.done' },
      { type: 'auto-shutdown' },
      { type: 'children.down' },
      { type: 'shutdown' },
      backoffElapsed as unknown as SupervisorMachineEvent,
    ];
  };
}

const simplePathsCache = new Map<Config, ReturnType<typeof getSimplePaths<typeof supervisorMachine>>>();
/** All simple paths from the initial state (computed once per config). */
function simplePaths(config: Config): ReturnType<typeof getSimplePaths<typeof supervisorMachine>> {
  let paths = simplePathsCache.get(config);
  if (paths === undefined)
    simplePathsCache.set(config, (paths = getSimplePaths(supervisorMachine, { input: config.input, events: eventsOf(config) as never })));
  return paths;
}

/** `restarting.backingOff` → 'restarting.backingOff'; the compound parents too. */
function stateIds(snapshot: AnyMachineSnapshot): string[] {
  return [...(snapshot as unknown as { _nodes: Array<{ id: string }> })._nodes].map((node) => node.id.replace(/^supervisor\.?/, '')).filter((id) => id !== '');
}

/** Every snapshot of the graph, with the states passed through in microsteps (transient `deciding`). */
function explore(config: Config): { readonly snapshots: Snapshot[]; readonly visited: Set<string> } {
  const eventsIn = eventsOf(config);
  const adjacency = getAdjacencyMap(supervisorMachine, { input: config.input, events: eventsIn as never });
  const snapshots = Object.values(adjacency).map((value) => value.state as Snapshot);
  const visited = new Set<string>();
  for (const snapshot of snapshots) {
    for (const id of stateIds(snapshot)) visited.add(id);
    for (const event of eventsIn(snapshot)) {
      for (const [micro] of getMicrosteps(supervisorMachine, snapshot, event as never)) for (const id of stateIds(micro)) visited.add(id);
    }
  }
  return { snapshots, visited };
}

const allStateIds = getStateNodes(supervisorMachine.root).map((node) => node.id.replace(/^supervisor\./, ''));

describe('supervisors: supervisorMachine state graph', () => {
  it('has the documented state nodes', () => {
    expect(allStateIds).to.deep.equal([
      'running',
      'restarting',
      'restarting.deciding',
      'restarting.backingOff',
      'restarting.working',
      'escalating',
      'shuttingDown',
      'failed',
      'done',
      'stopped',
    ]);
  });

  it('reaches every state node with backoff (deciding as a transient microstep)', () => {
    const { visited, snapshots } = explore(withBackoff);
    expect([...visited].sort()).to.deep.equal([...allStateIds].sort());
    expect(snapshots.length).to.be.greaterThan(10);
    // `deciding` only ever passes: no resting snapshot is in it.
    expect(snapshots.some((s) => s.matches({ restarting: 'deciding' }))).to.equal(false);
  });

  it('never backs off without a backoff option, and never restarts with restartsMax 0', () => {
    expect([...explore(twoRestartsNoBackoff).visited].sort()).to.deep.equal(allStateIds.filter((id) => id !== 'restarting.backingOff').sort());
    expect([...explore(noRestarts).visited].sort()).to.deep.equal(['done', 'escalating', 'failed', 'running', 'shuttingDown', 'stopped']);
  });

  for (const config of configs) {
    it(`reaches each final state (failed, done, stopped), and no event leaves one (${config.label})`, () => {
      const eventsIn = eventsOf(config);
      const paths = getShortestPaths(supervisorMachine, { input: config.input, events: eventsIn as never });
      for (const final of ['failed', 'done', 'stopped'] as const) {
        const reaching = paths.filter((path) => path.state.matches(final));
        expect(reaching, final).to.not.be.empty;
        for (const path of reaching) {
          expect(path.state.status).to.equal('done');
          for (const event of eventsIn(path.state as Snapshot)) {
            const [next, actions] = transition(supervisorMachine, path.state as Snapshot, event as never);
            expect(next.value, `${final} + ${event.type}`).to.equal(final);
            expect(actions).to.deep.equal([]);
          }
        }
      }
      // failed is reached only through escalating (children down first); done only through shuttingDown.
      for (const path of simplePaths(config)) {
        const values = path.steps.map((step) => JSON.stringify(step.state.value));
        const failedAt = values.indexOf('"failed"');
        if (failedAt >= 0) expect(values[failedAt - 1]).to.equal('"escalating"');
        const doneAt = values.indexOf('"done"');
        if (doneAt >= 0) expect(values[doneAt - 1]).to.equal('"shuttingDown"');
      }
    });
  }

  for (const config of configs) {
    it(`escalates exactly when a restart would exceed the intensity, on every simple path (${config.label})`, () => {
      const input = config.input;
      const paths = simplePaths(config);
      expect(paths.length).to.be.greaterThan(5);
      let escalations = 0;
      let restarts = 0;
      for (const path of paths) {
        // Independent model: the times of the restarts granted so far on this path.
        const granted: number[] = [];
        for (let i = 1; i < path.steps.length; i++) {
          const before = path.steps[i - 1]!.state;
          const { event, state: after } = path.steps[i]!;
          if (event.type !== 'child.restart-needed' || !before.matches('running')) continue;
          const recent = granted.filter((time) => event.atMs - time < input.restartWindowMs).length;
          const exceeds = recent + 1 > input.restartsMax;
          const where = `${path.steps.map((s) => s.event.type + ('atMs' in s.event ? `@${s.event.atMs}` : '')).join(' → ')}`;
          if (exceeds) {
            expect(after.value, where).to.equal('escalating');
            escalations++;
          } else {
            expect(after.matches('restarting'), where).to.equal(true);
            granted.push(event.atMs);
            restarts++;
          }
        }
      }
      expect(escalations, 'some paths escalate').to.be.greaterThan(0);
      if (input.restartsMax > 0) expect(restarts, 'some paths restart').to.be.greaterThan(0);
    });
  }

  it('restartsMax 1: two failures within the window escalate to failed; spaced further apart they restart twice', () => {
    const run = (input: Input, events: readonly SupervisorMachineEvent[]): { value: unknown; effects: string[] } => {
      let [snapshot, actions] = initialTransition(supervisorMachine, input);
      const effects: string[] = actions.map((a) => a.type);
      for (const event of events) {
        [snapshot, actions] = transition(supervisorMachine, snapshot, event as never);
        effects.push(...actions.map((a) => (a.type === 'xstate.raise' ? `raise(${(a.params as { delay?: number }).delay})` : a.type)));
      }
      return { value: snapshot.value, effects };
    };
    const failure = (atMs: number): SupervisorMachineEvent => ({ type: 'child.restart-needed', atMs, jitter: 0.5 });
    const elapsed = backoffElapsed as unknown as SupervisorMachineEvent;

    const within = run(withBackoff.input, [failure(0), elapsed, { type: 'restart.done' }, failure(4_999), { type: 'children.down' }]);
    expect(within).to.deep.equal({ value: 'failed', effects: ['raise(100)', 'xstate.cancel', 'performRestart', 'stopAllChildren', 'exitGivingUp'] });

    const apart = run(withBackoff.input, [failure(0), elapsed, { type: 'restart.done' }, failure(6_000), elapsed, { type: 'restart.done' }]);
    expect(apart.value).to.equal('running');
    expect(apart.effects.filter((e) => e === 'performRestart')).to.have.length(2);

    const shuttingDown = run(twoRestartsNoBackoff.input, [failure(0), { type: 'restart.done' }, { type: 'auto-shutdown' }, { type: 'children.down' }]);
    expect(shuttingDown).to.deep.equal({ value: 'done', effects: ['performRestart', 'stopAllChildren', 'stopSelf'] });
  });

  it('schedules the backoff delay from the backoff options (exponential, capped, jittered within bounds)', () => {
    const input: Input = { restartsMax: 100, restartWindowMs: windowMs, backoff: { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.2, resetAfterMs: 60_000 } };
    let [snapshot] = initialTransition(supervisorMachine, input);
    const delays: number[] = [];
    for (const [i, jitter] of [0, 0.25, 0.5, 0.75, 0.999].entries()) {
      const [next, actions] = transition(supervisorMachine, snapshot, { type: 'child.restart-needed', atMs: i, jitter } as never);
      snapshot = next;
      delays.push((actions.find((a) => a.type === 'xstate.raise')!.params as { delay: number }).delay);
      [snapshot] = transition(supervisorMachine, snapshot, backoffElapsed as never);
      [snapshot] = transition(supervisorMachine, snapshot, { type: 'restart.done' } as never);
    }
    expect(delays).to.deep.equal([80, 180, 400, 880, 1_200]);
  });
});
