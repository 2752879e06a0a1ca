import { expect } from 'chai';
import { pidGeneration, pidSlot } from '../../../ground/pid.js';
import { fromReceive } from '../../../boot/index.js';
import { bootSimulated, settle, shutdown } from './helpers.js';

describe('pids in a kernel', () => {
  it('a stopped actor’s pid never resolves to the actor that reuses its slot', async () => {
    const kernel = await bootSimulated();
    const first = kernel.spawn(fromReceive<{ type: 'x' }>(() => {}));
    const stopped = kernel.stop(first);
    await settle(kernel);
    await stopped;
    const second = kernel.spawn(fromReceive<{ type: 'x' }>(() => {}));
    expect(pidSlot(second.pid)).to.equal(pidSlot(first.pid));
    expect(pidGeneration(second.pid)).to.equal(pidGeneration(first.pid) + 1);
    expect(kernel.refOf(first.pid)).to.equal(undefined);
    expect(kernel.refOf(second.pid)).to.equal(second);
    expect(first.tell({ type: 'x' })).to.equal(false);
    await shutdown(kernel);
  });
});

describe('dispatcher', () => {
  it('under the fifo policy, runs at most a batch of 100 messages per turn, so a flooded actor does not starve another', async () => {
    const kernel = await bootSimulated(1, { mailboxCapacity: 10_000, scheduler: 'fifo' });
    const order: string[] = [];
    const busy = kernel.spawn(fromReceive<{ type: 'work' }>(() => void order.push('busy')));
    const quiet = kernel.spawn(fromReceive<{ type: 'ping' }>(() => void order.push('quiet')));
    for (let i = 0; i < 1_000; i++) busy.tell({ type: 'work' });
    quiet.tell({ type: 'ping' });
    await settle(kernel);
    expect(order.indexOf('quiet')).to.equal(100);
    expect(order.length).to.equal(1_001);
    await shutdown(kernel);
  });

  it('waits for a promise returned by receive before the next message, and a rejection is a crash', async () => {
    const kernel = await bootSimulated();
    const log: string[] = [];
    const failures: unknown[] = [];
    kernel.failures.subscribe((f) => failures.push((f.error as Error).message));
    const actor = kernel.spawn(
      fromReceive<{ type: 'fast' | 'bad' }>(async (msg) => {
        log.push(`start ${msg.type}`);
        await Promise.resolve();
        if (msg.type === 'bad') throw new Error('async failure');
        log.push(`end ${msg.type}`);
      }),
    );
    actor.tell({ type: 'fast' });
    actor.tell({ type: 'bad' });
    actor.tell({ type: 'fast' });
    await settle(kernel);
    expect(log).to.deep.equal(['start fast', 'end fast', 'start bad']);
    expect(failures).to.deep.equal(['async failure']);
    await shutdown(kernel);
  });
});

describe('stopping many actors at once', () => {
  it('stops 70 000 children of one plain parent in one go without overflowing its system lane', async () => {
    const kernel = await bootSimulated();
    const failures: unknown[] = [];
    kernel.failures.subscribe((f) => failures.push(f.error));
    const ownActors = kernel.status().actors;
    const refs = Array.from({ length: 70_000 }, () => kernel.spawn(fromReceive<{ type: 'x' }>(() => {})));
    const stops = refs.map((ref) => kernel.stop(ref));
    await settle(kernel);
    await Promise.all(stops);
    expect(failures).to.deep.equal([]);
    expect(kernel.status().actors, "only the kernel's own tree is left").to.equal(ownActors);
    await shutdown(kernel);
  });
});

describe('kernel.whenStopped', () => {
  it('resolves when the kernel has shut down', async () => {
    const kernel = await bootSimulated();
    let stopped = false;
    void kernel.whenStopped.then(() => (stopped = true));
    await settle(kernel);
    expect(stopped).to.equal(false);
    await shutdown(kernel);
    await Promise.resolve();
    expect(stopped).to.equal(true);
  });
});
