/**
 * Scripts for the memcached differential test: pipelines of 1–20 requests, classic and meta, valid
 * and not, over a few keys so that commands meet each other's items. A script is text with one
 * symbolic part, `{cas+k}`: the unique the k-th store of the script gets, rendered for each server
 * from where its cas counter stands, so that `cas` and `C` can match as well as miss.
 *
 * Left out on purpose, because 1.6.18 answers them from its internals or its clock, not its protocol:
 * - values near the 1 MiB item limit (where the item header's size decides);
 * - values of whitespace only, which 1.6.18's incr reads past their end (strtoull skips the
 *   value's `\r\n` and goes on into whatever memory follows), and numbers of 2^63 or more, given
 *   or reached by incr, for which its safe_strtoull looks for a `-` past the value's end (strchr
 *   on memory that is not NUL-terminated): deltas and values stay below 2^62;
 * - exptimes of a few seconds (1.6.18's clock ticks each second, ours is frozen) and absolute unix
 *   times; relative 100 and 1000 s, 0, negative and 30 days + 1 (1970) remain;
 * - delayed `flush_all`: in 1.6.18 it cancels the flush before it, and items that flush hid but
 *   nothing has reclaimed yet come back (ours are gone for good);
 * - scripts over 15 000 bytes, which memcached might not read in one go (its read buffer is 16 KiB);
 * - `stats` and `version`, whose numbers are the process's;
 * - `watch`, which turns a 1.6.18 connection into a log stream (we refuse it), and the admin
 *   commands (`lru_crawler`, `slabs`, `lru`, `cache_memlimit`) we do not run.
 */
import fc from 'fast-check';

/** Keys the commands share, and base64 forms of some for meta commands' `b`. */
const keys = ['a', 'b', 'n', 'n', 'a'];
const key250 = 'k'.repeat(250);
const key251 = 'k'.repeat(251);
const keyArbitrary = fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: fc.constantFrom(key250, key251) });
const metaKeyArbitrary = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...keys) },
  { weight: 1, arbitrary: fc.constantFrom(key250, key251) },
  { weight: 3, arbitrary: fc.constantFrom('YQ==', 'bg==', 'YWI=', 'Y', '!!!!', 'a===', `${'YWJj'.repeat(62)}YQ==`) },
);

const exptimeArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.constant('0') },
  { weight: 4, arbitrary: fc.constantFrom('100', '1000', '-1', '-100') },
  { weight: 1, arbitrary: fc.constantFrom('x', '1x', '+100', '2592000', '2592001', '4294967296', '4294967295', '99999999999999999999', '-0') },
);
const flagsArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('0', '1', '42') },
  { weight: 1, arbitrary: fc.constantFrom('4294967295', '4294967296', '-1', 'x', '18446744073709551615', '18446744073709551616', '-0', '+7') },
);
const deltaArbitrary = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('1', '5', '10', '0') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('-1', 'x', '18446744073709551616', '99999999999999999999', '+3', '1.5', '100000000000000000'),
  },
);
const byteArbitrary = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...'abc0123456789 ') },
  { weight: 2, arbitrary: fc.constantFrom('\r', '\n', '\r\n', '\0', '\xff', '\x80') },
);
const valueArbitrary = fc.oneof(
  // Not all whitespace: incr would read such a value past its end, into memory that is not its own.
  { weight: 6, arbitrary: fc.string({ unit: byteArbitrary, maxLength: 12 }).filter((value) => value === '' || /[^ \t-\r]/.test(value)) },
  { weight: 4, arbitrary: fc.constantFrom('0', '1', '9', '10', '99', '999999999999999999', ' 5', '5 ', '-1', '007', '') },
  { weight: 1, arbitrary: fc.nat({ max: 3_000 }).map((length) => 'v'.repeat(length)) },
);
const noreplyArbitrary = fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constant(' noreply') });
/** A cas unique: one that may match (the unique of the k-th store), or one that cannot. */
const casArbitrary = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 6 }).map((k) => `{cas+${k}}`) },
  { weight: 1, arbitrary: fc.constantFrom('0', 'x', '-1', '18446744073709551615', '18446744073709551616') },
);
/** Mutates a command's tokens: the count errors memcached answers ERROR or CLIENT_ERROR to. */
const tokenMutation = fc.oneof(
  { weight: 12, arbitrary: fc.constant<'none'>('none') },
  { weight: 1, arbitrary: fc.constant<'drop-last'>('drop-last') },
  { weight: 1, arbitrary: fc.constantFrom(' 0', ' x', ' noreply', ' 0 noreply', ' a b c').map((extra) => ({ extra })) },
);

