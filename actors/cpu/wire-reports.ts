/**
 * Failures, dead letters and trace events as another CPU reports them to CPU 0 (`kernel.reports`
 * frames, see cpu-reports.ts). Each report crosses as a flat list of values rather than an object:
 * objects would take shared record structures of the ring to CPU 0 (32 per ring, see
 * protocols/limits.ts), which actor mail needs, and events alone come in nine shapes.
 *
 * What cannot cross as it is crosses described: an error as its code, name, message and stack
 * (wire-error.ts), a message that is not plain data (a class instance, a function, a ref) as its
 * type only. A report too large for a frame crosses lean: without its message and stack.
 */
import { describeError } from '../../ground/errors.js';
import type { Pid } from '../../ground/pid.js';
import { validatePlainData } from '../../protocols/schema.js';
import type { DeadLetter, DeadLetterReason, KernelEvent } from '../runtime/events.js';
import type { ChildFailure } from '../runtime/kernel-core.js';
import type { ActorRef } from '../runtime/ref.js';
import type { ExitReason } from '../runtime/signals.js';
import { fromWireError, toWireFailure, type WireError } from './wire-error.js';

/** Longest exit reason given as text a report carries, in characters. */
const reasonLengthMax = 1_024;

/** Turns a pid of the reporting CPU into a ref of CPU 0 (the routing's `refs.refFor`). */
export type RefFor = (pid: Pid) => ActorRef<never>;

// ---- failures ---------------------------------------------------------------------------------

/**
 * `[pid, parentPid, actor, atMs, messageType, carriesMessage, message, ...error, reason]`, the error
 * as `[code, message, name, stack, target, messageType, number]` (null where it has none). A reason
 * that is not plain data crosses as its description.
 */
export function failureToWire(failure: ChildFailure, lean: boolean): unknown[] {
  const error = toWireFailure(failure.error);
  const carries = !lean && failure.message !== undefined && isPlainData(failure.message);
  return [
    failure.child.pid,
    failure.parent?.pid ?? 0,
    failure.actor,
    failure.atMs,
    failure.messageType ?? null,
    carries,
    carries ? failure.message : null,
    error.code,
    error.message,
    error.name ?? null,
    lean ? null : (error.stack ?? null),
    error.target ?? null,
    error.messageType ?? null,
    error.number ?? null,
    reasonToWire(failure.reason, lean),
  ];
}

function reasonToWire(reason: ExitReason, lean: boolean): unknown {
  if (typeof reason === 'string') return reason.length <= reasonLengthMax ? reason : `${reason.slice(0, reasonLengthMax - 1)}…`;
  if (!lean && isPlainData(reason)) return reason;
  return `an exit reason that could not cross cpus: ${describeError(reason).slice(0, reasonLengthMax)}`;
}

/** The failure `failureToWire` flattened on CPU `cpu`, with refs of this CPU. Throws TypeError for a list no kernel writes. */
export function failureFromWire(wire: unknown, cpu: number, refFor: RefFor): ChildFailure {
  const list = listOf(wire, 15, 'failure');
  const [pid, parentPid, actor, atMs, messageType, carries, message] = list;
  const error: Record<string, unknown> = { code: list[7], message: list[8] };
  const optional = ['name', 'stack', 'target', 'messageType', 'number'] as const;
  optional.forEach((key, index) => {
    const value = list[9 + index];
    if (value !== null && value !== undefined) error[key] = value;
  });
  return {
    child: refFor(pidOf(pid)),
    parent: parentPid === 0 ? undefined : refFor(pidOf(parentPid)),
    cpu,
    actor: String(actor),
    error: fromWireError(error as unknown as WireError),
    message: carries === true ? message : undefined,
    messageType: typeof messageType === 'string' ? messageType : undefined,
    reason: list[14] as ExitReason,
    atMs: Number(atMs),
  };
}

// ---- dead letters -----------------------------------------------------------------------------

/** `[from, to, target, messageType, reason, atMs, carriesMessage, message]`. */
export function deadLetterToWire(letter: DeadLetter, lean: boolean): unknown[] {
  const carries = !lean && isPlainData(letter.message);
  return [letter.from, letter.to, letter.target, letter.messageType, letter.reason, letter.atMs, carries, carries ? letter.message : null];
}

/** The dead letter `deadLetterToWire` flattened on CPU `cpu`. Throws TypeError for a list no kernel writes. */
export function deadLetterFromWire(wire: unknown, cpu: number): DeadLetter {
  const [from, to, target, messageType, reason, atMs, carries, message] = listOf(wire, 8, 'dead letter');
  return {
    from: pidOf(from),
    to: pidOf(to),
    target: String(target),
    message: carries === true ? message : undefined,
    messageType: String(messageType),
    reason: String(reason) as DeadLetterReason,
    cpu,
    atMs: Number(atMs),
  };
}

// ---- events -----------------------------------------------------------------------------------

/**
 * `[key, value, key, value …]`: every field as it is, whatever the kind, so a kind added later
 * crosses without a change here. Events hold numbers and strings only.
 */
export function eventToWire(event: KernelEvent): unknown[] {
  const list: unknown[] = [];
  for (const key of Object.keys(event)) list.push(key, (event as unknown as Record<string, unknown>)[key]);
  return list;
}

/** The event `eventToWire` flattened: its id, cause and CPU are the reporting CPU's. Throws TypeError for a list no kernel writes. */
export function eventFromWire(wire: unknown): KernelEvent {
  if (!Array.isArray(wire) || wire.length % 2 !== 0) throw new TypeError('a reported event is a list of keys and values');
  const event: Record<string, unknown> = {};
  for (let index = 0; index < wire.length; index += 2) {
    const key = wire[index];
    if (typeof key !== 'string' || key === '__proto__') throw new TypeError(`a reported event has a bad key at ${index}`);
    event[key] = wire[index + 1];
  }
  if (typeof event.kind !== 'string' || typeof event.id !== 'number' || typeof event.cpu !== 'number')
    throw new TypeError('a reported event has no kind, id or cpu');
  return event as unknown as KernelEvent;
}

// ---- shared -----------------------------------------------------------------------------------

/** Whether `value` may cross as it is: plain data (refs, class instances and functions may not). */
function isPlainData(value: unknown): boolean {
  try {
    validatePlainData(value, 'message');
    return true;
  } catch {
    return false;
  }
}

function listOf(wire: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(wire) || wire.length !== length) throw new TypeError(`a reported ${what} is a list of ${length} values`);
  return wire;
}

function pidOf(value: unknown): Pid {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new TypeError(`a reported pid is a non-negative safe integer, got ${String(value)}`);
  return value;
}
