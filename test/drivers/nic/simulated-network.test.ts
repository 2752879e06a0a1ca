import { expect } from 'chai';
import { NicError } from '../../../drivers/nic/nic.js';
import { bytesEqual } from '../../../ground/bytes.js';
import { acceptedFlow, advanceUntil, closedEvent, createWorld, creditAtOnce, pattern } from './simulated-world.js';

const port = 11211;

/** A client and a server, the server listening on every address; both give credits back at once. */
async function pair(seed: number, ...rest: Parameters<typeof createWorld> extends [number, ...infer R] ? R : never) {
  const world = createWorld(seed, ...rest);
  const server = world.host('server', {}, creditAtOnce);
  const client = world.host('client', {}, creditAtOnce);
  await server.listen({ host: '0.0.0.0', port });
  return { world, server, client };
}

describe('drivers: the simulated network', () => {
  it('connects two hosts and carries bytes both ways until both ends close cleanly', async () => {
    const { world, server, client } = await pair(1);
    const flow = client.connect('server', port);
    expect(world.log, 'no event inside a driver call').to.have.length(0);
    client.write(flow, pattern(5_000, 1));
    client.end(flow);
    await world.clock.runUntilIdle();
    const accepted = acceptedFlow(world, 'server');
    expect(bytesEqual(world.received('server', accepted), pattern(5_000, 1))).to.equal(true);
    server.write(accepted, pattern(3_000, 2));
    server.end(accepted);
    await world.clock.runUntilIdle();
    expect(bytesEqual(world.received('client', flow), pattern(3_000, 2))).to.equal(true);
    expect(world.eventsOf('client', flow).map((event) => event.kind)).to.deep.equal(['connected', 'data', 'data', 'data', 'ended', 'closed']);
    expect(closedEvent(world, 'client', flow)?.fault).to.equal(null);
    expect(closedEvent(world, 'server', accepted)?.fault).to.equal(null);
    const connected = world.eventsOf('client', flow)[0]!;
    expect(connected).to.deep.include({ local: { address: '10.0.0.2', port: 49_152 }, remote: { address: '10.0.0.1', port } });
    expect(client.stats()).to.deep.include({ flowsOpen: 0, flowsConnected: 1, bytesSent: 5_000, bytesReceived: 3_000 });
    expect(server.stats()).to.deep.include({ flowsOpen: 0, flowsAccepted: 1, bytesSent: 3_000, bytesReceived: 5_000 });
    client.release(flow);
    server.release(accepted);
  });

  it('refuses a connection to a port nobody listens on: closed with ECONNREFUSED, its only event', async () => {
    const { world, client } = await pair(2);
    const flow = client.connect('server', port + 1);
    await world.clock.runUntilIdle();
    expect(world.eventsOf('client', flow)).to.deep.equal([{ kind: 'closed', flow, fault: { code: 'ECONNREFUSED', message: 'connection refused' } }]);
  });

  it('still refuses when SYNs and resets are dropped: the SYN is retried until a reset gets through', async () => {
    const { world, client } = await pair(3, { dropRate: 0.6 }, { retriesMax: 30 });
    const flow = client.connect('server', port + 1);
    await world.clock.runUntilIdle();
    expect(closedEvent(world, 'client', flow)?.fault?.code).to.equal('ECONNREFUSED');
    expect(world.network.stats().dropped).to.be.greaterThan(0);
  });

  it('fails a connect whose SYNs never get through with ETIMEDOUT, after the retry limit', async () => {
    const { world, client } = await pair(4, {}, { retriesMax: 3 });
    world.network.partition('client', 'server');
    const flow = client.connect('server', port);
    await world.clock.runUntilIdle();
    const closed = world.log.find((entry) => entry.event.kind === 'closed');
    expect(closedEvent(world, 'client', flow)?.fault?.code).to.equal('ETIMEDOUT');
    // 200 + 400 + 800 + 1600 ms: the first timeout doubled three times, then the last one expires.
    expect(closed?.atMs).to.equal(3_000);
    expect(world.network.stats().partitioned).to.equal(4);
  });

  it('fails a connect to a name no host has with ENOTFOUND', async () => {
    const { world, client } = await pair(5);
    const flow = client.connect('nowhere', port);
    await world.clock.runUntilIdle();
    expect(closedEvent(world, 'client', flow)?.fault?.code).to.equal('ENOTFOUND');
  });

  it('stalls a flow while a partition lasts and completes it once healed, within the retry limit', async () => {
    const { world, server, client } = await pair(6, { delayMs: { min: 1, max: 3 } }, { retriesMax: 8 });
    const flow = client.connect('server', port);
    const total = 400_000;
    const written = world.write(client, flow, total, 3, { end: true });
    await world.clock.advance(20);
    const accepted = acceptedFlow(world, 'server');
    world.network.partition(server, client);
    await world.clock.advance(5); // packets already on the wire arrive or are cut
    const before = world.received('server', accepted).byteLength;
    expect(before).to.be.greaterThan(0);
    await world.clock.advance(4_000);
    expect(world.received('server', accepted).byteLength, 'no progress while partitioned').to.equal(before);
    expect(closedEvent(world, 'client', flow), 'not timed out yet').to.equal(undefined);
    world.network.heal(server, client);
    server.end(accepted);
    await world.clock.runUntilIdle();
    expect(written()).to.equal(total);
    const received = world.received('server', accepted);
    expect(bytesEqual(received, pattern(total, 3))).to.equal(true);
    expect(closedEvent(world, 'client', flow)?.fault).to.equal(null);
  });

  it('closes a flow with ETIMEDOUT when a partition outlasts the retry limit', async () => {
    const { world, server, client } = await pair(7, {}, { retriesMax: 4 });
    const flow = client.connect('server', port);
    await world.clock.advance(10);
    const accepted = acceptedFlow(world, 'server');
    world.network.partition(client, server);
    client.write(flow, pattern(10_000, 4));
    await world.clock.advance(60_000);
    expect(closedEvent(world, 'client', flow)?.fault?.code).to.equal('ETIMEDOUT');
    // The receiver heard nothing; once healed, what it sends finds no connection and it is reset.
    world.network.healAll();
    server.write(accepted, pattern(10, 5));
    await world.clock.runUntilIdle();
    expect(closedEvent(world, 'server', accepted)?.fault?.code).to.equal('ECONNRESET');
  });

  it('resets the peer when a flow is destroyed: the peer gets closed ECONNRESET, this side no fault', async () => {
    const { world, server, client } = await pair(8);
    const flow = client.connect('server', port);
    client.write(flow, pattern(100, 6));
    await world.clock.runUntilIdle();
    const accepted = acceptedFlow(world, 'server');
    client.destroy(flow);
    expect(() => client.write(flow, pattern(1, 6)))
      .to.throw(NicError)
      .with.property('code', 'EPIPE');
    await world.clock.runUntilIdle();
    expect(closedEvent(world, 'client', flow)?.fault).to.equal(null);
    expect(closedEvent(world, 'server', accepted)?.fault?.code).to.equal('ECONNRESET');
    expect(server.stats().flowsOpen).to.equal(0);
  });

  it('holds back data while credits are withheld (write returns false, no event past the credits) and delivers the rest once they return', async () => {
    const world = createWorld(9, { delayMs: { min: 1, max: 4 } });
    const server = world.host('server', { receiveCreditChunks: 4 });
    const client = world.host('client', {}, creditAtOnce);
    await server.listen({ host: '0.0.0.0', port });
    const flow = client.connect('server', port);
    const total = 300_000;
    const written = world.write(client, flow, total, 7, { chunkBytes: 10_000 });
    expect(written(), 'write returned false above the high-water mark').to.be.below(total);
    await world.clock.advance(30_000);
    const accepted = acceptedFlow(world, 'server');
    const data = () => world.eventsOf('server', accepted).filter((event) => event.kind === 'data');
    expect(data()).to.have.length(4);
    expect(closedEvent(world, 'client', flow), 'a full receiver is no reason to time out').to.equal(undefined);
    expect(server.stats().receivePauses).to.equal(1);
    // The consumer takes one event at a time, credits it back, and the client writes on when told.
    let taken = 0;
    for (let round = 0; round < 10_000 && (taken < data().length || written() < total); round++) {
      if (taken < data().length) {
        taken++;
        server.credit(accepted, 1);
      }
      await world.clock.advance(5);
      expect(data().length - taken, 'data events outstanding never exceed the credits').to.be.at.most(4);
    }
    expect(written()).to.equal(total);
    expect(bytesEqual(world.received('server', accepted), pattern(total, 7))).to.equal(true);
    expect(world.eventsOf('client', flow).some((event) => event.kind === 'writable')).to.equal(true);
  });

  it('closes: every flow is reset (its closed event still comes), handshakes under way too, and nothing more is taken', async () => {
    const { world, server, client } = await pair(15);
    const flow = client.connect('server', port);
    await world.clock.runUntilIdle();
    const accepted = acceptedFlow(world, 'server');
    const late = world.host('late');
    const pending = late.connect('server', port);
    await world.clock.advance(1.5); // the late SYN is in, the SYN-ACK on its way…
    world.network.partition(server, late); // …and lost: the handshake stays under way
    await server.close();
    world.network.healAll();
    await world.clock.runUntilIdle();
    expect(closedEvent(world, 'server', accepted)?.fault).to.equal(null);
    expect(closedEvent(world, 'client', flow)?.fault?.code).to.equal('ECONNRESET');
    expect(closedEvent(world, 'late', pending)?.fault?.code).to.be.oneOf(['ECONNRESET', 'ECONNREFUSED']);
    expect(server.stats()).to.deep.include({ flowsOpen: 0, flowsAccepted: 1 });
    expect(() => server.connect('client', port))
      .to.throw(NicError)
      .with.property('code', 'ESHUTDOWN');
  });

  it('refuses writes past the buffer cap with ENOBUFS, queuing nothing of them', async () => {
    const world = createWorld(10);
    const server = world.host('server');
    const client = world.host('client', { tcp: { sendBufferBytesMax: 20_000, sendHighWaterBytes: 10_000 } });
    await server.listen({ host: '0.0.0.0', port });
    const flow = client.connect('server', port);
    expect(client.write(flow, pattern(15_000, 8))).to.equal(false);
    expect(() => client.write(flow, pattern(6_000, 8)))
      .to.throw(NicError)
      .with.property('code', 'ENOBUFS');
    expect(client.stats().bytesSent).to.equal(15_000);
  });

  it('refuses connections past flowsMax and counts them', async () => {
    const world = createWorld(11);
    const server = world.host('server', { flowsMax: 2 }, creditAtOnce);
    const clients = ['a', 'b', 'c'].map((name) => world.host(name));
    await server.listen({ host: '0.0.0.0', port });
    const flows = clients.map((client) => client.connect('server', port));
    await world.clock.runUntilIdle();
    const faults = clients.map((client, index) => closedEvent(world, client.name, flows[index]!)?.fault?.code ?? 'open');
    expect(faults).to.deep.equal(['open', 'open', 'ECONNREFUSED']);
    expect(server.stats()).to.deep.include({ flowsAccepted: 2, flowsRefused: 1, flowsOpen: 2 });
    // A connect past this host's own bound throws: there is no flow to report it on.
    const lone = world.host('lone', { flowsMax: 1 });
    lone.connect('server', port);
    expect(() => lone.connect('server', port))
      .to.throw(NicError)
      .with.property('code', 'EMFILE');
    expect(lone.stats().flowsRefused).to.equal(1);
  });

  it('checks its calls: unknown flows, a port bound twice, early release, credits never spent', async () => {
    const { world, server, client } = await pair(12);
    expect(() => client.write(99, pattern(1, 0)))
      .to.throw(NicError)
      .with.property('code', 'EBADF');
    await server.listen({ host: '10.0.0.1', port }).then(
      () => expect.fail('bound twice'),
      (error: unknown) => expect(error).to.be.instanceOf(NicError).with.property('code', 'EADDRINUSE'),
    );
    const flow = client.connect('server', port);
    expect(() => client.release(flow))
      .to.throw(NicError)
      .with.property('code', 'EBUSY');
    expect(() => client.credit(flow, 1))
      .to.throw(NicError)
      .with.property('code', 'EINVAL');
    client.end(flow);
    expect(() => client.write(flow, pattern(1, 0)))
      .to.throw(NicError)
      .with.property('code', 'EPIPE');
    expect(() => world.network.host('server')).to.throw(RangeError);
    await world.clock.runUntilIdle();
  });

  it('accepts only its own connections on a loopback listener', async () => {
    const world = createWorld(13);
    const server = world.host('server', {}, creditAtOnce);
    const client = world.host('client');
    await server.listen({ port });
    const local = server.connect('localhost', port);
    const remote = client.connect('server', port);
    await world.clock.runUntilIdle();
    expect(world.eventsOf('server', local)[0]).to.deep.include({ kind: 'connected', remote: { address: '127.0.0.1', port } });
    expect(closedEvent(world, 'client', remote)?.fault?.code).to.equal('ECONNREFUSED');
  });

  it('replays the same event trace from the same seed, and another from another seed', async () => {
    const trace = async (seed: number, extraHost: boolean) => {
      const { world, server, client } = await pair(
        seed,
        { dropRate: 0.2, duplicateRate: 0.1, reorderRate: 0.1, delayMs: { min: 1, max: 20 } },
        { retriesMax: 20 },
      );
      if (extraHost) world.host('bystander');
      const flow = client.connect('server', port);
      for (let index = 0; index < 10; index++) client.write(flow, pattern(3_000, index));
      client.end(flow);
      await advanceUntil(world, () => world.eventsOf('server').length > 0);
      server.end(acceptedFlow(world, 'server'));
      await world.clock.runUntilIdle();
      const events = world.log.map(({ atMs, host, event }) => {
        const bytes = event.kind === 'data' ? Buffer.from(event.bytes).toString('base64') : '';
        return `${atMs} ${host} ${event.kind} ${event.flow} ${bytes}`;
      });
      return { events, wire: world.network.stats() };
    };
    const first = await trace(21, false);
    expect(first.wire.dropped).to.be.greaterThan(0);
    expect(await trace(21, false)).to.deep.equal(first);
    expect(await trace(21, true), 'a new idle host changes nothing between the others').to.deep.equal(first);
    expect((await trace(22, false)).events).to.not.deep.equal(first.events);
  });

  it('drops packets past the in-flight bound and counts them; TCP recovers', async () => {
    const world = createWorld(14, { delayMs: { min: 5, max: 5 } }, { retriesMax: 20 }, 8);
    const server = world.host('server', {}, creditAtOnce);
    const client = world.host('client');
    await server.listen({ host: '0.0.0.0', port });
    const flow = client.connect('server', port);
    client.write(flow, pattern(60_000, 9));
    client.end(flow);
    await world.clock.advance(1_000);
    const accepted = acceptedFlow(world, 'server');
    server.end(accepted);
    await world.clock.runUntilIdle();
    expect(world.network.stats().overflowed).to.be.greaterThan(0);
    expect(bytesEqual(world.received('server', accepted), pattern(60_000, 9))).to.equal(true);
    expect(closedEvent(world, 'client', flow)?.fault).to.equal(null);
  });
});
