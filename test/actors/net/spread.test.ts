import { expect } from 'chai';
import { clientTo } from '../../helpers/tcp-client.js';
import type { Socket as NodeSocket } from 'node:net';
import type { AttachedNic } from '../../../actors/net/attached-nic.js';
import { connectionHandler } from '../../../actors/net/connection-handler.js';
import { farUnackedBytesMax, packetPoolBytes } from '../../../actors/net/limits.js';
import { network } from '../../../actors/net/subsystem.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createRealNic, dataEventBytesMax } from '../../../drivers/nic/index.js';
import { eventually } from '../../helpers/eventually.js';
import { CrashOnData, DieOnWorkerData, EchoWithCpu, SlowFarEcho } from './fixtures/handlers.js';

/** Sends `text` and resolves with the first reply, or with the error code if the flow is reset. */
function roundTrip(socket: NodeSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (bytes) => resolve(bytes.toString()));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    socket.once('close', () => resolve('closed'));
    socket.write(text);
  });
}

describe('net: owners spread over worker CPUs', function () {
  this.timeout(60_000);
  let kernel: Kernel;
  let nic: AttachedNic;

  beforeEach(async () => {
    kernel = await Kernel.boot({
      cpus: 2,
      modules: [new URL('./fixtures/handlers.js', import.meta.url)],
      subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 }), network],
    });
    nic = await kernel.subsystem(network).attach(createRealNic(), { name: 'eth0' });
  });
  afterEach(async () => kernel.shutdown());

  it('places owners round robin over the CPUs, shows where in status, and carries bytes both ways', async () => {
    const { port } = await nic.listen({ port: 0, connection: EchoWithCpu, placement: 'spread' });
    const clients = await Promise.all(Array.from({ length: 4 }, () => clientTo(port)));
    const replies = await Promise.all(clients.map((client, i) => roundTrip(client, `hello ${i}`)));
    expect(replies.map((reply) => reply.split(':')[0]).sort()).to.deep.equal(['0', '0', '1', '1']);
    replies.forEach((reply, i) => expect(reply.slice(2)).to.equal(`hello ${i}`));
    expect(nic.status().ownersByCpu).to.deep.equal({ 0: 2, 1: 2 });
    // A large echo from a far owner, three times the packet pool and the budget of bytes sent
    // back (packetPoolBytes, farUnackedBytesMax): buffers, credits and `taken` go back as it runs. The client ends its side, and the owner's FIN comes after every reply: no timer, so a
    // slow machine only takes longer, and every byte is checked.
    const far = clients[replies.findIndex((reply) => reply.startsWith('1:'))]!;
    const big = 'x'.repeat(3 * Math.max(packetPoolBytes, farUnackedBytesMax));
    const chunks: Buffer[] = [];
    far.on('data', (bytes: Buffer) => chunks.push(bytes));
    const ended = new Promise((resolve) => far.once('end', resolve));
    far.end(big);
    await ended;
    const echoed = Buffer.concat(chunks).toString();
    // Each chunk the far owner took (a packet buffer, 64 KiB at most) came back behind its CPU's prefix.
    expect(echoed.split('1:').join('')).to.equal(big);
    expect((echoed.length - big.length) / 2).to.be.at.least(big.length / dataEventBytesMax);
    expect(nic.status().droppedBytes).to.equal(0);
    for (const client of clients) client.destroy();
    // Every flow gone, every packet buffer back in the pool.
    await eventually(() => Object.keys(nic.status().channels).length === 0 || undefined);
    expect(nic.status().packetBytesInUse).to.equal(0);
  });

  it('keeps no packet buffers for far owners that cannot send, so clients that never read stall only themselves', async () => {
    const { port } = await nic.listen({ port: 0, connection: EchoWithCpu, placement: 'workers' });
    // Each stuck client's credits are worth a quarter of the pool: six of them would hold it all.
    const stuck = await Promise.all(Array.from({ length: 6 }, () => clientTo(port)));
    for (const client of stuck) {
      client.pause();
      client.on('error', () => {});
      client.write('s'.repeat(4 * packetPoolBytes));
    }
    // Every stuck flow ran out of credits (its echo blocked, its data copied out of the pool)…
    await eventually(() => nic.status().driver.receivePauses >= stuck.length || undefined, 30_000);
    await eventually(() => nic.status().packetBytesInUse === 0 || undefined);
    // …and another client on the same CPU is served all the same.
    const other = await clientTo(port);
    expect(await roundTrip(other, 'still served')).to.equal('1:still served');
    for (const client of [...stuck, other]) client.destroy();
    await eventually(() => Object.keys(nic.status().channels).length === 0 || undefined);
    expect(nic.status().packetBytesInUse).to.equal(0);
  });

  it('takes back the packet buffers of flows that close with data their owners never read', async () => {
    const { port } = await nic.listen({ port: 0, connection: EchoWithCpu, placement: 'spread' });
    const clients = await Promise.all(Array.from({ length: 8 }, () => clientTo(port)));
    for (const client of clients) {
      client.on('error', () => {});
      client.write('z'.repeat(256 << 10));
      client.destroy();
    }
    await eventually(() => Object.keys(nic.status().channels).length === 0 || undefined);
    expect(nic.status().packetBytesInUse).to.equal(0);
  });

  it("holds a far flow's data on the NIC's CPU while the packet pool is full, and loses none of it", async () => {
    // Credits worth more than the pool: the pool, not the credits, is what stops the shipping.
    await kernel.subsystem(network).detach('eth0');
    nic = await kernel.subsystem(network).attach(createRealNic({ receiveCreditChunks: 256 }), { name: 'eth1' });
    // The far owner holds its CPU for a while on its first data (SlowFarEcho), as a slow handler
    // would: the pool fills behind it whatever the machine's speed, which a fast far CPU's keeping up
    // left to chance (a whole stress run made it keep up four transfers in a row).
    const { port } = await nic.listen({ port: 0, connection: SlowFarEcho, placement: 'spread' });
    const big = 'y'.repeat(4 * packetPoolBytes);
    // One after the other: 'spread' places the second on the other CPU.
    const clients = [await clientTo(port), await clientTo(port)];
    const far = clients[1]!;
    const chunks: Buffer[] = [];
    far.on('data', (bytes: Buffer) => chunks.push(bytes));
    const ended = new Promise((resolve) => far.once('end', resolve));
    far.end(big);
    await ended;
    expect(Buffer.concat(chunks).toString().split('1:').join('')).to.equal(big);
    for (const client of clients) client.destroy();
    expect(nic.status().bufferWaits, 'the transfer met a full pool').to.be.greaterThan(0);
    expect(nic.status().droppedBytes).to.equal(0);
  });

  it("places owners on the CPUs other than the NIC's with placement 'workers'", async () => {
    const { port } = await nic.listen({ port: 0, connection: EchoWithCpu, placement: 'workers' });
    const clients = await Promise.all(Array.from({ length: 3 }, () => clientTo(port)));
    const replies = await Promise.all(clients.map((client, i) => roundTrip(client, `w${i}`)));
    expect(replies.map((reply) => reply.split(':')[0])).to.deep.equal(['1', '1', '1']);
    expect(nic.status().ownersByCpu).to.deep.equal({ 1: 3 });
    for (const client of clients) client.destroy();
  });

  it("places 'workers' owners on the NIC's CPU when it is the only one", async () => {
    const single = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 32 << 20 }), network] });
    try {
      const eth = await single.subsystem(network).attach(createRealNic(), { name: 'eth0' });
      const { port } = await eth.listen({ port: 0, connection: EchoWithCpu, placement: 'workers' });
      const client = await clientTo(port);
      expect(await roundTrip(client, 'alone')).to.equal('0:alone');
      client.destroy();
    } finally {
      await single.shutdown();
    }
  });

  it('refuses a placement it does not know', async () => {
    const refused = await nic.listen({ port: 0, connection: EchoWithCpu, placement: 'everywhere' as never }).catch((error: unknown) => error);
    expect(refused).to.have.property('code', 'net-config');
  });

  it('resets the flow of a far owner that crashes', async () => {
    const { port } = await nic.listen({ port: 0, connection: CrashOnData, placement: 'spread' });
    const clients = await Promise.all([clientTo(port), clientTo(port)]);
    const outcomes = await Promise.all(clients.map((client) => roundTrip(client, 'boom')));
    expect(outcomes).to.deep.equal(['ECONNRESET', 'ECONNRESET']);
  });

  it('resets every flow of an owner CPU that dies, the idle ones too, and keeps the others', async () => {
    const { port } = await nic.listen({ port: 0, connection: DieOnWorkerData, placement: 'spread' });
    const clients: NodeSocket[] = [];
    for (let i = 0; i < 4; i++) {
      clients.push(await clientTo(port));
      // One at a time, so that the round robin gives CPU 0, 1, 0, 1.
      while (Object.values(nic.status().ownersByCpu).reduce((sum, count) => sum + count, 0) < i + 1) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(nic.status().ownersByCpu).to.deep.equal({ 0: 2, 1: 2 });
    const ends = clients.map((client) => new Promise<string>((resolve) => client.once('close', () => resolve('closed')).once('error', () => {})));
    // The second client's owner kills CPU 1; the fourth's, on the same CPU, sends nothing.
    clients[1]!.write('die');
    expect(await Promise.all([ends[1], ends[3]])).to.deep.equal(['closed', 'closed']);
    expect(await roundTrip(clients[0]!, 'still here')).to.equal('still here');
    for (const client of clients) client.destroy();
  });

  it('resets, and counts, a flow placed on a CPU that does not define its handler', async () => {
    // Defined in this test file only: CPU 1 never imported it.
    const local = connectionHandler('test-defined-on-cpu-0-only', (socket) => ({ data: (bytes) => void socket.send(bytes) }));
    const { port } = await nic.listen({ port: 0, connection: local, placement: 'spread' });
    const clients = await Promise.all([clientTo(port), clientTo(port)]);
    // The reset may reach the client before its write (EPIPE) or after (ECONNRESET).
    const outcomes = (await Promise.all(clients.map((client) => roundTrip(client, 'hi'))))
      .map((outcome) => (outcome === 'EPIPE' ? 'ECONNRESET' : outcome))
      .sort();
    expect(outcomes).to.deep.equal(['ECONNRESET', 'hi']);
  });

  it('refuses to spread on a kernel without the VM, where packet buffers live', async () => {
    const bare = await Kernel.boot({ cpus: 2, modules: [new URL('./fixtures/handlers.js', import.meta.url)], subsystems: [...defaultSubsystems, network] });
    try {
      const eth = await bare.subsystem(network).attach(createRealNic(), { name: 'eth0' });
      const refused = await eth.listen({ port: 0, connection: EchoWithCpu, placement: 'spread' }).catch((error: unknown) => error);
      expect(refused).to.have.property('code', 'net-config');
      expect(String(refused)).to.match(/boot the vm subsystem/);
    } finally {
      await bare.shutdown();
    }
  });

  it('refuses to spread a bare factory, which other CPUs cannot name', async () => {
    const refused = await nic
      .listen({ port: 0, connection: (socket) => ({ data: (bytes) => void socket.send(bytes) }), placement: 'spread' })
      .catch((error: unknown) => error);
    expect(refused).to.have.property('code', 'net-config');
  });
});
