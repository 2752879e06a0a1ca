import type { ActionArgs, EventObject, MachineContext, ParameterizedObject } from 'xstate';
import { UsageError } from '../../ground/errors.js';
import type { ReplyOf } from '../../ground/message.js';

/** The action `reply` makes: xstate sees an ordinary action; the kernel's machine runner answers with it. */
export type ReplyAction<
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends ParameterizedObject['params'] | undefined,
  TEvent extends EventObject,
> = (args: ActionArgs<TContext, TExpressionEvent, TEvent>, params: TParams) => void;

/**
 * What a reply to `TEvent` must be: its `Ask` brand's reply type. A transition taken by an event
 * that is not an ask (one the machine raised while it handles the ask) may answer with anything,
 * since the types cannot tell which ask it answers.
 */
export type ReplyValueOf<TEvent extends EventObject> = [ReplyOf<TEvent>] extends [never] ? unknown : ReplyOf<TEvent>;

type ReplyValue = (args: ActionArgs<MachineContext, EventObject, EventObject>, params: unknown) => unknown;

/** Each reply action's value function, found by the runner when it executes the action. */
const replyValues = new WeakMap<object, ReplyValue>();

/**
 * An action that answers the ask the machine actor is handling, with a value computed from the
 * context (as the action sees it, after the assigns before it) and the event. The reply is typed:
 * in a transition taken by an event declared `Ask<{ type: 'get' }, number>`, the value must be a
 * number (see `ReplyValueOf`).
 *
 * The answer must come while the machine handles the ask (in the transition it takes, its
 * actions, or the events it raises on the way). An ask the machine handles without running a
 * `reply` (no transition takes it, or the transition does not answer) fails at once with an
 * `UnansweredAskError`, instead of waiting for its deadline. A `reply` for a plain `tell`
 * has no asker: its value is a dead letter.
 *
 * @example
 * ```ts
 * type CounterEvent = { type: 'inc' } | Ask<{ type: 'get' }, number>;
 * const counter = setup({ types: {} as { context: { count: number }; events: CounterEvent } }).createMachine({
 *   context: { count: 0 },
 *   on: {
 *     inc: { actions: assign({ count: ({ context }) => context.count + 1 }) },
 *     get: { actions: reply(({ context }) => context.count) },
 *   },
 * });
 * const ref = kernel.spawn(fromMachine(counter));
 * const count: number = await ref.ask({ type: 'get' });
 * ```
 */
export function reply<
  TContext extends MachineContext,
  TExpressionEvent extends EventObject,
  TParams extends ParameterizedObject['params'] | undefined,
  TEvent extends EventObject,
>(
  value: (args: ActionArgs<TContext, TExpressionEvent, TEvent>, params: TParams) => ReplyValueOf<TExpressionEvent>,
): ReplyAction<TContext, TExpressionEvent, TParams, TEvent> {
  const action = (): void => {
    // Only the kernel's runner knows which ask is being handled; it never calls this function.
    throw new UsageError('reply() answers asks only in a machine actor the kernel runs (fromMachine): elsewhere there is no ask to answer');
  };
  replyValues.set(action, value as unknown as ReplyValue);
  return action;
}

/** @internal The value function of a reply action, or undefined for any other action. */
export function replyValueOf(action: unknown): ReplyValue | undefined {
  return typeof action === 'function' ? replyValues.get(action) : undefined;
}
