/**
 * A handler that throws crashes like any actor: its supervisor restarts it in place, the line it
 * was serving is recovered (events recorded meanwhile are delivered), and the vector keeps working.
 */
import { expect } from 'chai';
import { interruptHandler } from '../../../actors/irq/index.js';
import { supervisor, type SupervisorMsg } from '../../../boot/index.js';
import { bootWithIrq, collectFailures, settled, shutdown } from './helpers.js';

describe('irq: handler crash', () => {
  it('restarts a spawned handler under the irq supervisor and delivers what was left in the ring', async () => {
    const { kernel, irq } = await bootWithIrq();
    const failures = collectFailures(kernel);
    const seen: string[] = [];
    let incarnations = 0;
    const handler = interruptHandler<string>(
      (events) => {
        for (const event of events) {
          seen.push(event);
          if (event === 'boom') throw new Error('handler broke');
        }
      },
      { started: () => void incarnations++ },
    );
    const vector = await settled(kernel, irq.allocate({ name: 'fragile', handler, batchEvents: 2 }));
    const ref = kernel.lookup(`kernel.irq.${vector}`);
    expect(ref).to.not.equal(undefined);
    for (const event of ['a', 'boom', 'c', 'd', 'e']) irq.raise(vector, event);
    await kernel.simulatedClock.advance(0);
    expect(failures.map((f) => (f.error as Error).message)).to.deep.equal(['handler broke']);
    expect(failures[0]!.child.pid).to.equal(ref!.pid);
    expect(incarnations).to.equal(2);
    // The crashed batch [a, boom] is not delivered again; the rest is, after the restart.
    expect(seen).to.deep.equal(['a', 'boom', 'c', 'd', 'e']);
    expect(irq.stats(vector)).to.include({ raised: 5, delivered: 5, queued: 0, line: 'idle' });
    // Same ref (restart in place), and the vector still works.
    expect(kernel.lookup(`kernel.irq.${vector}`)).to.equal(ref);
    irq.raise(vector, 'f');
    await kernel.simulatedClock.advance(0);
    expect(seen.at(-1)).to.equal('f');
    expect(irq.stats(vector).line).to.equal('idle');
    await shutdown(kernel);
  });

  it('records events raised while the handler is down and delivers them once it is back', async () => {
    const { kernel, irq } = await bootWithIrq();
    const seen: number[] = [];
    const handler = interruptHandler<number>((events) => {
      for (const n of events) {
        seen.push(n);
        if (n === 0) throw new Error('first event breaks it');
      }
    });
    const vector = await settled(kernel, irq.allocate({ name: 'down', handler }));
    irq.raise(vector, 0);
    // One turn: the handler crashes; its restart is still to come.
    kernel.simulatedClock.runReady();
    for (let n = 1; n <= 5; n++) irq.raise(vector, n);
    expect(irq.stats(vector).line).to.equal('inService');
    await kernel.simulatedClock.advance(0);
    expect(seen).to.deep.equal([0, 1, 2, 3, 4, 5]);
    expect(irq.stats(vector)).to.include({ line: 'idle', queued: 0 });
    await shutdown(kernel);
  });

  it('recovers the line of a handler given by ref, supervised by its owner', async () => {
    const { kernel, irq } = await bootWithIrq();
    const seen: number[] = [];
    const handler = interruptHandler<number>((events) => {
      for (const n of events) {
        if (n < 0) throw new Error('negative');
        seen.push(n);
      }
    });
    const sup = kernel.spawn<SupervisorMsg>(supervisor({ restartsMax: 5, children: [{ id: 'nic', start: handler, options: { name: 'nic-handler' } }] }));
    await kernel.simulatedClock.advance(0);
    const ref = kernel.lookup('nic-handler')!;
    const vector = await settled(kernel, irq.allocate({ name: 'nic', handler: ref }));
    irq.raise(vector, 1);
    irq.raise(vector, -1);
    irq.raise(vector, 2);
    await kernel.simulatedClock.advance(0);
    irq.raise(vector, 3);
    await kernel.simulatedClock.advance(0);
    expect(seen).to.deep.equal([1, 3]);
    expect(irq.stats(vector)).to.include({ line: 'idle', queued: 0, delivered: 4 });
    void sup;
    await shutdown(kernel);
  });
});
