import { expect } from 'chai';
import fc from 'fast-check';
import { MemcacheClient } from 'memcache-client';
import type { AttachedNic } from '../../../actors/net/attached-nic.js';
import { connect as netConnect } from 'node:net';
import { network } from '../../../actors/net/subsystem.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { type MemcachedServer, serveMemcached } from '../../../apps/memcached/server.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { createRealNic } from '../../../drivers/nic/index.js';

/**
 * Sends `request` on a fresh connection and resolves with everything the server wrote until it closed or went quiet.
 * The quiet period is generous (the first byte gets four of them): the server runs in this process, and a loaded CI
 * machine can stall it for longer than a reply takes, which would cut a reply short.
 */
function exchange(port: number, request: string | Buffer, quietMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let timer = setTimeout(() => socket.end(), quietMs * 4);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      clearTimeout(timer);
      timer = setTimeout(() => socket.end(), quietMs);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('memcached: the server on net channels, its items in virtual memory', function () {
  this.timeout(60_000);
  let kernel: Kernel;
  let server: MemcachedServer;
  let client: MemcacheClient;
  let nic: AttachedNic;

  beforeEach(async () => {
    kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 }), network] });
    const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 32 << 20 });
    nic = await kernel.subsystem(network).attach(createRealNic(), { name: 'eth0' });
    server = await serveMemcached(kernel, nic, { store, port: 0, unixTimeAtStartS: 1_700_000_000 });
    client = new MemcacheClient({ server: `127.0.0.1:${server.port}`, cmdTimeout: 10_000 });
  });
  afterEach(async () => {
    client.shutdown();
    await kernel.shutdown();
  });

  it('round-trips values of every size class up to the largest item through an npm client', async () => {
    const key = 'size-probe';
    const largest = (1 << 20) - key.length - 64;
    const sizes = new Set<number>();
    for (let n = 0; n <= 300; n++) sizes.add(n);
    for (let bits = 9; bits <= 20; bits++) for (const delta of [-1, 0, 1]) sizes.add(Math.min(largest, (1 << bits) + delta));
    sizes.add(largest);
    for (const size of sizes) {
      const value = Buffer.alloc(size);
      for (let i = 0; i < size; i++) value[i] = (i * 31 + size) & 0xff;
      await client.set(key, value);
      const back = await client.get<Buffer>(key);
      expect(Buffer.compare(Buffer.from(back!.value), value), `a value of ${size} bytes`).to.equal(0);
    }
  });

  it('refuses a value past the largest item as memcached does, and the connection goes on', async () => {
    const big = 'x'.repeat((1 << 20) + 1);
    const reply = await exchange(server.port, `set big 0 0 ${big.length}\r\n${big}\r\nset small 0 0 2\r\nok\r\nget small\r\n`);
    expect(reply).to.equal('SERVER_ERROR object too large for cache\r\nSTORED\r\nVALUE small 0 2\r\nok\r\nEND\r\n');
  });

  it('answers garbage with errors and keeps serving other connections', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));
    const replies = await Promise.all([exchange(server.port, garbage), exchange(server.port, 'bogus\r\nget\r\n'), exchange(server.port, 'set k 0 0 -1\r\n')]);
    for (const reply of replies) expect(reply).to.match(/ERROR/);
    expect(await exchange(server.port, 'set alive 0 0 3\r\nyes\r\nget alive\r\n')).to.equal('STORED\r\nVALUE alive 0 3\r\nyes\r\nEND\r\n');
  });

  it('survives fuzzed connections (garbage, truncated lines, huge lengths) and keeps nothing of them', async () => {
    const line = fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((bytes) => Buffer.from(bytes)),
      fc
        .constantFrom('set k 0 0 4294967296\r\n', `get ${'k'.repeat(300)}\r\n`, 'incr\r\n', 'set k 0 0 10\r\nabc', 'mg k v q', 'gat', '\r\n\r\n')
        .map((text) => Buffer.from(text, 'latin1')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (pieces) => {
        await exchange(server.port, Buffer.concat(pieces), 50);
      }),
      { numRuns: 25 },
    );
    // Every fuzzed connection is gone, and its channel with it.
    const start = Date.now();
    while (Object.keys(nic.status().channels).length > 0 && Date.now() - start < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(nic.status().channels).to.deep.equal({});
    expect(server.connections().open).to.equal(0);
    expect(await exchange(server.port, 'set alive 0 0 3\r\nyes\r\nget alive\r\n')).to.equal('STORED\r\nVALUE alive 0 3\r\nyes\r\nEND\r\n');
  });

  it("answers a multiget that would copy gigabytes with memcached's out-of-memory error, and closes", async () => {
    const value = 'v'.repeat(512 << 10);
    expect(await exchange(server.port, `set big 0 0 ${value.length}\r\n${value}\r\n`)).to.equal('STORED\r\n');
    const reply = await exchange(server.port, `get ${Array.from({ length: 5000 }, () => 'big').join(' ')}\r\nget big\r\n`);
    expect(reply).to.equal('SERVER_ERROR out of memory writing get response\r\n');
    expect(await exchange(server.port, 'get nothing\r\n')).to.equal('END\r\n');
  });

  it('closes the connection on quit, after the replies before it', async () => {
    expect(await exchange(server.port, 'version\r\nquit\r\nversion\r\n')).to.match(/^VERSION \S+\r\n$/);
    expect(server.connections().total).to.be.greaterThan(0);
  });
});
