/**
 * Failures that cross CPUs. An ask answered with an error on another CPU reaches its asker as the
 * same typed error (`instanceof ActorStoppedError` works across CPUs); a thrown value the runtime
 * does not know becomes a `RemoteFailureError` carrying its code and description. An actor's
 * failure reported to CPU 0 (`kernel.failures`) crosses the same way, with the thrown error's class
 * name and stack as text too (`toWireFailure`).
 */
import {
  ActorCrashedError,
  ActorStoppedError,
  AskTimeoutError,
  CpuDownError,
  describeError,
  KernelStoppedError,
  MailboxFullError,
  OspreyError,
  RemoteFailureError,
  RingFullError,
} from '../../ground/errors.js';
import { ProtocolError } from '../../protocols/protocol-error.js';

/** The plain-data form of an error, as a `kernel.reply` body with `ok: false`. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
  readonly messageType?: string;
  readonly number?: number;
  /** The class name of what was thrown (failures reported to CPU 0 only). */
  readonly name?: string;
  /** Its stack, as text (failures reported to CPU 0 only). */
  readonly stack?: string;
}

/** Longest stack a reported failure carries, in characters: deep enough to find the throw, bounded for the ring. */
export const wireStackLengthMax = 4_096;
/** Longest error message a reported failure carries, in characters. */
export const wireMessageLengthMax = 2_048;

export function toWireError(error: unknown): WireError {
  if (error instanceof AskTimeoutError)
    return { code: error.code, message: error.message, target: error.target, messageType: error.messageType, number: error.deadlineMs };
  if (error instanceof MailboxFullError)
    return { code: error.code, message: error.message, target: error.target, messageType: error.messageType, number: error.capacity };
  if (error instanceof ActorStoppedError || error instanceof ActorCrashedError)
    return { code: error.code, message: error.message, target: error.target, messageType: error.messageType };
  if (error instanceof RingFullError)
    return { code: error.code, message: error.message, target: error.target, messageType: error.messageType, number: error.cpu };
  if (error instanceof CpuDownError) return { code: error.code, message: error.message, target: error.target, messageType: error.why, number: error.cpu };
  if (error instanceof OspreyError || error instanceof ProtocolError) return { code: (error as { code: string }).code, message: error.message };
  return { code: 'thrown', message: describeError(error) };
}

/**
 * The plain-data form of an actor's failure, as another CPU reports it to CPU 0: `toWireError`'s,
 * with the thrown error's class name and stack as text, and the code a foreign error carries
 * (Node's `ENOENT`, say) where the runtime has none of its own for it. Message and stack are cut
 * to bounds, so a report fits a frame.
 */
export function toWireFailure(error: unknown): WireError {
  const wire = toWireError(error);
  if (!(error instanceof Error)) return { ...wire, message: clip(wire.message, wireMessageLengthMax) };
  const ownCode = (error as { code?: unknown }).code;
  return {
    ...wire,
    ...(wire.code === 'thrown' && typeof ownCode === 'string' ? { code: ownCode } : {}),
    message: clip(wire.message, wireMessageLengthMax),
    name: error.name,
    ...(typeof error.stack === 'string' ? { stack: clip(error.stack, wireStackLengthMax) } : {}),
  };
}

function clip(text: string, lengthMax: number): string {
  return text.length <= lengthMax ? text : `${text.slice(0, lengthMax - 1)}…`;
}

/** The error `value` (a `WireError`) stands for; a reported failure keeps its remote stack as `stack`. */
export function fromWireError(value: unknown): Error {
  const error = errorOfWire(value);
  const wire = value as Partial<WireError> | null;
  if (typeof wire?.stack === 'string' && !(error instanceof RemoteFailureError)) error.stack = wire.stack;
  return error;
}

function errorOfWire(value: unknown): Error {
  if (typeof value !== 'object' || value === null)
    return new RemoteFailureError('malformed', `a remote failure arrived without a description: ${describeError(value)}`);
  const wire = value as Partial<WireError>;
  const target = wire.target ?? 'a remote actor';
  const messageType = wire.messageType ?? '?';
  switch (wire.code) {
    case 'ask-timeout':
      return new AskTimeoutError(target, messageType, wire.number ?? 0);
    case 'mailbox-full':
      return new MailboxFullError(target, messageType, wire.number ?? 0);
    case 'actor-stopped':
      return new ActorStoppedError(target, messageType);
    case 'actor-crashed': {
      // The original thrown value stays on its CPU; its description is in the message.
      const error = new ActorCrashedError(target, messageType, undefined);
      error.message = wire.message ?? error.message;
      return error;
    }
    case 'ring-full':
      return new RingFullError(wire.number ?? -1, target, messageType);
    case 'cpu-down':
      return new CpuDownError(wire.number ?? -1, target, messageType);
    case 'kernel-stopped': {
      const error = new KernelStoppedError('answer an ask');
      error.message = wire.message ?? error.message;
      return error;
    }
    default:
      return new RemoteFailureError(String(wire.code ?? 'unknown'), String(wire.message ?? 'remote failure'), {
        ...(typeof wire.name === 'string' ? { name: wire.name } : {}),
        ...(typeof wire.stack === 'string' ? { stack: wire.stack } : {}),
      });
  }
}