function mutate(line: string, mutation: 'none' | 'drop-last' | { readonly extra: string }): string {
  if (mutation === 'none') return line;
  if (mutation === 'drop-last') return line.includes(' ') ? line.slice(0, line.lastIndexOf(' ')) : line;
  return line + mutation.extra;
}

/** The data block's length as the line states it: right mostly, sometimes wrong or not a number. */
function statedLength(actual: number): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(String(actual)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(String(actual + 1), String(Math.max(0, actual - 1)), '-1', 'x', '2000000', '2147483647', '2147483646', '4294967297'),
    },
  );
}

const storage = fc
  .record({
    verb: fc.constantFrom('set', 'add', 'replace', 'append', 'prepend', 'cas'),
    key: keyArbitrary,
    flags: flagsArbitrary,
    exptime: exptimeArbitrary,
    value: valueArbitrary,
    cas: casArbitrary,
    noreply: noreplyArbitrary,
    mutation: tokenMutation,
    terminator: fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('', '\n', 'xx', '\r') }),
  })
  .chain((command) => statedLength(command.value.length).map((length) => ({ ...command, length })))
  .map(({ verb, key, flags, exptime, value, cas, noreply, mutation, terminator, length }) => {
    const line = mutate(`${verb} ${key} ${flags} ${exptime} ${length}${verb === 'cas' ? ` ${cas}` : ''}${noreply}`, mutation);
    return `${line}\r\n${value}${terminator}`;
  });

const retrieval = fc
  .record({
    verb: fc.constantFrom('get', 'gets', 'gat', 'gats', 'get', 'gets'),
    exptime: exptimeArbitrary,
    keys: fc.array(keyArbitrary, { minLength: 0, maxLength: 4 }),
    many: fc.oneof({ weight: 15, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 20, max: 30 }) }),
  })
  .map(({ verb, exptime, keys, many }) => {
    const all = [...keys, ...Array.from({ length: many }, (_, index) => keys[index % Math.max(1, keys.length)] ?? 'a')];
    return `${verb}${verb.startsWith('gat') ? ` ${exptime}` : ''}${all.map((key) => ` ${key}`).join('')}\r\n`;
  });

const keyed = fc
  .record({
    verb: fc.constantFrom('delete', 'incr', 'decr', 'touch'),
    key: keyArbitrary,
    delta: deltaArbitrary,
    exptime: exptimeArbitrary,
    noreply: noreplyArbitrary,
    mutation: tokenMutation,
    deleteShape: fc.constantFrom('', '', '', ' 0', ' 10', ' 0 noreply', ' bar baz', ' 0 0 0'),
  })
  .map(({ verb, key, delta, exptime, noreply, mutation, deleteShape }) => {
    if (verb === 'delete') return `${mutate(`delete ${key}${deleteShape}${noreply}`, mutation)}\r\n`;
    const argument = verb === 'touch' ? exptime : delta;
    return `${mutate(`${verb} ${key} ${argument}${noreply}`, mutation)}\r\n`;
  });

const administrative = fc.constantFrom(
  'flush_all\r\n',
  'flush_all 0\r\n',
  'flush_all -1\r\n',
  'flush_all noreply\r\n',
  'flush_all 0 noreply\r\n',
  'flush_all x\r\n',
  'flush_all 0 0 0\r\n',
  'flush_all x noreply\r\n',
  'verbosity 1\r\n',
  'verbosity 0\r\n',
  'verbosity 5 noreply\r\n',
  'verbosity\r\n',
  'verbosity x\r\n',
  'verbosity noreply\r\n',
  'verbosity 1 2 3\r\n',
  'mn\r\n',
  'mn extra\r\n',
  'quit\r\n',
);

