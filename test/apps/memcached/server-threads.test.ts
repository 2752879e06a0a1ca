import { expect } from 'chai';
import type { Socket } from 'node:net';
import type { AttachedNic } from '../../../actors/net/attached-nic.js';
import { network } from '../../../actors/net/subsystem.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { HeapItemStore } from '../../../apps/memcached/store/heap-item-store.js';
import { serveMemcached } from '../../../apps/memcached/server.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { memcachedWorkerModule } from '../../../apps/memcached/worker.js';
import { DieNow } from './fixtures/shared-store-actors.js';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import type { Endpoint } from '../../../drivers/nic/index.js';
import { createRealNic } from '../../../drivers/nic/index.js';
import { eventually } from '../../helpers/eventually.js';
import { clientTo } from '../../helpers/tcp-client.js';

/** Sends `request` on `socket` and resolves with the reply, once it ends with `until`. */
function ask(socket: Socket, request: string, until = 'END\r\n'): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const onData = (bytes: Buffer) => {
      reply += bytes.toString('latin1');
      if (!reply.endsWith(until)) return;
      socket.off('data', onData).off('error', reject);
      resolve(reply);
    };
    socket.on('data', onData).once('error', reject);
    socket.write(request);
  });
}

/** Sends `request` on `socket` and resolves with the first `count` reply lines. */
function askLines(socket: Socket, request: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let reply = '';
    const onData = (bytes: Buffer) => {
      reply += bytes.toString('latin1');
      const lines = reply.split('\r\n');
      if (lines.length <= count) return;
      socket.off('data', onData).off('error', reject);
      resolve(lines.slice(0, count));
    };
    socket.on('data', onData).once('error', reject);
    socket.write(request);
  });
}

/** The value of line `STAT name value` in a `stats` reply. */
function stat(reply: string, name: string): number {
  const line = reply.split('\r\n').find((each) => each.startsWith(`STAT ${name} `));
  if (line === undefined) throw new Error(`no ${name} in the stats`);
  return Number(line.slice(`STAT ${name} `.length));
}

