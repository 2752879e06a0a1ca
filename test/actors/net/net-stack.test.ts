import { expect } from 'chai';
import { eventually } from '../../helpers/eventually.js';
import { clientTo } from '../../helpers/tcp-client.js';
import type { Socket as NodeSocket } from 'node:net';
import type { AttachedNic } from '../../../actors/net/attached-nic.js';
import type { ConnectionFactory } from '../../../actors/net/connection.js';
import { network } from '../../../actors/net/subsystem.js';
import { type ActorRef, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createRealNic, NicError, type RealNicOptions } from '../../../drivers/nic/index.js';

/** Reads from `socket` until `bytes` bytes came; resolves with them. */
function readBytes(socket: NodeSocket, bytes: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= bytes) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
  });
}

const echo: ConnectionFactory = (socket) => ({ data: (bytes) => void socket.send(bytes) });

describe('net: channels over a real NIC', () => {
  let kernel: Kernel;
  let nic: AttachedNic;
  const boot = async (options: RealNicOptions = {}) => {
    kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, network] });
    nic = await kernel.subsystem(network).attach(createRealNic(options), { name: 'eth0' });
  };
  afterEach(async () => kernel?.shutdown());

  it('serves an echo: bytes come back in order, and the flow closes cleanly when the client ends', async () => {
    await boot();
    const { port } = await nic.listen({ port: 0, connection: echo });
    const client = await clientTo(port);
    const message = Buffer.from('the quick brown fox '.repeat(1000));
    const back = readBytes(client, message.length);
    client.write(message);
    expect((await back).equals(message)).to.equal(true);
    const closed = new Promise((resolve) => client.once('close', resolve));
    client.end();
    await closed;
    await eventually(() => Object.keys(nic.status().channels).length === 0 || undefined);
    const status = kernel.status().subsystems.net as ReturnType<typeof nic.status> extends infer S ? { nics: Record<string, S> } : never;
    expect(status.nics.eth0!.driver).to.include({ flowsOpen: 0, flowsAccepted: 1 });
  });

  it('wakes an owner once per batch, not once per packet', async () => {
    await boot();
    const { port } = await nic.listen({ port: 0, connection: echo });
    const clients = await Promise.all(Array.from({ length: 20 }, () => clientTo(port)));
    const payload = Buffer.alloc(256 << 10, 1);
    await Promise.all(
      clients.map((client) => {
        const back = readBytes(client, payload.length);
        for (let offset = 0; offset < payload.length; offset += 1024) client.write(payload.subarray(offset, offset + 1024));
        return back;
      }),
    );
    const { eventsClassified, wakes } = nic.status();
    expect(wakes).to.be.greaterThan(0);
    expect(wakes).to.be.lessThan(eventsClassified);
    for (const client of clients) client.destroy();
  });

  it('stops reading a client whose replies it cannot send, and loses nothing when the client reads again', async () => {
    await boot({ receiveCreditChunks: 4 });
    const { port } = await nic.listen({ port: 0, connection: echo });
    const client = await clientTo(port);
    client.pause();
    // The client writes and never reads: the echo's sends block, then its reads stop.
    const written = 16 << 20;
    client.write(Buffer.alloc(written, 9));
    // Stalled: the NIC stops reading the flow, far short of what was written, and stays stopped.
    let receivedBefore = -1;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const received = nic.status().driver.bytesReceived;
      if (received === receivedBefore) break;
      receivedBefore = received;
    }
    expect(receivedBefore).to.be.lessThan(written);
    expect(nic.status().driver.receivePauses).to.be.greaterThan(0);
    const back = readBytes(client, written);
    client.resume();
    const echoed = await back;
    expect(echoed.length).to.equal(written);
    expect(echoed.every((byte) => byte === 9)).to.equal(true);
    client.destroy();
  });

  it('resets the flow of an owner that crashes, and counts what came after', async () => {
    await boot();
    const crashing: ConnectionFactory = () => ({
      data: () => {
        throw new Error('a bug in the handler');
      },
    });
    const { port } = await nic.listen({ port: 0, connection: crashing });
    const client = await clientTo(port);
    const reset = new Promise<string | undefined>((resolve) => client.once('error', (error: NodeJS.ErrnoException) => resolve(error.code)));
    client.write('boom');
    expect(await reset).to.equal('ECONNRESET');
    await eventually(() => Object.keys(nic.status().channels).length === 0 || undefined);
  });

  it('connects out through the stack, and fails a connect with the NIC fault', async () => {
    await boot();
    const { port, listener } = await nic.listen({ port: 0, connection: echo });
    const replies: string[] = [];
    const socket = await nic.connect('127.0.0.1', port, () => ({ data: (bytes) => void replies.push(Buffer.from(bytes).toString()) }));
    expect(socket.remote.port).to.equal(port);
    await eventually(() => socket.send(Buffer.from('ping')) || undefined);
    await eventually(() => replies.join('') === 'ping' || undefined);
    await nic.unlisten(listener);
    const refused = await nic.connect('127.0.0.1', port, echo).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(NicError).with.property('code', 'ECONNREFUSED');
  });

  it('lets other actors reach a connection by mail, through its receive hook', async () => {
    await boot();
    type Push = { readonly type: 'push'; readonly text: string };
    const owners: ActorRef<Push>[] = [];
    const { port } = await nic.listen({
      port: 0,
      connection: (socket, ctx) => {
        owners.push(ctx.self as ActorRef<Push>);
        return { data: () => {}, receive: (message) => void socket.send(Buffer.from(`${(message as Push).text}\n`)) };
      },
    });
    const client = await clientTo(port);
    await eventually(() => owners.length === 1 || undefined);
    const pushed = readBytes(client, 'news\n'.length);
    owners[0]!.tell({ type: 'push', text: 'news' });
    expect((await pushed).toString()).to.equal('news\n');
    client.destroy();
  });

  it('refuses NIC names that clash or do not parse, with a typed error', async () => {
    await boot();
    const stack = kernel.subsystem(network);
    const clash = await stack.attach(createRealNic(), { name: 'eth0' }).catch((error: unknown) => error);
    expect(clash).to.have.property('code', 'net-config');
    const bad = await stack.attach(createRealNic(), { name: 'Eth 0' }).catch((error: unknown) => error);
    expect(bad).to.have.property('code', 'net-config');
  });
});
