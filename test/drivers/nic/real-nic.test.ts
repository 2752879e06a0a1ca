import { expect } from 'chai';
import { clientTo } from '../../helpers/tcp-client.js';
import { connect as netConnect } from 'node:net';
import { createRealNic, type NicDriver, NicError, type NicEvent } from '../../../drivers/nic/index.js';
import { allocatePhysicalMemory } from '../../../actors/vm/physical-memory.js';

/** A NIC whose events are recorded, with a way to wait for one. */
function recordingNic(options: Parameters<typeof createRealNic>[0] = {}) {
  const nic = createRealNic(options);
  const events: NicEvent[] = [];
  const waiters: Array<{ test: (event: NicEvent) => boolean; resolve: (event: NicEvent) => void }> = [];
  nic.attach((event) => {
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.test(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
    }
  });
  const next = <K extends NicEvent['kind']>(kind: K, flow?: number): Promise<Extract<NicEvent, { kind: K }>> => {
    const test = (event: NicEvent) => event.kind === kind && (flow === undefined || event.flow === flow);
    const seen = events.find(test);
    if (seen !== undefined) {
      events.splice(events.indexOf(seen), 1);
      return Promise.resolve(seen as Extract<NicEvent, { kind: K }>);
    }
    return new Promise((resolve) =>
      waiters.push({
        test,
        resolve: (event) => {
          events.splice(events.indexOf(event), 1);
          resolve(event as Extract<NicEvent, { kind: K }>);
        },
      }),
    );
  };
  return { nic, events, next };
}

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

describe('drivers: the real NIC (Node net)', () => {
  let nics: NicDriver[] = [];
  afterEach(async () => {
    await Promise.all(nics.map((nic) => nic.close()));
    nics = [];
  });
  const open = (options?: Parameters<typeof createRealNic>[0]) => {
    const recorded = recordingNic(options);
    nics.push(recorded.nic);
    return recorded;
  };

  it('accepts a connection on loopback and carries bytes both ways, in order', async () => {
    const { nic, next } = open();
    const { port, host } = await nic.listen();
    expect(host).to.equal('127.0.0.1');
    const client = await clientTo(port);
    const accepted = await next('accepted');
    expect(accepted.remote.port).to.equal(client.localPort);
    client.write('hello');
    const data = await next('data', accepted.flow);
    expect(text(data.bytes)).to.equal('hello');
    nic.credit(accepted.flow, 1);
    const echoed = new Promise<string>((resolve) => client.once('data', (bytes) => resolve(bytes.toString())));
    expect(nic.write(accepted.flow, Buffer.from('world'))).to.equal(true);
    expect(await echoed).to.equal('world');
    client.end();
    await next('ended', accepted.flow);
    nic.end(accepted.flow);
    const closed = await next('closed', accepted.flow);
    expect(closed.fault).to.equal(null);
    nic.release(accepted.flow);
    expect(nic.stats()).to.include({ flowsOpen: 0, flowsAccepted: 1, bytesReceived: 5, bytesSent: 5 });
  });

  it('sends what a view of physical memory held at the write, though the memory is rewritten before the socket writes', async () => {
    const { nic, next } = open();
    const { port } = await nic.listen();
    const client = await clientTo(port);
    const { flow } = await next('accepted');
    // The VM's memory on one thread: a plain ArrayBuffer, whose frames it hands out again.
    const memory = new Uint8Array(allocatePhysicalMemory(4 << 20, 1, false).data);
    memory.set(Buffer.from('sent'), 4096);
    const received = new Promise<string>((resolve) => client.once('data', (bytes) => resolve(bytes.toString())));
    nic.write(flow, memory.subarray(4096, 4100));
    // The socket writes at the end of this turn (see the driver's cork): the frame is reused first.
    memory.set(Buffer.from('gone'), 4096);
    expect(await received).to.equal('sent');
    client.destroy();
  });

  it('stops reading a flow that has no credit left, and reads the rest once credit comes back', async () => {
    const { nic, next, events } = open({ receiveCreditChunks: 2 });
    const { port } = await nic.listen();
    const client = await clientTo(port);
    const { flow } = await next('accepted');
    // Enough bytes that they cannot all arrive as two chunks, sent in pieces the kernel delivers apart.
    const total = 4 << 20;
    const block = Buffer.alloc(64 << 10, 7);
    let written = 0;
    const writeAll = async () => {
      while (written < total) {
        written += block.length;
        if (!client.write(block)) await new Promise((resolve) => client.once('drain', resolve));
      }
    };
    const writing = writeAll();
    await next('data', flow);
    await next('data', flow);
    // With the credits spent, no data event comes however long we wait.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events.filter((event) => event.kind === 'data')).to.have.length(0);
    expect(nic.stats().receivePauses).to.equal(1);
    // One credit back at a time: each brings exactly one more chunk, until every byte came.
    while (nic.stats().bytesReceived < total) {
      nic.credit(flow, 1);
      await next('data', flow);
    }
    await writing;
    expect(nic.stats().bytesReceived).to.equal(total);
    client.destroy();
  });

  it('refuses connections past flowsMax and counts them', async () => {
    const { nic, next } = open({ flowsMax: 1 });
    const { port } = await nic.listen();
    await clientTo(port);
    await next('accepted');
    // The refused client is reset, during or right after its connect.
    const refused = netConnect({ host: '127.0.0.1', port });
    refused.on('error', () => {});
    await new Promise((resolve) => refused.once('close', resolve));
    expect(nic.stats()).to.include({ flowsRefused: 1, flowsOpen: 1 });
  });

  it('connects out, and reports a refused connection as a closed flow with its fault', async () => {
    const { nic, next } = open();
    const { port } = await nic.listen();
    const outgoing = nic.connect('127.0.0.1', port);
    await next('connected', outgoing);
    const accepted = await next('accepted');
    expect(accepted.flow).to.not.equal(outgoing);
    nic.destroy(outgoing);
    expect((await next('closed', outgoing)).fault).to.equal(null);
    const reset = await next('closed', accepted.flow);
    expect(reset.fault?.code).to.equal('ECONNRESET');
    nic.release(outgoing);
    await nic.unlisten(1);
    const failed = nic.connect('127.0.0.1', port);
    const closed = await next('closed', failed);
    expect(closed.fault?.code).to.equal('ECONNREFUSED');
  });

  it('gives typed errors: a port in use, a write after end, an unknown flow, a release of an open flow', async () => {
    const { nic, next } = open();
    const { port } = await nic.listen();
    const other = open();
    const inUse = await other.nic.listen({ port }).catch((error: unknown) => error);
    expect(inUse).to.be.instanceOf(NicError).with.property('code', 'EADDRINUSE');
    await clientTo(port);
    const { flow } = await next('accepted');
    expect(() => nic.release(flow)).to.throw(NicError, /still open/);
    nic.end(flow);
    expect(() => nic.write(flow, new Uint8Array(1))).to.throw(NicError, /EPIPE/);
    expect(() => nic.credit(999, 1)).to.throw(NicError, /EBADF/);
    expect(() => nic.credit(flow, 1)).to.throw(NicError, /more credits than it spent/);
  });
});
