/**
 * Goal: our memcached answers exactly what Debian bookworm's memcached 1.6.18 answers (the server
 * memccapable runs against in CI), byte for byte, for pipelines of valid and invalid requests.
 * Method: the real memcached as a child process (reference-memcached.ts) and our MemcachedSession
 * in process, both flushed, both sent the same script in one write; replies compared after
 * replacing only what may differ (reply-shape.ts: cas uniques, clock-driven seconds, me's slab
 * figures) and with whether each closed the connection. Scripts come from fast-check
 * (differential-scripts.ts says what they leave out and why) and from a table of regressions.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { MemcachedExecutor } from '../../../apps/memcached/execute.js';
import { HeapItemStore } from '../../../apps/memcached/store/heap-item-store.js';
import { MemcachedSession } from '../../../apps/memcached/session.js';
import { latin1Bytes } from '../../../protocols/memcached/index.js';
import { stressSize } from '../../helpers/stress.js';
import { renderScript, scriptArbitrary } from './differential-scripts.js';
import { ReferenceMemcached } from './reference-memcached.js';
import { replyShape, sameShape } from './reply-shape.js';

const runs = stressSize('MEMCACHED_DIFF_RUNS', { ci: 100, full: 2_000 });

/** Our frozen clock: kernel ms, unix seconds and uptime never move during a script. */
const nowMs = 5_000_000;
const unixNowS = 1_700_000_000;

interface OurReply {
  readonly bytes: Uint8Array;
  readonly closed: boolean;
}

function ourSession(): MemcachedSession {
  const session = new MemcachedSession({
    executor: new MemcachedExecutor({
      store: new HeapItemStore({ limitBytes: 64 << 20 }),
      now: () => nowMs,
      unixNowS: () => unixNowS,
      server: { version: '1.6.18', pid: 1, uptimeS: () => 1_000, currConnections: () => 1, totalConnections: () => 1, threads: 1 },
    }),
  });
  session.receive(latin1Bytes('flush_all\r\n'));
  return session;
}

function ourReply(script: string): OurReply {
  const session = ourSession();
  const { replies, close } = session.receive(latin1Bytes(script));
  return { bytes: new Uint8Array(Buffer.concat(replies)), closed: close };
}

/** Whether our session is between requests after `script`: then an `mn` after it is answered MN alone. */
function endsBetweenRequests(script: string): boolean {
  const session = ourSession();
  if (session.receive(latin1Bytes(script)).close) return false;
  const { replies, close } = session.receive(latin1Bytes('mn\r\n'));
  return !close && Buffer.concat(replies).toString('latin1') === 'MN\r\n';
}

function shown(bytes: Uint8Array): string {
  return JSON.stringify(Buffer.from(bytes).toString('latin1'));
}

/**
 * Runs `script` on both servers and throws, showing both replies, when they differ. A script that
 * leaves our session between requests gets an `mn` at its end, so that the real server's reply is
 * known complete when its MN comes (no quiet period to wait for).
 */
async function compare(reference: ReferenceMemcached, template: string): Promise<void> {
  const ourScript = renderScript(template, 1n);
  const withMn = endsBetweenRequests(ourScript);
  const full = withMn ? `${template}mn\r\n` : template;
  const ours = ourReply(renderScript(full, 1n));
  const theirs = await reference.exchange((firstCas) => latin1Bytes(renderScript(full, firstCas)), withMn, ours.bytes.byteLength);
  const oursShape = replyShape(ours.bytes);
  const theirsShape = replyShape(theirs.bytes);
  if (sameShape(oursShape, theirsShape) && ours.closed === theirs.closed) return;
  throw new Error(
    [
      `script: ${JSON.stringify(full)}`,
      `memcached 1.6.18${theirs.closed ? ' (closed)' : ''}: ${shown(theirs.bytes)}`,
      `ours${ours.closed ? ' (closed)' : ''}:             ${shown(ours.bytes)}`,
    ].join('\n'),
  );
}