/** Meta flag tokens: known, unknown, duplicated (by being drawn twice), with good and bad arguments. */
const metaFlag = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('v', 'k', 'c', 'f', 's', 't', 'h', 'l', 'q', 'u', 'b', 'I', 'O123', 'Oabc', 'P', 'L') },
  {
    weight: 4,
    arbitrary: fc.constantFrom('T0', 'T100', 'T1000', 'T-1', 'N100', 'N0', 'N-1', 'R30', 'R1000', 'F5', 'F0', 'C{cas+0}', 'C{cas+1}', 'C{cas+2}', 'C0'),
  },
  { weight: 3, arbitrary: fc.constantFrom('MS', 'ME', 'MA', 'MP', 'MR', 'MI', 'M+', 'MD', 'M-', 'D2', 'D0', 'J5', 'J999999999999999999') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Tx',
      'T',
      'N',
      'R',
      'Fx',
      'F-1',
      'F',
      'Cx',
      'C',
      'E5',
      'M',
      'Mz',
      'MSS',
      'Dx',
      'D-1',
      'Jx',
      'x',
      'Z',
      '1',
      '\xff',
      `O${'o'.repeat(32)}`,
      'O',
    ),
  },
);
const meta = fc
  .record({
    verb: fc.constantFrom('mg', 'mg', 'ms', 'ms', 'md', 'ma', 'me'),
    key: metaKeyArbitrary,
    flags: fc.array(metaFlag, { maxLength: 6 }),
    many: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 15, max: 22 }) }),
    value: valueArbitrary,
    noKey: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    terminator: fc.oneof({ weight: 12, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('', 'xx', '\n') }),
  })
  .chain((command) => statedLength(command.value.length).map((length) => ({ ...command, length })))
  .map(({ verb, key, flags, many, value, noKey, terminator, length }) => {
    const all = [...flags, ...Array.from({ length: many }, (_, index) => String.fromCharCode(0x41 + index))];
    if (noKey) return `${verb}\r\n`;
    if (verb === 'me') return `me ${key}${flags.includes('b') ? ' b x' : ''}\r\n`;
    const tokens = all.map((flag) => ` ${flag}`).join('');
    if (verb === 'ms') return length === 'x' && flags.length === 0 ? `ms ${key}\r\n` : `ms ${key} ${length}${tokens}\r\n${value}${terminator}`;
    return `${verb} ${key}${tokens}\r\n`;
  });

/** Lines no command expects: random bytes, near-commands, HTTP, empty lines, overlong lines. */
const junk = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .string({ unit: fc.oneof(byteArbitrary, fc.constantFrom(' ', 'g', 'e', 't', 's', 'm')), maxLength: 16 })
      .map((text) => `${text.replace(/\n/g, '')}\r\n`),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\r\n',
      '\n',
      'g\r\n',
      'ge\r\n',
      'get\r\n',
      'get \r\n',
      'gets  a\r\n',
      ' get a\r\n',
      'GET a\r\n',
      'get a\n',
      'get a\r\r\n',
      'gat\r\n',
      'gat 10\r\n',
      'mx a\r\n',
      'm\r\n',
      'mn\r\n',
      'set\r\n',
      'set a\r\n',
      'set a 0 0\r\n',
      'bget a\r\n',
      'shutdown\r\n',
      'GET / HTTP/1.1\r\n',
      'incr\r\n',
      'touch a\r\n',
      'delete\r\n',
      'delete a b c d e\r\n',
      'version x\r\n',
      `get a${' a'.repeat(30)}\r\n`,
      'get a\0b\r\n',
      'mg a\0 v\r\n',
      `${'x'.repeat(2_100)}\r\n`,
      `get ${'a '.repeat(1_100)}\r\n`,
    ),
  },
);

const request = fc.oneof(
  { weight: 6, arbitrary: storage },
  { weight: 5, arbitrary: retrieval },
  { weight: 4, arbitrary: keyed },
  { weight: 1, arbitrary: administrative },
  { weight: 7, arbitrary: meta },
  { weight: 2, arbitrary: junk },
);

/** Largest script, in bytes: memcached reads 16 KiB at a time, and a line cut by a read behaves otherwise. */
const scriptBytesMax = 15_000;

/** A script: 1–20 requests, and sometimes an overlong line without its newline at the end, which closes. */
export const scriptArbitrary: fc.Arbitrary<string> = fc
  .record({
    requests: fc.array(request, { minLength: 1, maxLength: 20 }),
    tail: fc.oneof({ weight: 25, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('x'.repeat(3_000), `set ${'k'.repeat(2_990)}`) }),
  })
  .map(({ requests, tail }) => {
    let script = '';
    for (const line of requests) {
      if (script.length + line.length + tail.length > scriptBytesMax) break;
      script += line;
    }
    // 1.6.18's flush_all spends a unique (ours does not), so after one the k-th store's differs.
    if (script.includes('flush_all')) script = script.replace(/\{cas\+\d+\}/g, '18446744073709551615');
    return script + tail;
  });

/** `script` with each `{cas+k}` replaced by the unique the k-th store gets on a server whose first is `firstCas`. */
export function renderScript(script: string, firstCas: bigint): string {
  return script.replace(/\{cas\+(\d+)\}/g, (_, offset: string) => String(firstCas + BigInt(offset)));
}
