/**
 * The real signal source installs and removes its own process listeners and nothing else. The
 * delivery of a real signal is covered by sigterm.test.ts, in a child process: sending one to the
 * test runner itself would reach mocha's own handlers.
 */
import { expect } from 'chai';
import { createRealSignals } from '../../../drivers/signals/index.js';

describe('signals: real source', () => {
  it('adds one process listener per subscription and removes exactly that one', () => {
    const signals = createRealSignals();
    const before = process.listeners('SIGTERM');
    const seen: string[] = [];
    const off = signals.onSignal('SIGTERM', (name) => void seen.push(name));
    const added = process.listeners('SIGTERM').filter((listener) => !before.includes(listener));
    expect(added).to.have.length(1);
    expect(signals.listenerCount('SIGTERM')).to.equal(1);
    // Invoke the installed listener as the process would, without sending a real signal.
    (added[0] as (signal: NodeJS.Signals) => void)('SIGTERM');
    expect(seen).to.deep.equal(['SIGTERM']);
    off();
    off();
    expect(process.listeners('SIGTERM')).to.deep.equal(before);
    expect(signals.listenerCount('SIGTERM')).to.equal(0);
  });

  it('refuses signals the kernel does not route', () => {
    expect(() => createRealSignals().onSignal('SIGUSR1' as never, () => {})).to.throw(RangeError);
  });
});
