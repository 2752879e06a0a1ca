/**
 * A ring re-attached after its peer CPU restarted is drained: frames the new incarnation sent before
 * this CPU mapped its rings do not wait for unrelated traffic, even though the doorbell bit they rang
 * was spent on the old ring.
 */
import { expect } from 'chai';
import { createInterconnect, replaceRingsOf } from '../../../actors/cpu/interconnect.js';
import { CpuPort } from '../../../actors/cpu/port.js';
import { KERNEL_STOP, type KernelMessage } from '../../../protocols/runtime.js';

describe('a re-attached ring', () => {
  it('is drained by the next pump, without new traffic to ring the doorbell', () => {
    const ringBytes = 16 * 1024;
    const memory = createInterconnect(3, ringBytes, false);
    const received: KernelMessage[] = [];
    const busy = new CpuPort(2, memory, { deliver: (_source, message) => received.push(message as KernelMessage) });
    // CPU 1 restarts on fresh rings; its new incarnation sends before CPU 2 has mapped them.
    replaceRingsOf(memory, 1, ringBytes);
    const restarted = new CpuPort(1, memory, { deliver: () => {} });
    const stop: KernelMessage = { type: KERNEL_STOP, to: 7, reason: 'shutdown' };
    expect(restarted.send(2, stop)).to.equal(true);
    // CPU 2, still on the old ring, pumps: the bell bit for CPU 1 is spent on an empty ring.
    expect(busy.pump()).to.equal(0);
    busy.attachPeer(1);
    expect(busy.hasWork(), 'the new ring is pending').to.equal(true);
    busy.pump();
    expect(received).to.deep.equal([stop]);
  });
});
