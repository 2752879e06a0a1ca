/**
 * Interrupt affinity across CPUs (OSv's set_affinity_and_wake): a vector follows its handler to
 * another CPU, on a kernel of simulated CPUs. The device keeps raising on CPU 0; each wake carries a
 * batch to the handler's CPU.
 */
import { expect } from 'chai';
import { interrupts, type InterruptController, type VectorNumber } from '../../../actors/irq/index.js';
import { Kernel } from '../../../boot/kernel.js';
import { pidCpu } from '../../../ground/pid.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import { Counter, EventLog, type EventLogMsg, eventLog } from '../cpu/fixtures/behaviors.js';
import { settledOnClock as settled, shutdown } from '../../helpers/kernel.js';

const modules = [new URL('../cpu/fixtures/behaviors.js', import.meta.url)];

async function bootCpus(): Promise<{ kernel: Kernel; irq: InterruptController }> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 3, cpus: 2, modules });
  const irq = kernel.subsystem(interrupts);
  return { kernel, irq };
}

function raiseRange(irq: InterruptController, vector: VectorNumber<number>, from: number, to: number): void {
  for (let n = from; n < to; n++) irq.raise(vector, n);
}

/** The logged events of `vector`, as [cpu, event]. */
function logOf(vector: number): [number, number][] {
  return eventLog.filter(([, v]) => v === vector).map(([cpu, , event]) => [cpu, event]);
}

describe('interrupt affinity across CPUs (simulated CPUs)', function () {
  this.timeout(30_000);
  beforeEach(() => (eventLog.length = 0));

  it('a vector follows its handler when the handler migrates: same events, in order, far fewer wakes', async () => {
    const { kernel, irq } = await bootCpus();
    const handler: ActorRef<EventLogMsg> = kernel.spawn(EventLog, { priority: 'realtime' });
    const vector = await settled(kernel, irq.allocate<number>({ name: 'nic0', handler }));
    raiseRange(irq, vector, 0, 100);
    await kernel.simulatedClock.advance(1);
    expect(irq.stats(vector)).to.include({ cpu: 0, retargets: 0, delivered: 100, line: 'idle' });

    await settled(kernel, kernel.scheduler.ask({ type: 'sched.migrate', pid: handler.pid, cpu: 1 }));
    expect(pidCpu(handler.pid)).to.equal(1);
    raiseRange(irq, vector, 100, 1_100);
    await kernel.simulatedClock.advance(5);
    // Events raised while a batch travels wait in the ring for the next one.
    raiseRange(irq, vector, 1_100, 1_200);
    await kernel.simulatedClock.advance(5);

    const log = logOf(vector);
    expect(log.map(([, event]) => event)).to.deep.equal(Array.from({ length: 1_200 }, (_, n) => n));
    expect(log.slice(0, 100).every(([cpu]) => cpu === 0)).to.equal(true);
    expect(log.slice(100).every(([cpu]) => cpu === 1)).to.equal(true);
    const stats = irq.stats(vector);
    expect(stats).to.include({ cpu: 1, retargets: 1, raised: 1_200, delivered: 1_200, overruns: 0, dropped: 0, queued: 0, line: 'idle', batchMax: 256 });
    // 1 100 events on CPU 1 in batches of at most 256: a handful of wakes, not one per event.
    expect(stats.wakes).to.be.at.most(1 + 2 * Math.ceil(1_100 / 256));
    await shutdown(kernel);
  });

  it('counts overruns on the device CPU when a remote handler cannot keep up; nothing goes missing', async () => {
    const { kernel, irq } = await bootCpus();
    const handler = kernel.spawn(EventLog, { cpu: 1, priority: 'realtime' });
    const vector = await settled(kernel, irq.allocate<number>({ name: 'small', handler, ringCapacity: 64, batchEvents: 16 }));
    raiseRange(irq, vector, 0, 1_000);
    await kernel.simulatedClock.advance(10);
    const stats = irq.stats(vector);
    expect(stats).to.include({ cpu: 1, raised: 1_000, overruns: 936, delivered: 64, queued: 0, dropped: 0, line: 'idle' });
    expect(logOf(vector).map(([, event]) => event)).to.deep.equal(Array.from({ length: 64 }, (_, n) => n));
    await shutdown(kernel);
  });

  it('refuses a handler on another CPU that is no interrupt handler', async () => {
    const { kernel, irq } = await bootCpus();
    const counter = kernel.spawn(Counter, { cpu: 1 });
    const refused = await settled(
      kernel,
      irq.allocate<number>({ name: 'wrong', handler: counter as never }).then(
        () => null,
        (error: unknown) => error,
      ),
    );
    expect(refused).to.be.instanceOf(Error);
    expect((refused as Error).message).to.match(/is not an interrupt handler actor/);
    expect(irq.allStats()).to.deep.equal([]);
    await shutdown(kernel);
  });

  it('drops and counts the batches of a remote handler that stopped; the counters still add up', async () => {
    const { kernel, irq } = await bootCpus();
    const handler = kernel.spawn(EventLog, { cpu: 1 });
    const vector = await settled(kernel, irq.allocate<number>({ name: 'orphan', handler }));
    raiseRange(irq, vector, 0, 10);
    await kernel.simulatedClock.advance(2);
    await kernel.runUntil(kernel.stop(handler));
    await kernel.simulatedClock.advance(2);
    raiseRange(irq, vector, 10, 50);
    await kernel.simulatedClock.advance(5);
    const stats = irq.stats(vector);
    expect(stats.delivered).to.equal(10);
    expect(stats.raised).to.equal(stats.delivered + stats.overruns + stats.queued + stats.dropped);
    expect(stats.dropped).to.equal(40);
    expect(stats.line).to.equal('idle');
    await shutdown(kernel);
  });
});
