import type { AnyActorLogic, AnyActorRef as AnyXstateActorRef, AnyActorScope, EventObject, Snapshot } from 'xstate';
import { assert } from '../../ground/assert.js';
import { finishActor } from './actor-finish.js';
import type { BehaviorFactory } from './behavior.js';
import type { Cell } from './cell.js';
import type { ShowsXstateSnapshot } from './machine-children.js';
import type { MachineSystem } from './machine-system.js';
import type { ActorRef } from './ref.js';
import { fromSystem, type SystemActorInstance, type SystemContext } from './system-context.js';
import { XstateRef } from './xstate-ref.js';

/** What a child that is not a machine gets from the machine that invoked or spawned it. */
export interface LogicChildParts {
  readonly input: unknown;
  /** Its invoke or spawn id. */
  readonly id: string;
  /** The machine's `self`: where a callback's `sendBack` and an event observable's events go. */
  readonly parent: AnyXstateActorRef;
  readonly system: MachineSystem;
  /** Tell the parent each snapshot (xstate's `onSnapshot`: an observable's values). */
  readonly syncSnapshot: boolean;
}

/**
 * A kernel actor that runs an xstate actor logic other than a machine: `fromPromise`,
 * `fromCallback`, `fromObservable`, `fromEventObservable`, `fromTransition`. It runs the logic
 * through xstate's logic interface (`getInitialSnapshot`, `start`, `transition`), under a scope
 * whose system relays every event as a kernel message: a promise that settles, an observable that
 * emits, tell this actor, and the transition runs in its turn. So a promise settles through the
 * kernel, and a simulated run replays given the same order of resolutions.
 *
 * The logic ending ends the actor: `done` with reason `normal` and its output as the exit value,
 * `error` as a crash with its error; its parent machine turns either into xstate's done or error
 * event. A stop (its parent's `stopChild`, or leaving the invoking state) gives the logic xstate's
 * stop event: a promise's abort signal fires, a callback's cleanup runs, a subscription ends.
 */
export function fromXstateLogic(logic: AnyActorLogic, parts: LogicChildParts): BehaviorFactory<EventObject> {
  return fromSystem<EventObject>(() => new LogicActor(logic, parts), `xstate:${parts.id}`);
}

class LogicActor implements SystemActorInstance<EventObject>, ShowsXstateSnapshot {
  private snapshot: Snapshot<unknown> | undefined = undefined;
  private scope: AnyActorScope | undefined = undefined;
  /** Effects xstate's logic defers to after a transition. */
  private readonly deferred: (() => void)[] = [];

  constructor(
    private readonly logic: AnyActorLogic,
    private readonly parts: LogicChildParts,
  ) {}

  started(ctx: SystemContext<EventObject>): void {
    const { id, parent, system } = this.parts;
    const self = new XstateRef(ctx.cell.ref as ActorRef<EventObject>, { id, parent, system, src: this.logic, snapshot: () => this.current() });
    const scope: AnyActorScope = {
      self,
      id,
      sessionId: self.sessionId,
      logger: system._logger,
      defer: (effect) => void this.deferred.push(effect),
      // A child's emitted events have no listener under the kernel (xstate's `actor.on`).
      emit: () => {},
      system,
      stopChild: () => {},
      actionExecutor: (action) => action.exec?.(action.info, action.params),
    };
    this.scope = scope;
    this.snapshot = this.logic.getInitialSnapshot(scope, this.parts.input);
    this.logic.start?.(this.snapshot, scope);
    this.settle(ctx.cell);
  }

  receive(event: EventObject, ctx: SystemContext<EventObject>): void {
    this.snapshot = this.logic.transition(this.current(), event, this.currentScope());
    this.settle(ctx.cell);
  }

  stopped(): void {
    if (this.snapshot?.status === 'active') this.snapshot = this.logic.transition(this.snapshot, { type: 'xstate.stop' }, this.currentScope());
    this.runDeferred();
  }

  xstateSnapshot(): Snapshot<unknown> | undefined {
    return this.snapshot;
  }

  private current(): Snapshot<unknown> {
    assert(this.snapshot !== undefined, 'an xstate logic has a snapshot once it started');
    return this.snapshot;
  }

  private currentScope(): AnyActorScope {
    assert(this.scope !== undefined, 'an xstate logic has a scope once it started');
    return this.scope;
  }

  private settle(cell: Cell): void {
    this.runDeferred();
    const snapshot = this.current();
    switch (snapshot.status) {
      case 'done':
        finishActor(cell, snapshot.output);
        return;
      case 'error':
        throw snapshot.error;
      case 'active':
        if (this.parts.syncSnapshot) this.parts.parent.send({ type: `xstate.snapshot.${this.parts.id}`, snapshot });
        return;
      case 'stopped':
        return;
    }
  }

  private runDeferred(): void {
    for (let effect = this.deferred.shift(); effect !== undefined; effect = this.deferred.shift()) effect();
  }
}
