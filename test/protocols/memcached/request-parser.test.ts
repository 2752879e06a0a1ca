/**
 * Goal: the request parser reads what clients send the way memcached 1.6 does, whatever the
 * chunking, never throws, and bounds what it buffers.
 * Method: round trips of generated commands; streams of commands and refused lines parsed whole and
 * cut at random places; random bytes and hostile shapes (huge lengths, lines without newlines);
 * and a table of lines with the exact answers of Debian bookworm's memcached 1.6.18 (its
 * proto_text.c; the differential test checks them against the real server).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  commandLineBytesMax,
  getLineBytesMax,
  readBufferBytes,
  latin1Bytes,
  type ParsedRequest,
  RequestParser,
  encodeRequest,
  metaFlags,
} from '../../../protocols/memcached/index.js';
import { commandArbitrary } from './arbitraries.js';

function parseAll(bytes: Uint8Array, cuts: readonly number[] = [], itemBytesMax?: number): ParsedRequest[] {
  const parser = new RequestParser(itemBytesMax === undefined ? {} : { itemBytesMax });
  const requests: ParsedRequest[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    requests.push(...parser.parse(bytes.subarray(start, cut)));
    start = cut;
  }
  requests.push(...parser.parse(bytes.subarray(start)));
  return requests;
}

function parseText(text: string, itemBytesMax?: number): ParsedRequest[] {
  return parseAll(latin1Bytes(text), [], itemBytesMax);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** A request's reply, or its command type. */
function summary(request: ParsedRequest): string | null {
  return request.kind === 'command' ? request.command.type : request.reply;
}

/** The first request's reply, or its command type. */
function outcome(requests: readonly ParsedRequest[]): string | null {
  const first = requests[0]!;
  return first.kind === 'command' ? first.command.type : first.reply;
}

const refusedLines = [
  'bogus\r\n',
  'set k 0 0 3\r\nabcd\r\n',
  'set k 0 0 -1\r\n',
  'get\r\n',
  'incr k x\r\n',
  'mg k vv v\r\n',
  'ms k 2 Mz\r\nab\r\n',
  '\r\n',
  'mn\n',
];

