/** Reports as they cross to CPU 0: flat lists, with what cannot cross described rather than lost. */
import { expect } from 'chai';
import { deadLetterFromWire, deadLetterToWire, eventFromWire, eventToWire, failureFromWire, failureToWire } from '../../../actors/cpu/wire-reports.js';
import type { DeadLetter, KernelEvent } from '../../../actors/runtime/events.js';
import type { ChildFailure } from '../../../actors/runtime/kernel-core.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import { ActorStoppedError, RemoteFailureError } from '../../../ground/errors.js';
import { KERNEL_REPORTS, type KernelReports } from '../../../protocols/runtime.js';
import { createFrameCodec } from '../../../protocols/frame-codec.js';

/** A stand-in for the refs CPU 0 would make: only the pid matters here. */
const refFor = (pid: number) => ({ pid }) as unknown as ActorRef<never>;

/** Through the codec, as the ring carries it (without shared structures, which the ring syncs in band). */
function crossed(value: unknown[]): unknown {
  const codec = createFrameCodec(undefined, { structures: false });
  const decoded = codec.decode(codec.encode({ type: KERNEL_REPORTS, stream: 'failures', records: [value], dropped: 0 })) as KernelReports;
  return (decoded.records as unknown[])[0];
}

function failure(error: unknown, message: unknown): ChildFailure {
  return {
    child: refFor(7),
    parent: refFor(3),
    cpu: 1,
    actor: 'Worker <1.7.1>',
    error,
    message,
    messageType: message === undefined ? undefined : 'work',
    reason: 'crashed',
    atMs: 12,
  };
}

describe('reports between CPUs', () => {
  it('a failure crosses with its error as text, its stack, and its message when that is plain data', () => {
    const thrown = new RangeError('out of range');
    const back = failureFromWire(crossed(failureToWire(failure(thrown, { type: 'work', n: 1 }), false)), 1, refFor);
    expect([back.child.pid, back.parent?.pid, back.cpu, back.actor, back.messageType, back.atMs]).to.deep.equal([7, 3, 1, 'Worker <1.7.1>', 'work', 12]);
    expect(back.message).to.deep.equal({ type: 'work', n: 1 });
    expect(back.reason).to.equal('crashed');
    const error = back.error as RemoteFailureError;
    expect(error).to.be.instanceOf(RemoteFailureError);
    expect([error.remoteCode, error.remoteName, error.message]).to.deep.equal(['thrown', 'RangeError', 'RangeError: out of range']);
    expect(error.remoteStack).to.equal(thrown.stack);
    expect(error.stack).to.equal(thrown.stack);
  });

  it('a runtime error keeps its class; a message that is not plain data crosses as its type only', () => {
    const back = failureFromWire(crossed(failureToWire(failure(new ActorStoppedError('x', 'work'), { type: 'work', run: () => 1 }), false)), 2, refFor);
    expect(back.error).to.be.instanceOf(ActorStoppedError);
    expect([back.message, back.messageType, back.cpu]).to.deep.equal([undefined, 'work', 2]);
  });

  it('an exit reason crosses as it is when it is plain data, else described', () => {
    const custom = { ...failure(new Error('x'), undefined), reason: { shutdown: { why: 'maintenance', at: [1, 2] } } };
    expect(failureFromWire(crossed(failureToWire(custom, false)), 1, refFor).reason).to.deep.equal({ shutdown: { why: 'maintenance', at: [1, 2] } });
    const opaque = { ...failure(new Error('x'), undefined), reason: { shutdown: new Map() } };
    expect(failureFromWire(crossed(failureToWire(opaque, false)), 1, refFor).reason).to.match(/could not cross/);
  });

  it('a lean failure leaves its message and stack behind, so it fits a small frame', () => {
    const wire = failureToWire(failure(new Error('x'.repeat(10_000)), { type: 'work', blob: 'y'.repeat(10_000) }), true);
    const back = failureFromWire(crossed(wire), 1, refFor);
    const error = back.error as RemoteFailureError;
    expect(back.message).to.equal(undefined);
    expect(error.remoteStack).to.equal(undefined);
    expect(error.message.length, 'the message is cut to its bound').to.be.below(2_100);
  });

  it('a dead letter and an event cross whole', () => {
    const letter: DeadLetter = { from: 1, to: 2, target: "'x' <1.2.1>", message: { type: 'ping' }, messageType: 'ping', reason: 'stopped', cpu: 1, atMs: 5 };
    expect(deadLetterFromWire(deadLetterToWire(letter, false), 1)).to.deep.equal(letter);
    class Opaque {}
    expect(deadLetterFromWire(deadLetterToWire({ ...letter, message: new Opaque() }, false), 1).message).to.equal(undefined);
    const event: KernelEvent = { kind: 'send', id: 2 ** 48 + 1, cause: 4, cpu: 1, atMs: 3, from: 1, to: 2, messageType: 'ping' };
    expect(eventFromWire(eventToWire(event))).to.deep.equal(event);
    expect(() => eventFromWire(['kind'])).to.throw(TypeError);
  });
});
