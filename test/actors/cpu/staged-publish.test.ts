/**
 * A kernel's port stages the frames it sends and publishes them in batches: one store and one
 * doorbell ring per ring, not per frame. Nothing staged is lost or reordered: it is published right
 * after the code that sent it, every `framesPerPublishMax` frames, when the ring fills (so the
 * consumer makes room), at once to a parked CPU, and a dead peer's unsent frames include it.
 */
import { expect } from 'chai';
import { createInterconnect } from '../../../actors/cpu/interconnect.js';
import { framesPerPublishMax } from '../../../actors/cpu/limits.js';
import { CpuPort } from '../../../actors/cpu/port.js';
import { sleepFlagWord } from '../../../actors/ring/layout.js';
import { KERNEL_STOP, type KernelMessage } from '../../../protocols/runtime.js';

function stop(seq: number): KernelMessage {
  return { type: KERNEL_STOP, to: 1_000 + seq, reason: `r${seq}` };
}

/** A sender port whose `soon` callbacks run only when the test says, and a receiver. */
function stagingPorts(ringBytes = 64 * 1024) {
  const memory = createInterconnect(2, ringBytes, false);
  const soon: (() => void)[] = [];
  const received: KernelMessage[] = [];
  const sender = new CpuPort(0, memory, { deliver: () => {}, soon: (callback) => soon.push(callback) });
  const receiver = new CpuPort(1, memory, { deliver: (_source, message) => received.push(message as KernelMessage) });
  // Mapping the rings rang the receiver's doorbell: take that in first.
  receiver.pump();
  const runSoon = () => {
    for (const callback of soon.splice(0)) callback();
  };
  const reasons = () => received.map((message) => (message as { reason: string }).reason);
  return { sender, receiver, received, reasons, runSoon, soonCount: () => soon.length };
}

describe('a port that stages its frames', () => {
  it('publishes them, in order, right after the code that sent them', () => {
    const { sender, receiver, reasons, runSoon, soonCount } = stagingPorts();
    for (let seq = 0; seq < 3; seq++) expect(sender.send(1, stop(seq))).to.equal(true);
    expect(soonCount(), 'one publish asked for, however many frames').to.equal(1);
    expect(receiver.hasWork(), 'nothing visible yet').to.equal(false);
    receiver.pump();
    expect(reasons()).to.deep.equal([]);
    runSoon();
    expect(receiver.hasWork(), 'the doorbell rang').to.equal(true);
    receiver.pump();
    expect(reasons()).to.deep.equal(['r0', 'r1', 'r2']);
  });

  it('publishes at once to a parked CPU, so that its wake starts during the send, and stages again once it is woken', () => {
    const { sender, receiver, reasons, runSoon, soonCount } = stagingPorts();
    // The receiver parks: its sleep flag goes up (wake.ts).
    Atomics.store(receiver.doorbell.header, sleepFlagWord, 1);
    expect(sender.send(1, stop(0))).to.equal(true);
    expect(receiver.hasWork(), 'published and rung in the send').to.equal(true);
    expect(receiver.doorbell.counters().notifies, 'the parked CPU was notified').to.equal(1);
    expect(soonCount(), 'nothing left to publish later').to.equal(0);
    // The notify took the flag down: what follows is staged, as for an awake CPU.
    for (let seq = 1; seq < 3; seq++) sender.send(1, stop(seq));
    receiver.pump();
    expect(reasons()).to.deep.equal(['r0']);
    expect(soonCount()).to.equal(1);
    runSoon();
    receiver.pump();
    expect(reasons()).to.deep.equal(['r0', 'r1', 'r2']);
    expect(receiver.doorbell.counters().notifies, 'one notify for the whole burst').to.equal(1);
  });

  it('publishes every framesPerPublishMax frames of a long burst without waiting', () => {
    const { sender, receiver, reasons } = stagingPorts();
    for (let seq = 0; seq < framesPerPublishMax + 5; seq++) sender.send(1, stop(seq));
    receiver.pump();
    // The structures sync counts as one of the staged frames of the first batch.
    expect(reasons().length).to.be.within(framesPerPublishMax - 1, framesPerPublishMax);
    expect(reasons()).to.deep.equal(Array.from({ length: reasons().length }, (_, seq) => `r${seq}`));
    sender.publish();
    receiver.pump();
    expect(reasons()).to.deep.equal(Array.from({ length: framesPerPublishMax + 5 }, (_, seq) => `r${seq}`));
  });

  it('publishes what is staged when the ring is full, so the consumer can make room', () => {
    const { sender, receiver, reasons } = stagingPorts(4 * 1024);
    let sent = 0;
    while (sender.send(1, stop(sent))) sent++;
    expect(sent).to.be.greaterThan(0);
    // Refused, and everything staged before it is visible.
    receiver.pump();
    receiver.pump();
    expect(reasons()).to.deep.equal(Array.from({ length: sent }, (_, seq) => `r${seq}`));
    expect(sender.send(1, stop(sent)), 'room again').to.equal(true);
  });

  it('counts staged frames among those a dead peer never took', () => {
    const { sender, runSoon } = stagingPorts();
    for (let seq = 0; seq < 3; seq++) sender.send(1, stop(seq));
    expect(sender.unsentTo(1).map((message) => (message as unknown as { reason: string }).reason)).to.deep.equal(['r0', 'r1', 'r2']);
    runSoon();
  });
});
