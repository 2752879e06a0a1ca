import { expect } from 'chai';
import { ProtocolError } from '../../protocols/protocol-error.js';

/** Runs `action`, which must throw a ProtocolError, and returns it for the test to look at. */
export function protocolErrorOf(action: () => unknown): ProtocolError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}
