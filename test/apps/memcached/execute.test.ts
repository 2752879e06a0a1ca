/**
 * Goal: each command answers exactly what memcached 1.6.18 (Debian bookworm's) answers, noreply
 * and errors included.
 * Method: a session over a HeapItemStore with a hand-driven clock; requests as text, replies
 * compared byte for byte with the lines 1.6.18's proto_text.c and memcached.c send (the
 * differential test checks the same against the real server).
 */
import { expect } from 'chai';
import { harness } from './session-harness.js';

describe('memcached commands', () => {
  describe('storage', () => {
    it('set, get and gets', () => {
      const mc = harness();
      expect(mc.send('set a 5 0 3\r\nabc\r\n')).to.equal('STORED\r\n');
      expect(mc.send('get a b\r\n')).to.equal('VALUE a 5 3\r\nabc\r\nEND\r\n');
      expect(mc.send('gets a\r\n')).to.match(/^VALUE a 5 3 \d+\r\nabc\r\nEND\r\n$/);
      expect(mc.send('get b\r\n')).to.equal('END\r\n');
    });

    it('add and replace', () => {
      const mc = harness();
      expect(mc.send('replace a 0 0 1\r\nx\r\n')).to.equal('NOT_STORED\r\n');
      expect(mc.send('add a 0 0 1\r\nx\r\n')).to.equal('STORED\r\n');
      expect(mc.send('add a 0 0 1\r\ny\r\n')).to.equal('NOT_STORED\r\n');
      expect(mc.send('replace a 0 0 1\r\nz\r\n')).to.equal('STORED\r\n');
      expect(mc.send('get a\r\n')).to.equal('VALUE a 0 1\r\nz\r\nEND\r\n');
    });

    it('append and prepend keep the old flags and need an item', () => {
      const mc = harness();
      expect(mc.send('append a 0 0 1\r\nx\r\n')).to.equal('NOT_STORED\r\n');
      mc.send('set a 9 0 2\r\nbc\r\n');
      expect(mc.send('append a 1 0 1\r\nd\r\nprepend a 1 0 1\r\na\r\n')).to.equal('STORED\r\nSTORED\r\n');
      expect(mc.send('get a\r\n')).to.equal('VALUE a 9 4\r\nabcd\r\nEND\r\n');
    });

    it('cas: NOT_FOUND, EXISTS, STORED', () => {
      const mc = harness();
      expect(mc.send('cas a 0 0 1 1\r\nx\r\n')).to.equal('NOT_FOUND\r\n');
      mc.send('set a 0 0 1\r\nx\r\n');
      const unique = /VALUE a 0 1 (\d+)/.exec(mc.send('gets a\r\n'))![1]!;
      expect(mc.send(`cas a 0 0 1 ${BigInt(unique) + 1n}\r\ny\r\n`)).to.equal('EXISTS\r\n');
      expect(mc.send('cas a 0 0 1 0\r\ny\r\n')).to.equal('EXISTS\r\n');
      expect(mc.send(`cas a 0 0 1 ${unique}\r\ny\r\n`)).to.equal('STORED\r\n');
      expect(mc.send(`cas a 0 0 1 ${unique}\r\nz\r\n`)).to.equal('EXISTS\r\n');
    });

    it('noreply hides replies, errors included', () => {
      const mc = harness();
      // The refused line swallows nothing: its data block "z" is read as a command, ERROR.
      expect(mc.send('set a 0 0 1 noreply\r\nx\r\nadd a 0 0 1 noreply\r\ny\r\nset a x 0 1 noreply\r\nz\r\n')).to.equal('ERROR\r\n');
      expect(mc.send('incr a 1 noreply\r\ndelete a noreply\r\nget a\r\n')).to.equal('END\r\n');
    });

    it('a value over the item limit is SERVER_ERROR object too large for cache, and set forgets the old value', () => {
      const mc = harness(1 << 20, 512);
      mc.send('set a 0 0 1\r\nx\r\n');
      expect(mc.send(`set a 0 0 600\r\n${'y'.repeat(600)}\r\n`)).to.equal('SERVER_ERROR object too large for cache\r\n');
      expect(mc.send('get a\r\n')).to.equal('END\r\n');
    });

    it('a bad data chunk is CLIENT_ERROR bad data chunk and stores nothing', () => {
      const mc = harness();
      // The block is "x" and "y\r"; the "\n" left is an empty line, ERROR.
      expect(mc.send('set a 0 0 1\r\nxy\r\n')).to.equal('CLIENT_ERROR bad data chunk\r\nERROR\r\n');
      expect(mc.send('get a\r\n')).to.equal('END\r\n');
    });
  });

  describe('expiry', () => {
    it('relative, negative and absolute exptimes', () => {
      const mc = harness();
      mc.send('set a 0 10 1\r\nx\r\nset b 0 -1 1\r\nx\r\n');
      mc.send(`set c 0 ${1_700_000_000 + 20} 1\r\nx\r\nset d 0 ${1_600_000_000} 1\r\nx\r\n`);
      expect(mc.send('get a b c d\r\n')).to.equal('VALUE a 0 1\r\nx\r\nVALUE c 0 1\r\nx\r\nEND\r\n');
      mc.nowMs = 10_000;
      expect(mc.send('get a c\r\n')).to.equal('VALUE c 0 1\r\nx\r\nEND\r\n');
      mc.nowMs = 20_000;
      expect(mc.send('get c\r\n')).to.equal('END\r\n');
    });

    it('touch, gat and gats', () => {
      const mc = harness();
      mc.send('set a 3 10 1\r\nx\r\n');
      expect(mc.send('touch a 100\r\ntouch b 100\r\n')).to.equal('TOUCHED\r\nNOT_FOUND\r\n');
      mc.nowMs = 50_000;
      expect(mc.send('gat 1000 a b\r\n')).to.equal('VALUE a 3 1\r\nx\r\nEND\r\n');
      expect(mc.send('gats 0 a\r\n')).to.match(/^VALUE a 3 1 \d+\r\nx\r\nEND\r\n$/);
      expect(mc.send('gat -1 a\r\n')).to.equal('VALUE a 3 1\r\nx\r\nEND\r\n');
      expect(mc.send('get a\r\n')).to.equal('END\r\n');
    });

    it('flush_all now and with a delay', () => {
      const mc = harness();
      mc.send('set a 0 0 1\r\nx\r\n');
      expect(mc.send('flush_all\r\nget a\r\nset a 0 0 1\r\ny\r\nget a\r\n')).to.equal('OK\r\nEND\r\nSTORED\r\nVALUE a 0 1\r\ny\r\nEND\r\n');
      expect(mc.send('flush_all 10 noreply\r\nget a\r\n')).to.equal('VALUE a 0 1\r\ny\r\nEND\r\n');
      mc.nowMs = 10_000;
      expect(mc.send('get a\r\n')).to.equal('END\r\n');
    });
  });

  describe('incr and decr', () => {
    it('count, wrap at 2^64 and stop at 0', () => {
      const mc = harness();
      expect(mc.send('incr n 1\r\n')).to.equal('NOT_FOUND\r\n');
      mc.send('set n 0 0 2\r\n10\r\n');
      expect(mc.send('incr n 5\r\ndecr n 100\r\n')).to.equal('15\r\n0\r\n');
      // memcached leaves a shorter number padded with spaces in place.
      expect(mc.send('get n\r\n')).to.equal('VALUE n 0 2\r\n0 \r\nEND\r\n');
      mc.send('set n 0 0 20\r\n18446744073709551615\r\n');
      expect(mc.send('incr n 2\r\n')).to.equal('1\r\n');
    });

    it('refuse non-numeric values', () => {
      const mc = harness();
      mc.send('set n 0 0 2\r\nab\r\nset e 0 0 0\r\n\r\nset m 0 0 2\r\n-1\r\n');
      const nonNumeric = 'CLIENT_ERROR cannot increment or decrement non-numeric value\r\n';
      expect(mc.send('incr n 1\r\nincr e 1\r\ndecr m 1\r\n')).to.equal(nonNumeric.repeat(3));
    });
  });

  describe('other commands', () => {
    it('delete', () => {
      const mc = harness();
      mc.send('set a 0 0 1\r\nx\r\n');
      expect(mc.send('delete a\r\ndelete a\r\n')).to.equal('DELETED\r\nNOT_FOUND\r\n');
    });

    it('version, verbosity, unknown commands and quit', () => {
      const mc = harness();
      expect(mc.send('version\r\nverbosity 1\r\nverbosity 1 noreply\r\nbogus\r\n')).to.equal('VERSION 1.6.29-osprey\r\nOK\r\nERROR\r\n');
      expect(mc.send('quit\r\nversion\r\n')).to.equal('');
      expect(mc.closed()).to.equal(true);
      expect(mc.session.receive(new Uint8Array([0x61]))).to.deep.equal({ replies: [], close: true });
    });

    it('stats counts commands, and stats reset clears them', () => {
      const mc = harness();
      mc.send('set a 0 0 1\r\nx\r\nget a b\r\n');
      const stats = mc.send('stats\r\n');
      expect(stats).to.match(/^STAT pid 7\r\n/);
      expect(stats).to.include('STAT cmd_get 2\r\nSTAT cmd_set 1\r\n');
      expect(stats).to.include('STAT get_hits 1\r\nSTAT get_misses 1\r\n');
      expect(stats).to.include('STAT curr_items 1\r\n');
      expect(stats).to.match(/END\r\n$/);
      expect(mc.send('stats reset\r\nstats detail dump\r\nstats nonsense\r\n')).to.equal('RESET\r\nCLIENT_ERROR stats detail not allowed\r\nERROR\r\n');
      expect(mc.send('stats\r\n')).to.include('STAT cmd_get 0\r\n');
    });
  });

  describe('meta commands', () => {
    it('mn, and mg hits and misses with flags in request order', () => {
      const mc = harness();
      expect(mc.send('mn\r\n')).to.equal('MN\r\n');
      expect(mc.send('mg a v\r\nmg a v q\r\nmg a k Oxy\r\n')).to.equal('EN\r\nEN ka Oxy\r\n');
      mc.send('ms a 3 F7 T100\r\nabc\r\n');
      expect(mc.send('mg a s v f t Oq k\r\n')).to.equal('VA 3 s3 f7 t100 Oq ka\r\nabc\r\n');
      expect(mc.send('mg a\r\n')).to.equal('HD\r\n');
    });

    it('mg ignores C; T touches; h and l report before the command', () => {
      const mc = harness();
      mc.send('ms a 1\r\nx\r\n');
      const cas = /c(\d+)/.exec(mc.send('mg a c h\r\n'))![1];
      expect(mc.send(`mg a v C${cas}\r\n`)).to.equal('VA 1\r\nx\r\n');
      expect(mc.send('mg a h t T30\r\nmg a t\r\n')).to.equal('HD h1 t-1\r\nHD t30\r\n');
      mc.nowMs = 5_000;
      expect(mc.send('mg a l u\r\nmg a l\r\n')).to.equal('HD l5\r\nHD l5\r\n');
    });

    it('mg N vivifies on a miss and wins; the next client sees Z', () => {
      const mc = harness();
      expect(mc.send('mg a N30 v t\r\n')).to.equal('VA 0 t30 W\r\n\r\n');
      expect(mc.send('mg a N30 v\r\n')).to.equal('VA 0 Z\r\n\r\n');
    });

    it('mg R wins the recache when the TTL left is below its token', () => {
      const mc = harness();
      mc.send('ms a 1 T10\r\nx\r\n');
      expect(mc.send('mg a R5\r\nmg a R30\r\nmg a R30\r\n')).to.equal('HD\r\nHD W\r\nHD Z\r\n');
    });

    it('ms modes, cas, quiet and returned flags', () => {
      const mc = harness();
      expect(mc.send('ms a 1 q\r\nx\r\n')).to.equal('');
      expect(mc.send('ms a 1 ME\r\ny\r\nms b 1 MR\r\ny\r\n')).to.equal('NS\r\nNS\r\n');
      // 1.6.18's ms returns O, k and c only.
      expect(mc.send('ms a 2 MA s k Oo\r\nyz\r\n')).to.equal('HD ka Oo\r\n');
      expect(mc.send('ms a 1 MP\r\nw\r\nmg a v\r\n')).to.equal('HD\r\nVA 4\r\nwxyz\r\n');
      expect(mc.send('ms c 1 C5\r\nx\r\n')).to.equal('NF\r\n');
      expect(mc.send('ms a 1 C1\r\nx\r\n')).to.equal('EX\r\n');
      const cas = /c(\d+)/.exec(mc.send('mg a c\r\n'))![1];
      expect(mc.send(`ms a 1 C${cas} c\r\nv\r\n`)).to.match(/^HD c\d+\r\n$/);
      // 1.6.18's append does not vivify with N.
      expect(mc.send('ms b 2 MA N30\r\nhi\r\nmg b v\r\n')).to.equal('NS\r\nEN\r\n');
      expect(mc.send('ms z 1 Mx\r\nx\r\nmn\r\n')).to.equal('CLIENT_ERROR invalid mode for ms M token\r\nMN\r\n');
    });

    it('ms I with an older cas stores the value and marks it stale', () => {
      const mc = harness();
      mc.send('ms a 1\r\nx\r\n');
      mc.send('ms a 1\r\ny\r\n');
      expect(mc.send('ms a 1 C1 I\r\nz\r\nmg a v\r\n')).to.equal('HD\r\nVA 1 X W\r\nz\r\n');
    });

    it('md deletes, checks cas, invalidates, and q hides HD', () => {
      const mc = harness();
      expect(mc.send('md a Oo k\r\n')).to.equal('NF Oo ka\r\n');
      mc.send('ms a 1\r\nx\r\n');
      expect(mc.send('md a C999\r\n')).to.equal('EX\r\n');
      expect(mc.send('md a I T30\r\nmg a v t\r\nmg a\r\n')).to.equal('HD\r\nVA 1 t30 X W\r\nx\r\nHD Z X\r\n');
      expect(mc.send('md a q\r\nmg a\r\n')).to.equal('EN\r\n');
      mc.send('ms b 1 F3\r\nx\r\n');
      // 1.6.18 has no x flag.
      expect(mc.send('md b x\r\nmg b v f\r\n')).to.equal('CLIENT_ERROR invalid or duplicate flag\r\nVA 1 f3\r\nx\r\n');
    });

    it('ma increments, decrements, vivifies and returns values', () => {
      const mc = harness();
      expect(mc.send('ma n\r\nma n q\r\n')).to.equal('NF\r\nNF\r\n');
      expect(mc.send('ma n N0 J10 v\r\n')).to.equal('VA 2\r\n10\r\n');
      expect(mc.send('ma n v D5\r\nma n MD D100 v\r\nma n q\r\nma n v\r\n')).to.equal('VA 2\r\n15\r\nVA 1\r\n0\r\nVA 1\r\n2\r\n');
      expect(mc.send('ma n C1\r\n')).to.equal('EX\r\n');
      mc.send('ms s 1\r\nx\r\n');
      expect(mc.send('ma s\r\n')).to.equal('CLIENT_ERROR cannot increment or decrement non-numeric value\r\n');
    });

    it('b keys are base64 on the wire and echoed so', () => {
      const mc = harness();
      mc.send('ms Zm9v 1 b\r\nx\r\n');
      expect(mc.send('get foo\r\nmg Zm9v b k v\r\n')).to.equal('VALUE foo 0 1\r\nx\r\nEND\r\nVA 1 kZm9v b\r\nx\r\n');
    });

    it('me dumps an item or answers EN', () => {
      const mc = harness();
      expect(mc.send('me a\r\n')).to.equal('EN\r\n');
      mc.send('ms a 1\r\nx\r\n');
      expect(mc.send('me a\r\n')).to.match(/^ME a exp=-1 la=0 cas=\d+ fetch=no cls=1 size=58\r\n$/);
    });
  });

  it('answers a pipeline in order, whatever the chunking', () => {
    const requests = 'set a 0 0 1\r\nx\r\nget a\r\nmg a v\r\nincr a 1\r\nbogus\r\nmn\r\n';
    const whole = harness().send(requests);
    const mc = harness();
    let cut = '';
    for (const character of requests) cut += mc.send(character);
    expect(cut).to.equal(whole);
    expect(whole).to.equal('STORED\r\nVALUE a 0 1\r\nx\r\nEND\r\nVA 1\r\nx\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\nERROR\r\nMN\r\n');
  });
});