describe('memcached on several CPUs (-t N)', function () {
  this.timeout(60_000);
  let kernel: Kernel;
  let nic: AttachedNic;
  let store: SharedItemStore;

  beforeEach(async () => {
    kernel = await Kernel.boot({
      cpus: 3,
      modules: [memcachedWorkerModule, new URL('./fixtures/shared-store-actors.js', import.meta.url)],
      subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 }), network],
    });
    store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 16 << 20 });
    nic = await kernel.subsystem(network).attach(createRealNic(), { name: 'eth0' });
  });
  afterEach(async () => kernel.shutdown());

  it('serves each connection on a worker CPU, all over one store, and stats counts them all', async () => {
    const events: ['opened' | 'closed', Endpoint][] = [];
    const server = await serveMemcached(kernel, nic, {
      store,
      port: 0,
      threads: 2,
      unixTimeAtStartS: 1_700_000_000,
      onConnection: (event, remote) => events.push([event, remote]),
    });
    const clients = await Promise.all(Array.from({ length: 4 }, () => clientTo(server.port)));
    for (const [i, client] of clients.entries()) expect(await ask(client, `set k${i} ${i} 0 2\r\nv${i}\r\n`, 'STORED\r\n')).to.equal('STORED\r\n');
    // Owners on CPUs 1 and 2 only: CPU 0 keeps the sockets.
    expect(nic.status().ownersByCpu).to.deep.equal({ 1: 2, 2: 2 });
    // What one CPU stored, every other one reads.
    const everyKey = 'get k0 k1 k2 k3\r\n';
    const expected = `${[0, 1, 2, 3].map((i) => `VALUE k${i} ${i} 2\r\nv${i}\r\n`).join('')}END\r\n`;
    for (const client of clients) expect(await ask(client, everyKey)).to.equal(expected);
    // Counts of both worker CPUs, from either.
    const stats = await ask(clients[0]!, 'stats\r\n');
    expect(stat(stats, 'threads')).to.equal(2);
    expect(stat(stats, 'cmd_set')).to.equal(4);
    expect(stat(stats, 'get_hits')).to.equal(16);
    expect(stat(stats, 'curr_connections')).to.equal(4);
    expect(stat(stats, 'curr_items')).to.equal(4);
    expect(server.connections()).to.deep.equal({ open: 4, total: 4 });
    // `stats reset` on one CPU resets every CPU's counters, not the connections.
    expect(await ask(clients[1]!, 'stats reset\r\n', 'RESET\r\n')).to.equal('RESET\r\n');
    const after = await ask(clients[2]!, 'stats\r\n');
    expect(stat(after, 'cmd_set')).to.equal(0);
    expect(stat(after, 'curr_connections')).to.equal(4);
    // Each connection's opening and closing reached CPU 0's listener, wherever it was served.
    for (const client of clients) client.destroy();
    await eventually(() => events.length === 8 || undefined);
    expect(events.filter(([event]) => event === 'opened')).to.have.length(4);
    await eventually(() => server.connections().open === 0 || undefined);
    // Closed, the server can be served again on the same kernel.
    await server.close();
    const again = await serveMemcached(kernel, nic, { store, port: 0, threads: 2, unixTimeAtStartS: 1_700_000_000 });
    const client = await clientTo(again.port);
    expect(await ask(client, 'get k0\r\n')).to.equal('VALUE k0 0 2\r\nv0\r\nEND\r\n');
    client.destroy();
  });

  it('keeps incr and cas atomic across CPUs: no update lost, one winner per unique', async () => {
    const server = await serveMemcached(kernel, nic, { store, port: 0, threads: 2, unixTimeAtStartS: 1_700_000_000 });
    const clients = await Promise.all(Array.from({ length: 6 }, () => clientTo(server.port)));
    expect(await ask(clients[0]!, 'set n 0 0 1\r\n0\r\n', 'STORED\r\n')).to.equal('STORED\r\n');
    // Each client pipelines its increments: both worker CPUs change the same item at once.
    const increments = 200;
    const replies = await Promise.all(clients.map((client) => askLines(client, 'incr n 1\r\n'.repeat(increments), increments)));
    // Every increment answered with a number, each a value no other increment saw.
    const seen = replies.flat().map(Number);
    expect(replies.flat().filter((line) => !/^\d+$/.test(line))).to.deep.equal([]);
    expect(new Set(seen).size).to.equal(clients.length * increments);
    expect(await ask(clients[0]!, 'get n\r\n')).to.equal(
      `VALUE n 0 ${String(clients.length * increments).length}\r\n${clients.length * increments}\r\nEND\r\n`,
    );
    // Rounds of cas with one unique from every client: exactly one stores.
    for (let round = 0; round < 20; round++) {
      const gets = await ask(clients[0]!, 'gets n\r\n');
      const unique = /VALUE n 0 \d+ (\d+)\r\n/.exec(gets)![1]!;
      const replies = await Promise.all(clients.map((client, i) => ask(client, `cas n 0 0 1 ${unique}\r\n${i}\r\n`, '\r\n')));
      expect(
        replies.filter((reply) => reply === 'STORED\r\n'),
        `round ${round}: ${replies.join(' ')}`,
      ).to.have.length(1);
    }
    for (const client of clients) client.destroy();
  });

  it('sets a worker CPU up again when it comes back after its worker died', async () => {
    const server = await serveMemcached(kernel, nic, { store, port: 0, threads: 2, unixTimeAtStartS: 1_700_000_000 });
    kernel.spawn(DieNow, { cpu: 1 }).tell({ type: 'die' });
    // Once CPU 1 is back and set up, every new connection is served, those placed on CPU 1 too.
    // (A connection placed on CPU 1 before that is reset, at once or at its first request.)
    const served = async (): Promise<string> => {
      const client = await clientTo(server.port);
      try {
        return await ask(client, 'version\r\n', '\r\n');
      } finally {
        client.destroy();
      }
    };
    await eventually(async () => {
      const replies = await Promise.all([served(), served()].map((reply) => reply.catch(() => 'reset')));
      return replies.every((reply) => reply === 'VERSION 1.6.18\r\n') || undefined;
    }, 20_000);
    expect(nic.status().driver.flowsAccepted).to.be.greaterThan(1);
  });

  it('refuses a store that lives in one thread, and more worker CPUs than the kernel has', async () => {
    const heap = new HeapItemStore({ limitBytes: 1 << 20 });
    const heapRefused = await serveMemcached(kernel, nic, { store: heap, port: 0, threads: 2, unixTimeAtStartS: 0 }).catch((error: unknown) => error);
    expect(String(heapRefused)).to.match(/needs a SharedItemStore/);
    const tooMany = await serveMemcached(kernel, nic, { store, port: 0, threads: 3, unixTimeAtStartS: 0 }).catch((error: unknown) => error);
    expect(String(tooMany)).to.match(/needs a kernel of 4 CPUs/);
  });
});
