/**
 * The controller's place in the kernel and its API contract: one controller per kernel living as
 * `kernel.irq.controller`, vectors allocated lowest-first and reused after free, handlers spawned
 * under the `irq` supervisor, caller errors refused without leaking a vector, and line transitions
 * on the causal event stream.
 */
import { expect } from 'chai';
import { interruptHandler, interrupts, irqLimits } from '../../../actors/irq/index.js';
import { fromReceive, InvariantError, type KernelEvent } from '../../../boot/index.js';
import { bootWithIrq, collectEvents, settled, shutdown } from './helpers.js';

const noop = interruptHandler<unknown>(() => {});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('irq controller', () => {
  it("is the irq subsystem's handle, lives in the irq subtree, and is released when the kernel shuts down", async () => {
    const { kernel, irq } = await bootWithIrq();
    expect(kernel.subsystem(interrupts)).to.equal(irq);
    const anchor = kernel.lookup('kernel.irq.controller');
    expect(anchor).to.not.equal(undefined);
    const vector = await settled(kernel, irq.allocate({ name: 'a', handler: noop }));
    const handler = kernel.lookup(`kernel.irq.${vector}`)!;
    const irqSupervisor = kernel.lookup('kernel.irq')!;
    expect(handler.cell.parentCell).to.equal(irqSupervisor.cell);
    expect(anchor!.cell.parentCell).to.equal(irqSupervisor.cell);
    expect(irq.allStats().map((s) => [s.vector, s.name, s.cpu, s.line])).to.deep.equal([[vector, 'a', 0, 'idle']]);
    await shutdown(kernel);
    expect(irq.isClosed).to.equal(true);
    expect(() => irq.stats(vector)).to.throw(RangeError);
  });

  it('stopped alone, frees its vectors and stops their handlers; restarted, it serves the same numbers again', async () => {
    const { kernel, irq } = await bootWithIrq();
    const vector = await settled(kernel, irq.allocate({ name: 'a', handler: noop }));
    const handler = kernel.lookup(`kernel.irq.${vector}`)!;
    await settled(kernel, kernel.stop(kernel.lookup('kernel.irq.controller')!));
    await kernel.simulatedClock.advance(0);
    expect(handler.tell({ type: 'x' } as never), 'the old handler is stopped').to.equal(false);
    expect(kernel.lookup('kernel.irq.controller'), 'its supervisor started it again').to.not.equal(undefined);
    expect(irq.isClosed).to.equal(false);
    const again = await settled(kernel, irq.allocate({ name: 'b', handler: noop }));
    expect(again).to.equal(vector);
    expect(irq.allStats().map((s) => s.name)).to.deep.equal(['b']);
    await shutdown(kernel);
  });

  it('allocates the lowest free vector, frees it with its spawned handler, and reuses the number', async () => {
    const { kernel, irq } = await bootWithIrq();
    const v0 = await settled(kernel, irq.allocate({ name: 'a', handler: noop }));
    const v1 = await settled(kernel, irq.allocate({ name: 'b', handler: noop }));
    expect([v0, v1]).to.deep.equal([0, 1]);
    irq.mask(v0);
    irq.raise(v0, 'left behind');
    const stats = await settled(kernel, irq.free(v0));
    expect(stats).to.include({ raised: 1, delivered: 0, dropped: 1, queued: 0 });
    expect(kernel.lookup('kernel.irq.0')).to.equal(undefined);
    expect(() => irq.raise(v0, 'late')).to.throw(InvariantError);
    expect(await settled(kernel, irq.allocate({ name: 'c', handler: noop }))).to.equal(0);
    await shutdown(kernel);
  });

  it('refuses bad specs without leaking a vector, and refuses a non-handler actor as handler', async () => {
    const { kernel, irq } = await bootWithIrq();
    expect(await rejection(irq.allocate({ name: 'odd', handler: noop, ringCapacity: 1_000 }))).to.be.instanceOf(RangeError);
    expect(await rejection(irq.allocate({ name: '', handler: noop }))).to.be.instanceOf(TypeError);
    expect(await rejection(irq.allocate({ name: 'big', handler: noop, ringCapacity: irqLimits.ringCapacityEventsMax * 2 }))).to.be.instanceOf(RangeError);
    expect(await rejection(irq.allocate({ name: 'fn', handler: fromReceive(() => {}) as never }))).to.be.instanceOf(TypeError);
    const plain = kernel.spawn(fromReceive(() => {}));
    expect(await rejection(irq.allocate({ name: 'plain', handler: plain as never }))).to.be.instanceOf(TypeError);
    expect(irq.allStats()).to.deep.equal([]);
    expect(await settled(kernel, irq.allocate({ name: 'ok', handler: noop }))).to.equal(0);
    await shutdown(kernel);
  });

  it('serves several vectors from one handler actor given by ref, telling them apart', async () => {
    const { kernel, irq } = await bootWithIrq();
    const seen: string[] = [];
    const ref = kernel.spawn(interruptHandler<string>((events, _ctx, vector) => void seen.push(`${vector}:${events.join(',')}`)));
    const a = await settled(kernel, irq.allocate({ name: 'a', handler: ref }));
    const b = await settled(kernel, irq.allocate({ name: 'b', handler: ref }));
    irq.raise(a, 'x');
    irq.raise(b, 'y');
    irq.raise(a, 'z');
    kernel.simulatedClock.runReady();
    expect(seen).to.deep.equal([`${a}:x,z`, `${b}:y`]);
    // Freeing a vector served by someone else's actor leaves that actor alone.
    await settled(kernel, irq.free(a));
    expect(kernel.lookup<never>(ref.toString())).to.equal(undefined);
    expect(ref.cell.status).to.equal(0);
    await shutdown(kernel);
  });

  it('runs interrupts ahead of the handler actor’s own mail', async () => {
    const { kernel, irq } = await bootWithIrq();
    const order: string[] = [];
    const ref = kernel.spawn(
      interruptHandler<number, { readonly type: 'mail' }>((events) => void order.push(`irq ${events.join(',')}`), {
        receive: () => void order.push('mail'),
      }),
    );
    const vector = await settled(kernel, irq.allocate({ name: 'rt', handler: ref as never }));
    ref.tell({ type: 'mail' });
    irq.raise(vector, 1);
    kernel.simulatedClock.runReady();
    expect(order).to.deep.equal(['irq 1', 'mail']);
    await shutdown(kernel);
  });

  it('shows each line transition on the causal event stream, per wake and not per event', async () => {
    const { kernel, irq } = await bootWithIrq();
    const vector = await settled(kernel, irq.allocate({ name: 'traced', handler: noop }));
    const events = collectEvents(kernel);
    for (let n = 0; n < 50; n++) irq.raise(vector, n);
    kernel.simulatedClock.runReady();
    const transitions = events
      .filter((e): e is Extract<KernelEvent, { kind: 'transition' }> => e.kind === 'transition')
      .map((e) => `${e.from} -${e.event}-> ${e.to}`);
    expect(transitions).to.deep.equal([
      `irq${vector}.idle -irq.raise-> irq${vector}.pending`,
      `irq${vector}.pending -irq.service-start-> irq${vector}.inService`,
      `irq${vector}.inService -irq.drain-done-> irq${vector}.idle`,
    ]);
    await shutdown(kernel);
  });
});
