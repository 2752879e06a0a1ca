import type { Behavior, AnyBehavior } from '../actors/runtime/behavior.js';
import type { Message } from '../ground/message.js';
import type { Shutdown, SpawnOptions } from '../actors/runtime/spawn-options.js';
import type { ChildSpecLike, RestartType } from '../actors/runtime/supervising.js';
import { shutdownTimeoutMsDefault } from '../actors/runtime/limits.js';

export type { RestartType };

/** What a child is (OTP's child type): a `supervisor` child's shutdown defaults to `infinity`. */
export type ChildType = 'worker' | 'supervisor';

/**
 * One child of a supervisor, as data (OTP's child spec). `A` is the type of the behaviour's start
 * arguments; write a spec with `childSpec(…)` to have them checked against the behaviour.
 *
 * @example
 * ```ts
 * const cacheSpec = childSpec({ id: 'cache', start: Cache, args: { entriesMax: 1_000 }, shutdown: 1_000 });
 * ```
 */
export interface ChildSpec<M extends Message = Message, A = void> {
  /** Unique among the supervisor's children. */
  readonly id: string;
  /** What to run. */
  readonly start: Behavior<M, A>;
  /** The behaviour's start arguments (plain data), kept in the spec and given to every incarnation, restarted ones included. */
  readonly args?: A;
  /** Name, mailbox bound and overflow policy of the child. */
  readonly options?: SpawnOptions;
  /** `permanent` (default): always restarted; `transient`: only after an abnormal exit; `temporary`: never. */
  readonly restart?: RestartType;
  /**
   * Milliseconds the child gets to stop, `infinity`, or `brutal-kill` (default 5000 for a worker,
   * `infinity` for a supervisor, as in OTP: a supervisor child takes as long as its own children).
   */
  readonly shutdown?: Shutdown;
  /** Default: `supervisor` for a behaviour made by `supervisor()`, else `worker`. */
  readonly type?: ChildType;
  /** Its exit can shut the supervisor down (see `autoShutdown`); only for transient or temporary children. */
  readonly significant?: boolean;
}

/** A child spec of any behaviour, as a supervisor holds it (its `args` were checked where it was written, if by `childSpec`). */
export type AnyChildSpec = Omit<ChildSpec<never, never>, 'args'> & { readonly args?: unknown };

/**
 * A child spec whose start arguments are checked against its behaviour.
 *
 * @example
 * ```ts
 * supervisor({ children: [childSpec({ id: 'counter', start: Counter, args: { start: 10 } })] });
 * ```
 */
export function childSpec<M extends Message, A>(spec: ChildSpec<M, A>): AnyChildSpec {
  return spec as unknown as AnyChildSpec;
}

/** A child spec with its defaults applied; also what the runtime sees on the child's cell. */
export interface NormalizedChildSpec extends ChildSpecLike {
  readonly type: ChildType;
  readonly start: AnyBehavior;
  readonly args: unknown;
  /** The spawn options, with `args` in them: one object every incarnation is started from. */
  readonly options: SpawnOptions | undefined;
}

export function normalizeChildSpec(spec: AnyChildSpec): NormalizedChildSpec {
  if (typeof spec.id !== 'string' || spec.id.length === 0) throw new TypeError('a child spec needs a non-empty string id');
  if (spec.start === undefined) throw new TypeError(`child spec '${spec.id}' has no start behaviour`);
  const restart = spec.restart ?? 'permanent';
  const type = spec.type ?? ((spec.start as { supervises?: boolean }).supervises === true ? 'supervisor' : 'worker');
  if (type !== 'worker' && type !== 'supervisor') throw new TypeError(`child spec '${spec.id}': type must be 'worker' or 'supervisor'`);
  const shutdown = spec.shutdown ?? (type === 'supervisor' ? 'infinity' : shutdownTimeoutMsDefault);
  if (shutdown !== 'brutal-kill' && shutdown !== 'infinity' && !(Number.isFinite(shutdown) && shutdown >= 0)) {
    throw new RangeError(`child spec '${spec.id}': shutdown must be 'brutal-kill', 'infinity' or a non-negative number of ms`);
  }
  const significant = spec.significant ?? false;
  if (significant && restart === 'permanent') throw new TypeError(`child spec '${spec.id}': a significant child must be transient or temporary (as in OTP)`);
  const options = spec.args === undefined ? spec.options : { ...spec.options, args: spec.args };
  return { id: spec.id, type, start: spec.start as AnyBehavior, args: spec.args, options, restart, shutdown, significant };
}
