import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import { ExitChecks, type ExitHost } from '../../../drivers/clock/exit-check.js';

/** A stand-in for the process: its own `beforeExit`, and the failures told. */
class FakeProcess extends EventEmitter implements ExitHost {
  readonly failures: string[] = [];
  fail(message: string): void {
    this.failures.push(message);
  }
  exitSoon(): void {
    this.emit('beforeExit');
  }
}

describe('drivers/clock/exit-check', () => {
  it('tells what a check finds at beforeExit, once, and nothing for a check that is content', () => {
    const host = new FakeProcess();
    const checks = new ExitChecks(host);
    const awaited = { asks: 1 };
    const content = { asks: 0 };
    const check = (subject: { asks: number }) => (subject.asks > 0 ? `${subject.asks} ask(s) nobody answered` : undefined);
    checks.add(awaited, check);
    checks.add(content, check);
    host.exitSoon();
    expect(host.failures).to.deep.equal(['1 ask(s) nobody answered']);
    // A second beforeExit (a listener of the program's scheduled more work) does not repeat it.
    host.exitSoon();
    expect(host.failures).to.have.length(1);
    expect(checks.size).to.equal(1);
  });

  it('shares one listener among all its checks and removes it with the last', () => {
    const host = new FakeProcess();
    const checks = new ExitChecks(host);
    const cancels = Array.from({ length: 50 }, () => checks.add({}, () => 'never told'));
    expect(host.listenerCount('beforeExit')).to.equal(1);
    for (const cancel of cancels.slice(1)) cancel();
    expect(host.listenerCount('beforeExit')).to.equal(1);
    cancels[0]!();
    cancels[0]!(); // cancelling twice does nothing
    expect(host.listenerCount('beforeExit')).to.equal(0);
    host.exitSoon();
    expect(host.failures).to.deep.equal([]);
    checks.add({}, () => undefined);
    expect(host.listenerCount('beforeExit')).to.equal(1);
  });

  it('removes a check that failed, and its listener with it', () => {
    const host = new FakeProcess();
    const checks = new ExitChecks(host);
    checks.add({}, () => 'stuck');
    host.exitSoon();
    expect(host.failures).to.deep.equal(['stuck']);
    expect(host.listenerCount('beforeExit')).to.equal(0);
  });
});
