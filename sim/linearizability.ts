/**
 * A linearizability checker, Porcupine-style: a history of operations, each with the virtual times
 * of its call and its return, is linearizable if some order of them, consistent with real time (an
 * operation that returned before another was called comes first), replays correctly on a sequential
 * model. Histories are split by key (an operation on one key never constrains another), and each
 * part is searched depth first (Wing and Gong), remembering the states already tried. An operation
 * whose result is unknown (its ask timed out) may have taken effect at any time after its call, or
 * never.
 *
 * @example
 * ```ts
 * const history = new History<RegisterInput, number>(() => sim.now());
 * const call = history.invoke(client, { op: 'write', key: 'x', value: 1 });
 * history.ok(call, 1); // or history.unknown(call) when the ask timed out
 * const verdict = checkLinearizable(registerModel, history.operations);
 * ```
 */

import { MailboxFullError, RingFullError } from '../ground/errors.js';

/** One operation of a history: who, what, what came back (undefined: unknown), and when. */
export interface Operation<I, O> {
  readonly client: number;
  readonly input: I;
  readonly output: O | undefined;
  readonly call: number;
  /** When it returned; Infinity for an operation whose result is unknown. */
  readonly ret: number;
}

/** A sequential specification: its states, and what each operation does to one. */
export interface Model<S, I, O> {
  init(): S;
  /** Whether `input` may return `output` in `state` (any output, when it is undefined), and the state after. */
  step(state: S, input: I, output: O | undefined): readonly [boolean, S];
  /** The key an operation touches: operations on different keys are checked apart. */
  keyOf?(input: I): string;
  /** A state as a string, for remembering the states already tried (default JSON). */
  describe?(state: S): string;
}

export interface Verdict<I, O> {
  readonly ok: boolean;
  /** The key whose operations have no linearization, and those operations. */
  readonly key?: string;
  readonly operations?: readonly Operation<I, O>[];
}

/** Operations per key beyond which the search gives up rather than run for too long. */
export const operationsPerKeyMax = 4_096;

export function checkLinearizable<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[]): Verdict<I, O> {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const operation of history) {
    const key = model.keyOf?.(operation.input) ?? '';
    (byKey.get(key) ?? byKey.set(key, []).get(key)!).push(operation);
  }
  for (const [key, operations] of byKey) {
    if (operations.length > operationsPerKeyMax) throw new RangeError(`${operations.length} operations on key '${key}' exceed ${operationsPerKeyMax}`);
    if (!linearizable(model, operations)) return { ok: false, key, operations };
  }
  return { ok: true };
}

function linearizable<S, I, O>(model: Model<S, I, O>, operations: readonly Operation<I, O>[]): boolean {
  const sorted = [...operations].sort((a, b) => a.call - b.call);
  const done = new Array<boolean>(sorted.length).fill(false);
  const describe = model.describe ?? ((state: S) => JSON.stringify(state));
  const tried = new Set<string>();
  const known = sorted.filter((operation) => operation.ret !== Infinity).length;
  const search = (state: S, knownDone: number): boolean => {
    if (knownDone === known) return true; // what is left has unknown results: it need never have happened
    const memo = `${done.map((d) => (d ? 1 : 0)).join('')}|${describe(state)}`;
    if (tried.has(memo)) return false;
    tried.add(memo);
    // Only an operation called before every pending one returned can go next.
    let earliestReturn = Infinity;
    for (let i = 0; i < sorted.length; i++) if (!done[i] && sorted[i]!.ret < earliestReturn) earliestReturn = sorted[i]!.ret;
    for (let i = 0; i < sorted.length; i++) {
      const operation = sorted[i]!;
      if (done[i] || operation.call > earliestReturn) continue;
      const [fits, next] = model.step(state, operation.input, operation.output);
      if (!fits) continue;
      done[i] = true;
      if (search(next, knownDone + (operation.ret === Infinity ? 0 : 1))) return true;
      done[i] = false;
    }
    return false;
  };
  return search(model.init(), 0);
}

/** A history being recorded at request and reply boundaries, on a clock (a run's virtual one). */
export class History<I, O> {
  readonly operations: Operation<I, O>[] = [];
  private readonly pending = new Map<number, { client: number; input: I; call: number }>();
  private nextCall = 0;

  constructor(private readonly now: () => number) {}

  /** An operation begins; returns its token for `ok` or `unknown`. */
  invoke(client: number, input: I): number {
    const token = this.nextCall++;
    this.pending.set(token, { client, input, call: this.now() });
    return token;
  }

  /** It returned `output`. */
  ok(token: number, output: O): void {
    const call = this.take(token);
    this.operations.push({ ...call, output, ret: this.now() });
  }

  /** It failed for sure without taking effect (a refusal): it is left out of the history. */
  fail(token: number): void {
    this.take(token);
  }

  /** Its result is unknown (the ask timed out): it may have taken effect, or not. */
  unknown(token: number): void {
    const call = this.take(token);
    this.operations.push({ ...call, output: undefined, ret: Infinity });
  }

  /**
   * Records the ask `reply` as one operation of `client`: `ok` with its answer; `fail` when it was
   * refused before its target could take it (a full mailbox or ring); `unknown` for anything else
   * (a timeout, a crash or a stop while it was handled), since it may have taken effect. Returns
   * the answer, or rethrows what the ask threw.
   *
   * @example
   * ```ts
   * const value = await history.record(id, { op: 'read', key: 'x' }, store.ask({ type: 'read' }, { deadlineMs: 100 }));
   * ```
   */
  async record(client: number, input: I, reply: Promise<O>): Promise<O> {
    const token = this.invoke(client, input);
    try {
      const output = await reply;
      this.ok(token, output);
      return output;
    } catch (error) {
      if (error instanceof MailboxFullError || error instanceof RingFullError) this.fail(token);
      else this.unknown(token);
      throw error;
    }
  }

  private take(token: number): { client: number; input: I; call: number } {
    const call = this.pending.get(token);
    if (call === undefined) throw new RangeError(`no operation ${token} is under way`);
    this.pending.delete(token);
    return call;
  }
}

/** Operations on a register map: reads, writes and compare-and-sets, by key. */
export type RegisterInput =
  | { readonly op: 'read'; readonly key: string }
  | { readonly op: 'write'; readonly key: string; readonly value: number }
  | { readonly op: 'cas'; readonly key: string; readonly expected: number; readonly value: number };

/** A register per key, 0 at first: a read returns the value; a write returns it; a cas returns whether it swapped (1 or 0). */
export const registerModel: Model<number, RegisterInput, number> = {
  init: () => 0,
  keyOf: (input) => input.key,
  step(state, input, output) {
    switch (input.op) {
      case 'read':
        return [output === undefined || output === state, state];
      case 'write':
        return [true, input.value];
      case 'cas': {
        const swapped = state === input.expected;
        return [output === undefined || output === (swapped ? 1 : 0), swapped ? input.value : state];
      }
    }
  },
  describe: (state) => String(state),
};