/** Requests whose answers once differed, with the reason. */
const regressions: readonly (readonly [string, string])[] = [
  ['delete with a hold time other than 0 is refused', 'set foo 0 0 1\r\nx\r\ndelete foo 10\r\ndelete foo bar baz\r\ndelete foo 0\r\n'],
  ['delete with no key or too many tokens is ERROR', 'delete\r\ndelete a b c d e\r\ndelete a 0 noreply\r\ndelete a noreply\r\n'],
  ['lines shorter than a command are ERROR', '\r\n\n\r\ng\r\nge\r\nget\r\nget \r\nmg\r\nms a\r\n'],
  ['a get with a key too long drops what it had found', 'set a 0 0 1\r\nx\r\nget a a\r\nget a b kkk\r\n'],
  ['an overlong key in a get culls unsent replies', `set a 0 0 1\r\nx\r\nget a ${'k'.repeat(251)}\r\nget a\r\n`],
  ['the tokenizer keeps 23 tokens; get reads the rest itself', `set a 0 0 1\r\nx\r\nget${' a'.repeat(30)}\r\n`],
  ['storage token counts', 'set a 0 0\r\nset a 0 0 1 noreply extra\r\nx\r\nset a 0 0 1 extra\r\ny\r\ncas a 0 0 1\r\nz\r\n'],
  ['noreply silences a bad storage line', 'set a x 0 1 noreply\r\nset a 0 0 -1 noreply\r\nset a 0 0 1\r\nx\r\n'],
  ['a value of the wrong length', 'set a 0 0 1\r\nxy\r\nset a 0 0 3\r\nxy\r\nget a\r\n'],
  ['huge data lengths', 'set a 0 0 2147483647\r\nset a 0 0 4294967297\r\nx\r\nget a\r\nset a 0 0 2000000\r\nxx\r\nget a\r\n'],
  ['incr and decr', 'set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 100\r\nget n\r\nincr n x\r\nincr n -1\r\nincr n 18446744073709551616\r\nincr\r\nincr n\r\n'],
  ['incr growing past the value length', 'set n 0 0 1\r\n9\r\nincr n 1\r\ngets n\r\nmg n v\r\ndecr n 5\r\nget n\r\n'],
  ['touch and gat', 'set a 0 0 1\r\nx\r\ntouch a 100\r\ntouch a x\r\ntouch b 1\r\ngat 100 a b\r\ngats x a\r\ngat 10\r\nmg a t\r\n'],
  ['flush_all shapes', 'flush_all x\r\nflush_all 0 0 0\r\nflush_all noreply\r\nflush_all 0 noreply\r\nflush_all -1\r\n'],
  ['verbosity shapes', 'verbosity\r\nverbosity x\r\nverbosity 1\r\nverbosity noreply\r\nverbosity 1 noreply\r\nverbosity 1 2 3\r\n'],
  ['mg flags', 'set a 7 100 3\r\nabc\r\nmg a v k c f s t h l O123 q\r\nmg a\r\nmg b v q\r\nmg b k Oxy\r\nmg a x\r\nmg a v v\r\nmg a Tx\r\nmg a F\r\n'],
  ['mg vivify and recache', 'mg a N100 t v c\r\nmg a N100 t v c\r\nmg a R1000 t\r\nmg a R1000 t\r\nmd a I T100\r\nmg a c v\r\nmg a c\r\n'],
  [
    'ms modes and cas',
    'ms a 1 MS T100\r\nx\r\nms a 1 ME c k\r\ny\r\nms a 1 MA\r\nz\r\nms b 1 MP\r\nz\r\nms a 1 C{cas+0}\r\nw\r\nms a 1 C{cas+1} c\r\nq\r\nmg a v t\r\n',
  ],
  ['ms errors swallow the value', 'ms a 1 Mz\r\nx\r\nms a 1 MSS\r\nx\r\nms a x\r\nms a\r\nms a 3 T\r\nabc\r\nms a 2 q\r\nxyz\r\nmn\r\n'],
  ['md', 'md a\r\nmd a q\r\nset a 0 0 1\r\nx\r\nmd a C0\r\nmd a q k O1\r\nmd a\r\nmd a x\r\nmd a C1 C2\r\n'],
  ['ma', 'ma n\r\nma n q\r\nma n N0 J13 v t\r\nma n v MD D20\r\nma n q\r\nma n v\r\nma n Mx\r\nma n C0 v\r\nset s 0 0 1\r\nx\r\nma s\r\n'],
  ['ma sets the expiry in flag order, the last T or N winning', 'ma a T-1 N0\r\nmg a\r\nma b N0 T-1 t\r\nmg b\r\n'],
  ['meta keys in base64', 'ms YQ== 1 b k\r\nx\r\nmg a v k\r\nmg YQ== b k v\r\nmg Y b\r\nme YQ== b x\r\nmd YQ== b k\r\n'],
  ['me', 'set a 0 0 1\r\nx\r\nme a\r\nme b\r\nme\r\nget a\r\nme a\r\n'],
  ['options too long', `mg a${' v'.repeat(19)}\r\nms a 1${' T1'.repeat(18)}\r\nx\r\nmd a${' q'.repeat(19)}\r\n`],
  ['an HTTP request closes', 'get a\r\nGET / HTTP/1.1\r\nget a\r\n'],
  ['quit closes after the replies before it', 'set a 0 0 1\r\nx\r\nquit\r\nget a\r\n'],
  ['a line without its newline past 2048 bytes closes', `get a\r\n${'x'.repeat(3_000)}`],
  ['a long line with its newline is read', `${'x'.repeat(2_100)}\r\nset ${'k'.repeat(2_100)} 0 0 1\r\nx\r\n`],
  ['NUL ends a line', 'set a 0 0 1\r\nx\r\nget a\0b\r\nmg a\0 v\r\n'],
];

describe('memcached against the real memcached 1.6.18', function () {
  this.timeout(120_000);
  let reference: ReferenceMemcached | undefined;

  before(async () => {
    reference = await ReferenceMemcached.start();
  });

  after(async () => {
    await reference?.stop();
  });

  for (const [name, script] of regressions) {
    it(name, async () => {
      await compare(reference!, script);
    });
  }

  it(`answers ${runs} generated pipelines alike`, async () => {
    await fc.assert(
      fc.asyncProperty(scriptArbitrary, async (script) => {
        await compare(reference!, script);
      }),
      { numRuns: runs },
    );
    expect(runs).to.be.greaterThan(0);
  });
});
