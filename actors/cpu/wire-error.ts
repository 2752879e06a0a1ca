/**
 * Failures that cross CPUs. An ask answered with an error on another CPU reaches its asker as the
 * same typed error (`instanceof ActorStoppedError` works across CPUs); a thrown value the runtime
 * does not know becomes a `RemoteFailureError` carrying its code and description.
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
}

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

export function fromWireError(value: unknown): Error {
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
      return new RemoteFailureError(String(wire.code ?? 'unknown'), String(wire.message ?? 'remote failure'));
  }
}
