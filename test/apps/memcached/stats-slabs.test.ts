/**
 * `stats slabs` and `stats items` over the shared store, against Debian's memcached 1.6.18 given
 * the same items: the same classes, chunk sizes and page figures, and only the lines this server
 * documents it leaves out (memcached's per-class command counters and segmented-LRU figures).
 */
import { expect } from 'chai';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import { MemcachedExecutor } from '../../../apps/memcached/execute.js';
import { MemcachedSession } from '../../../apps/memcached/session.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { latin1Bytes } from '../../../protocols/memcached/index.js';
import { ReferenceMemcached } from './reference-memcached.js';

/** Items of three sizes, in three classes: 5, 3 000 and 100 000 bytes. */
const script = [
  'set a 0 0 5\r\nhello\r\n',
  `set bb 0 0 3000\r\n${'x'.repeat(3_000)}\r\n`,
  `set ccc 0 0 100000\r\n${'y'.repeat(100_000)}\r\n`,
  'stats slabs\r\nstats items\r\nmn\r\n',
].join('');

/** The STAT lines of `reply` by name, for the reply to `stats <group>` that starts at `from`. */
function statLines(reply: string, group: 'slabs' | 'items'): Map<string, string> {
  const lines = new Map<string, string>();
  const section = reply.split('END\r\n')[group === 'slabs' ? 0 : 1]!;
  for (const line of section.split('\r\n')) {
    const match = /^STAT (\S+) (.*)$/.exec(line);
    if (match !== null) lines.set(match[1]!, match[2]!);
  }
  return lines;
}

/** Lines memcached prints that this server leaves out: its per-class counters and its segmented LRU. */
const leftOut = /^\d+:(get_hits|cmd_set|delete_hits|incr_hits|decr_hits|cas_hits|cas_badval|touch_hits)$|^items:\d+:(?!number$|age$)\w+$/;

describe('memcached: stats slabs, items and settings, against the real memcached 1.6.18', function () {
  this.timeout(60_000);

  it("shows its settings under memcached's names, in memcached's order, each true of this server", async () => {
    const reference = await ReferenceMemcached.start();
    const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 64 << 20 })] });
    try {
      const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 16 << 20 });
      const listener = { tcpPort: 11211, inter: '127.0.0.1', maxConns: 1024, backlog: 511, verbosity: 0 };
      const session = new MemcachedSession({
        executor: new MemcachedExecutor({
          store,
          now: () => kernel.clock.now(),
          unixNowS: () => 1_700_000_000,
          server: { version: '1.6.18', pid: 1, uptimeS: () => 0, currConnections: () => 1, totalConnections: () => 1, threads: 2, listener },
        }),
      });
      const names = (reply: string) => [...reply.matchAll(/^STAT (\S+) (.*)$/gm)].map((match) => [match[1]!, match[2]!] as const);
      const ours = names(Buffer.concat(session.receive(latin1Bytes('stats settings\r\n')).replies).toString('latin1'));
      const theirs = names(Buffer.from((await reference.exchange(() => latin1Bytes('stats settings\r\nmn\r\n'), true, 0)).bytes).toString('latin1'));
      // Each of ours is one of memcached's, in memcached's order.
      const order = theirs.map(([name]) => name);
      const positions = ours.map(([name]) => order.indexOf(name));
      expect(
        positions.filter((position) => position < 0),
        'names memcached does not have',
      ).to.deep.equal([]);
      expect([...positions].sort((a, b) => a - b)).to.deep.equal(positions);
      // And each is this server's.
      expect(Object.fromEntries(ours)).to.include({
        maxbytes: String(16 << 20),
        maxconns: '1024',
        tcpport: '11211',
        udpport: '0',
        inter: '127.0.0.1',
        num_threads: '2',
        tcp_backlog: '511',
        item_size_max: String(1 << 20),
        slab_chunk_max: String(512 << 10),
      });
    } finally {
      await kernel.shutdown();
      await reference.stop();
    }
  });

  it('shows the classes, chunk sizes and pages memcached shows for the same items', async () => {
    const reference = await ReferenceMemcached.start();
    const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 96 << 20 })] });
    try {
      const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 64 << 20 });
      const session = new MemcachedSession({
        executor: new MemcachedExecutor({
          store,
          now: () => kernel.clock.now(),
          unixNowS: () => 1_700_000_000,
          server: { version: '1.6.18', pid: 1, uptimeS: () => 0, currConnections: () => 1, totalConnections: () => 1, threads: 1 },
        }),
      });
      const ours = Buffer.concat(session.receive(latin1Bytes(script)).replies).toString('latin1');
      const theirs = Buffer.from((await reference.exchange(() => latin1Bytes(script), true, 0)).bytes).toString('latin1');
      for (const group of ['slabs', 'items'] as const) {
        const mine = statLines(ours, group);
        const real = statLines(theirs, group);
        // Every line memcached prints is ours too, or one of those documented as left out.
        const missing = [...real.keys()].filter((name) => !mine.has(name) && !leftOut.test(name));
        expect(missing, `${group}: lines memcached prints and we do not`).to.deep.equal([]);
        expect(
          [...mine.keys()].filter((name) => !real.has(name)),
          `${group}: lines we print and memcached does not`,
        ).to.deep.equal([]);
        // The figures that depend only on the items stored agree. (memcached's class 1 also holds the
        // probe item the reference stores to learn its cas counter: used and free chunks differ there.)
        for (const [name, value] of mine) {
          if (/^1:(used|free)_chunks$|^items:1:number$|age$/.test(name)) continue;
          expect(value, `${group}: ${name}`).to.equal(real.get(name));
        }
      }
      const slabs = statLines(ours, 'slabs');
      expect(slabs.get('active_slabs')).to.equal('3');
      for (const id of ['1', '17']) {
        expect(slabs.get(`${id}:used_chunks`), `class ${id}`).to.equal('1');
        expect(Number(slabs.get(`${id}:free_chunks`)), `class ${id}`).to.equal(Number(slabs.get(`${id}:total_chunks`)) - 1);
      }
      expect(statLines(ours, 'items').get('items:1:number')).to.equal('1');
      store.check();
    } finally {
      await kernel.shutdown();
      await reference.stop();
    }
  });
});