describe('memcached request parser', () => {
  it('gives back every generated command after encoding it', () => {
    fc.assert(
      fc.property(commandArbitrary, (command) => {
        expect(parseAll(encodeRequest(command))).to.deep.equal([{ kind: 'command', command }]);
      }),
      { numRuns: 600 },
    );
  });

  it('parses a stream the same however it is cut into chunks', () => {
    const stream = fc
      .array(fc.oneof(commandArbitrary.map(encodeRequest), fc.constantFrom(...refusedLines).map(latin1Bytes)), { minLength: 1, maxLength: 12 })
      .map(concat);
    fc.assert(
      fc.property(
        stream.chain((bytes) => fc.tuple(fc.constant(bytes), fc.array(fc.integer({ min: 0, max: bytes.byteLength }), { maxLength: 20 }))),
        ([bytes, cuts]) => {
          expect(parseAll(bytes, cuts)).to.deep.equal(parseAll(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never throws on random bytes and keeps its buffer bounded', () => {
    const itemBytesMax = 4_096;
    const bound = getLineBytesMax + 1 + itemBytesMax + 2;
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.constantFrom('set k 0 0 ', 'ms k ', 'get ', 'mg ', '\r\n', ' noreply', '99999999999', '-1', '\n').map(latin1Bytes),
      fc.uint8Array({ minLength: 0, maxLength: 5_000 }).map((bytes) => bytes.map((byte) => (byte === 0x0a ? 0x20 : byte))),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 30 }), (chunks) => {
        const parser = new RequestParser({ itemBytesMax });
        for (const bytes of chunks) {
          for (const request of parser.parse(bytes)) {
            if (request.kind === 'error') expect(request.reply === null || /^(ERROR|CLIENT_ERROR |SERVER_ERROR)/.test(request.reply)).to.equal(true);
          }
          expect(parser.bufferedBytes).to.be.at.most(bound);
        }
      }),
      { numRuns: 300 },
    );
  });

  describe('answers as memcached does', () => {
    const cases: readonly [string, string | null][] = [
      ['foo\r\n', 'ERROR'],
      ['foo noreply\r\n', 'ERROR'],
      ['\r\n', 'ERROR'],
      ['mn\n', 'mn'],
      ['g\r\n', 'ERROR'],
      ['get\r\n', 'ERROR'],
      ['get a\u0000b\r\n', 'get'],
      [`get ${'k'.repeat(251)}\r\n`, 'get'],
      [`get ${'k'.repeat(250)}\r\n`, 'get'],
      ['gat x k\r\n', 'CLIENT_ERROR invalid exptime argument'],
      ['set k 0 0\r\n', 'ERROR'],
      ['set k 0 0 1 noreply x\r\n', 'ERROR'],
      ['set k 0 0 -1\r\n', 'CLIENT_ERROR bad command line format'],
      ['incr k\r\n', 'ERROR'],
      ['incr k -1\r\n', 'CLIENT_ERROR invalid numeric delta argument'],
      ['incr k 18446744073709551616\r\n', 'CLIENT_ERROR invalid numeric delta argument'],
      ['incr k abc noreply\r\n', null],
      ['touch k x\r\n', 'CLIENT_ERROR invalid exptime argument'],
      ['delete k noreply\r\n', 'delete'],
      ['delete k 0\r\n', 'delete'],
      ['delete k 10\r\n', 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]'],
      ['delete k bar baz\r\n', 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]'],
      ['delete\r\n', 'ERROR'],
      ['delete a b c d e\r\n', 'ERROR'],
      ['verbosity\r\n', 'ERROR'],
      ['verbosity 1\r\n', 'verbosity'],
      ['flush_all x\r\n', 'CLIENT_ERROR invalid exptime argument'],
      ['flush_all noreply\r\n', 'flush_all'],
      ['flush_all 0 0 0\r\n', 'ERROR'],
      ['shutdown\r\n', 'ERROR: shutdown not enabled'],
      ['mg k vv v\r\n', 'CLIENT_ERROR duplicate flag'],
      ['mg k v v\r\n', 'CLIENT_ERROR duplicate flag'],
      ['mg k z\r\n', 'CLIENT_ERROR invalid flag'],
      ['mg k 9\r\n', 'CLIENT_ERROR invalid flag'],
      ['mg k !\r\n', 'CLIENT_ERROR invalid flag'],
      ['mg k x\r\n', 'CLIENT_ERROR invalid flag'],
      ['mg k F\r\n', 'CLIENT_ERROR bad command line format'],
      ['mg k MSS\r\n', 'CLIENT_ERROR incorrect length for M token'],
      ['mg\r\n', 'ERROR'],
      ['me\r\n', 'CLIENT_ERROR bad command line format'],
      ['mg k Tx\r\n', 'CLIENT_ERROR bad token in command line format'],
      ['mg Zm9 b\r\n', 'CLIENT_ERROR error decoding key'],
      // mg finds a too long opaque token while answering, so the executor refuses it.
      [`mg k O${'x'.repeat(32)}\r\n`, 'mg'],
      [`md k O${'x'.repeat(32)}\r\n`, 'CLIENT_ERROR opaque token too long'],
      [`mg k O${'x'.repeat(31)}\r\n`, 'mg'],
      [`mg k ${'v s t c f k h l u q O P L'.split(' ').join(' ')} a b c d e g i\r\n`, 'CLIENT_ERROR options flags are too long'],
      ['ma k v v\r\n', 'CLIENT_ERROR invalid or duplicate flag'],
      ['ma k vv\r\n', 'ma'],
      ['ma k MX\r\n', 'CLIENT_ERROR invalid mode for ma M token'],
      ['ma k Dx\r\n', 'CLIENT_ERROR invalid or duplicate flag'],
      [`md k${' q'.repeat(19)}\r\n`, 'CLIENT_ERROR options flags too long'],
      ['ms k\r\n', 'CLIENT_ERROR bad command line format'],
      ['me k\r\n', 'me'],
      ['GET / HTTP/1.1\r\n', null],
    ];
    for (const [line, reply] of cases) {
      it(`${JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line)} → ${reply ?? 'no reply'}`, () => {
        expect(outcome(parseText(line))).to.equal(reply);
      });
    }

    it('closes the connection on an HTTP request line, silently', () => {
      expect(parseText('GET / HTTP/1.1\r\nget k\r\n')).to.deep.equal([{ kind: 'error', code: 'http', reply: null, close: true }]);
    });

    it('answers a data block without its \\r\\n with CLIENT_ERROR bad data chunk, and reads on right after its length', () => {
      // The block is "abc" and "d\r"; the "\n" left is a line of its own, too short for a command.
      expect(parseText('set k 0 0 3\r\nabcd\r\nget k\r\n').map(summary)).to.deep.equal(['CLIENT_ERROR bad data chunk', 'ERROR', 'get']);
      expect(outcome(parseText('set k 0 0 3 noreply\r\nabcd\r\n'))).to.equal(null);
      expect(outcome(parseText('ms k 3 q\r\nabcd\r\n'))).to.equal('CLIENT_ERROR bad data chunk');
    });

    it('swallows the data block of a value over the item limit and answers too-large', () => {
      const requests = parseText(`set k 0 0 600\r\n${'x'.repeat(600)}\r\nget k\r\n`, 512);
      expect(requests).to.deep.equal([
        { kind: 'command', command: { type: 'too-large', verb: 'set', key: 'k', noreply: false } },
        { kind: 'command', command: { type: 'get', keys: ['k'] } },
      ]);
    });

    it('swallows the data block of an ms it refused after reading its length, not that of a refused classic line', () => {
      expect(parseText('set k x 0 3\r\nabc\r\nversion\r\n').map(summary)).to.deep.equal(['CLIENT_ERROR bad command line format', 'ERROR', 'version']);
      expect(parseText('ms k 3 Mz\r\nabc\r\nversion\r\n').map(summary)).to.deep.equal(['CLIENT_ERROR invalid mode for ms M token', 'version']);
    });

    it('reads set flags and exptimes with strtoul and strtol, cut to 32 bits, as memcached does', () => {
      const [request] = parseText('set k 4294967297 -5 1\r\na\r\n');
      expect(request).to.deep.include({ kind: 'command' });
      expect(request!.kind === 'command' && request!.command).to.deep.include({ flags: 1, exptime: -5 });
    });

    it('reads a bare \\n as the end of a line', () => {
      expect(parseText('get a b\n')).to.deep.equal([{ kind: 'command', command: { type: 'get', keys: ['a', 'b'] } }]);
    });

    it('closes the connection on a long line without newline at the end of a chunk unless it is a multiget', () => {
      const long = 'x'.repeat(commandLineBytesMax + 1);
      const closed = [{ kind: 'error', code: 'line-too-long', reply: null, close: true }];
      expect(parseText(`set ${long}`)).to.deep.equal(closed);
      // Whole in one read, memcached reads it as a line; cut before its newline, it closes.
      expect(parseText(`set ${long}\r\n`).map(summary)).to.deep.equal(['ERROR']);
      expect(parseAll(latin1Bytes(`set ${long}\r\n`), [long.length + 4])).to.deep.equal(closed);
      expect(parseText(`set ${'x'.repeat(readBufferBytes)}\r\n`)).to.deep.equal(closed);
      const keys = Array.from({ length: 400 }, (_, index) => `key${index}`).join(' ');
      expect(parseText(`get ${keys}\r\n`)[0]).to.deep.include({ kind: 'command' });
      expect(parseText(`get ${'k '.repeat(getLineBytesMax)}`)).to.deep.equal([{ kind: 'error', code: 'line-too-long', reply: null, close: true }]);
    });

    it('decodes base64 keys and reads meta flags in order', () => {
      expect(parseText('mg Zm9v b v t Oab\r\n')).to.deep.equal([
        { kind: 'command', command: { type: 'mg', key: 'foo', flags: metaFlags('bvtO', { opaque: 'Oab' }) } },
      ]);
    });

    it('stops at quit', () => {
      expect(parseText('quit\r\nget k\r\n')).to.deep.equal([{ kind: 'command', command: { type: 'quit' } }]);
    });
  });
});
