/** The simulated signal source: delivery on demand, in subscription order, with clean unsubscribes. */
import { expect } from 'chai';
import { createSimulatedSignals } from '../../../drivers/signals/index.js';

describe('signals: simulated source', () => {
  it('delivers a raised signal to its listeners only, in subscription order', () => {
    const signals = createSimulatedSignals();
    const seen: string[] = [];
    signals.onSignal('SIGTERM', (name) => void seen.push(`a:${name}`));
    signals.onSignal('SIGTERM', (name) => void seen.push(`b:${name}`));
    signals.onSignal('SIGINT', (name) => void seen.push(`c:${name}`));
    expect(signals.raise('SIGTERM')).to.equal(2);
    expect(seen).to.deep.equal(['a:SIGTERM', 'b:SIGTERM']);
  });

  it('unsubscribes exactly one subscription, idempotently, even for a callback subscribed twice', () => {
    const signals = createSimulatedSignals();
    let calls = 0;
    const listener = (): void => void calls++;
    const off1 = signals.onSignal('SIGINT', listener);
    signals.onSignal('SIGINT', listener);
    off1();
    off1();
    expect(signals.listenerCount('SIGINT')).to.equal(1);
    signals.raise('SIGINT');
    expect(calls).to.equal(1);
  });

  it('delivers to the listeners present when the signal was raised', () => {
    const signals = createSimulatedSignals();
    const seen: string[] = [];
    const offA = signals.onSignal('SIGTERM', () => {
      seen.push('a');
      offB();
      signals.onSignal('SIGTERM', () => void seen.push('late'));
    });
    const offB = signals.onSignal('SIGTERM', () => void seen.push('b'));
    signals.raise('SIGTERM');
    expect(seen).to.deep.equal(['a', 'b']);
    offA();
  });

  it('refuses signals the kernel does not route', () => {
    const signals = createSimulatedSignals();
    expect(() => signals.onSignal('SIGHUP' as never, () => {})).to.throw(RangeError);
    expect(() => signals.raise('SIGKILL' as never)).to.throw(RangeError);
  });
});
