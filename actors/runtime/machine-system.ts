import type { ActorSystem, AnyActorRef, EventObject, InspectionEvent, Observer, Subscription } from 'xstate';
import type { Clock as KernelClock, TimerHandle } from '../../drivers/clock/clock.js';
import { UsageError } from '../../ground/errors.js';
import { boundKernelRef } from './xstate-ref.js';

/**
 * The xstate actor system of one machine actor and the xstate children it runs as kernel actors:
 * what xstate calls `system` (`system.get(systemId)` in actions, `systemId` on invoke and spawn).
 * It replaces xstate's own system, whose timers, ids and event relay would run outside the kernel:
 * here session ids count per system (so they replay), events are relayed as kernel messages, and
 * delayed events are the actors' timers (see MachineRunner), never this system's scheduler.
 */
/** The actors a machine system knows, by system id. */
interface SystemActors {
  actors: Record<string, AnyActorRef>;
}

export class MachineSystem implements ActorSystem<SystemActors> {
  private readonly keyed = new Map<PropertyKey, AnyActorRef>();
  private readonly systemIdOf = new WeakMap<AnyActorRef, PropertyKey>();
  private sessions = 0;
  /** The clock xstate's actors are given: the kernel's. */
  readonly _clock: ActorSystem<SystemActors>['_clock'];

  constructor(
    clock: KernelClock,
    /** Where `log` actions write (xstate's default is `console.log`). */
    readonly _logger: (...args: unknown[]) => void,
  ) {
    this._clock = {
      setTimeout: (fn: () => void, timeoutMs: number) => clock.setTimer(timeoutMs, fn),
      clearTimeout: (handle: TimerHandle) => clock.cancelTimer(handle),
    };
  }

  /** The actor registered under `systemId` (an xstate child whose events go to its kernel actor). */
  get(systemId: PropertyKey): AnyActorRef | undefined {
    return this.keyed.get(systemId);
  }

  getAll(): Partial<SystemActors['actors']> {
    return Object.fromEntries(this.keyed);
  }

  _bookId(): string {
    return `x:${this.sessions++}`;
  }

  _register(sessionId: string): string {
    return sessionId;
  }

  /**
   * Registers `actor` under `systemId`. As in xstate two running actors may not share a system id,
   * but an xstate actor that never ran may be replaced: xstate makes one for each child while it
   * computes a transition, and the kernel actor that runs the child makes its own again.
   */
  _set(systemId: PropertyKey, actor: AnyActorRef): void {
    const existing = this.keyed.get(systemId);
    if (existing !== undefined && existing !== actor && boundKernelRef(existing) !== undefined) {
      throw new UsageError(`an actor with system id '${String(systemId)}' already runs in this machine's system`);
    }
    this.keyed.set(systemId, actor);
    this.systemIdOf.set(actor, systemId);
  }

  _unregister(actor: AnyActorRef): void {
    const systemId = this.systemIdOf.get(actor);
    if (systemId === undefined) return;
    this.systemIdOf.delete(actor);
    if (this.keyed.get(systemId) === actor) this.keyed.delete(systemId);
  }

  /** How xstate's actor logic delivers an event (a promise settling, a callback's `sendBack`): as a kernel message. */
  _relay(_source: AnyActorRef | undefined, target: AnyActorRef, event: EventObject): void {
    target.send(event);
  }

  _sendInspectionEvent(): void {}

  inspect(_observer: Observer<InspectionEvent> | ((event: InspectionEvent) => void)): Subscription {
    throw new UsageError('xstate inspection is not available under the kernel: observe kernel.events (its transition events) instead');
  }

  readonly scheduler = {
    schedule: (): void => {
      throw new UsageError("a machine actor's delayed events are its kernel timers; xstate's scheduler is not used under the kernel");
    },
    cancel: (): void => {},
    cancelAll: (): void => {},
  };

  getSnapshot(): { _scheduledEvents: Record<string, never> } {
    return { _scheduledEvents: {} };
  }

  start(): void {}
}
